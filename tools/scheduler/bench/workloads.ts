// Graphs shared by the benchmark and the profiler.
import type { Graph, Task } from '@wukong/graph';

export const SLEEP_TASKS = 10_000;
export const SLEEP_MS = 100;
export const SLEEP_GROUP = 100;

/**
 * Wukong's Figure 13 workload: SLEEP_TASKS independent leaves `s<i> = sleep(SLEEP_MS, 1)`, summed by
 * `add` tasks of SLEEP_GROUP inputs each and one final `add` of those (10,101 tasks; the answer is
 * SLEEP_TASKS). The sleeps dominate: the adds are a few ms of work in all.
 */
export function sleepGraph(sleepMs = SLEEP_MS): { graph: Graph; expected: number } {
  const tasks: Task[] = [];
  for (let i = 0; i < SLEEP_TASKS; i++) tasks.push({ key: `s${i}`, op: 'sleep', args: [sleepMs, 1] });
  const groups: Task[] = [];
  for (let g = 0; g * SLEEP_GROUP < SLEEP_TASKS; g++) {
    const refs = [];
    for (let i = g * SLEEP_GROUP; i < Math.min(SLEEP_TASKS, (g + 1) * SLEEP_GROUP); i++)
      refs.push({ ref: `s${i}` });
    groups.push({ key: `g${g}`, op: 'add', args: refs });
  }
  tasks.push(...groups, { key: 'total', op: 'add', args: groups.map((g) => ({ ref: g.key })) });
  return { graph: { tasks }, expected: SLEEP_TASKS };
}
