/**
 * Tree reduction, the shape Wukong was first measured on: the numbers 1..N summed pairwise.
 *
 *        t2.0                  level 2: add(ref, ref)
 *       /    \
 *    t1.0    t1.1              level 1: add(1, 2), add(3, 4) — the leaves take literals
 *
 * N literals give N-1 `add` tasks (an odd item at any level is carried up unchanged), N/2 of them leaves.
 * With `delayMs` every task is `sleep(delayMs, x, y)`, which sleeps and then adds.
 */
import type { Arg, Graph, Task } from '@wukong/graph';

export interface TreeReductionOptions {
  leaves: number;
  delayMs?: number;
}

export function treeReduction({ leaves, delayMs = 0 }: TreeReductionOptions): {
  graph: Graph;
  expected: number;
  finalKey: string;
} {
  if (!Number.isSafeInteger(leaves) || leaves < 2)
    throw new RangeError('tree reduction needs at least 2 leaves');
  if (!(delayMs >= 0)) throw new RangeError('delayMs must not be negative');
  const tasks: Task[] = [];
  let level: Arg[] = Array.from({ length: leaves }, (_, i) => i + 1);
  for (let depth = 1; level.length > 1; depth++) {
    const next: Arg[] = [];
    for (let i = 0; i + 1 < level.length; i += 2) {
      const key = `t${depth}.${i / 2}`;
      const terms = [level[i]!, level[i + 1]!];
      tasks.push(
        delayMs > 0 ? { key, op: 'sleep', args: [delayMs, ...terms] } : { key, op: 'add', args: terms },
      );
      next.push({ ref: key });
    }
    if (level.length % 2 === 1) next.push(level[level.length - 1]!);
    level = next;
  }
  const final = level[0] as { ref: string };
  return { graph: { tasks }, expected: (leaves * (leaves + 1)) / 2, finalKey: final.ref };
}
