/**
 * Hand-made graphs shared by the engine tests on the memory store (engine.test.ts) and on real Redis
 * (engine-redis.test.ts), so both run exactly the same shapes. Each builder returns the graph and what
 * its finals must be.
 */
import { GraphBuilder, type Graph, type NDArray } from '@wukong/graph';

export function vector(n: number, fill: number): NDArray {
  return { dtype: 'f64', shape: [n], data: new Float64Array(n).fill(fill) };
}

/*
 *            src
 *       /  / ... \  \          fan-out 1 → 64
 *     m0  m1 ... m62 m63
 *       \  \ ... /  /          fan-in 64 → 1
 *            join ── d1 ──┐
 *              └─── d2 ───┴── diamond ── chain of 300 ── end
 */
export function shapesGraph(): { graph: Graph; finalKey: string; expected: number } {
  const b = new GraphBuilder();
  const src = b.task('src', 'add', 1, 1);
  const mids = Array.from({ length: 64 }, (_, i) => b.task(`m${i}`, 'mul', src, i));
  const join = b.task('join', 'add', ...mids);
  const d1 = b.task('d1', 'add', join, 1);
  const d2 = b.task('d2', 'mul', join, 2);
  let link = b.task('diamond', 'add', d1, d2);
  for (let i = 0; i < 300; i++) link = b.task(`c${i}`, 'add', link, 1);
  const joined = 2 * ((63 * 64) / 2);
  return { graph: b.build(), finalKey: 'c299', expected: joined + 1 + joined * 2 + 300 };
}

/*   big (4 KiB) ──► k0..k3 (single parent each); k_i = 3 + i elementwise */
export function clusterGraph(): Graph {
  const b = new GraphBuilder();
  const big = b.task('big', 'mul', vector(512, 1), 3);
  for (let i = 0; i < 4; i++) b.task(`k${i}`, 'add', big, i);
  return b.build();
}

/*   big (8 KiB, fast) ──┐
 *                       ├─► child = 7 elementwise: big waits in memory until slow arrives, then runs child
 *   slow (small, 300ms) ┘                                                                                */
export function delayedIoGraph(): Graph {
  const b = new GraphBuilder();
  const big = b.task('big', 'mul', vector(1024, 1), 2);
  const slow = b.task('slow', 'sleep', 300, 5);
  b.task('child', 'add', big, slow);
  return b.build();
}

/*   big1 ──┐
 *   big2 ──┼─► child = 6 elementwise: the second holder is told `conflict` and persists; no mutual wait
 *   slow ──┘                                                                                           */
export function twoHoldersGraph(): Graph {
  const b = new GraphBuilder();
  const big1 = b.task('big1', 'mul', vector(1024, 1), 2);
  const big2 = b.task('big2', 'mul', vector(1024, 1), 3);
  const slow = b.task('slow', 'sleep', 200, 1);
  b.task('child', 'add', big1, big2, slow);
  return b.build();
}

/*   root ──► m0 .. m(n-1) (fan-out: become one, invoke the rest) ──► pairwise sums ──► total   */
export function fanOutReduce(n: number): { graph: Graph; expected: number } {
  const b = new GraphBuilder();
  const root = b.task('root', 'add', 1, 1);
  let level = Array.from({ length: n }, (_, i) => b.task(`m${i}`, 'add', root, i));
  for (let depth = 0; level.length > 1; depth++) {
    level = Array.from({ length: level.length / 2 }, (_, i) =>
      b.task(`s${depth}.${i}`, 'add', level[2 * i]!, level[2 * i + 1]!),
    );
  }
  return { graph: b.build(), expected: 2 * n + (n * (n - 1)) / 2 };
}

/*   a → b → c: one executor's chain (nothing written but the final); c = 31 */
export function chainGraph(): Graph {
  const b = new GraphBuilder();
  const a = b.task('a', 'add', 1, 2);
  const bb = b.task('b', 'mul', a, 10);
  b.task('c', 'add', bb, 1);
  return b.build();
}

/** `count` leaves `s<i> = sleep(ms, 1)` summed by `total` (which is then `count`). */
export function sleepSum(count: number, ms: number): Graph {
  const b = new GraphBuilder();
  const parts = Array.from({ length: count }, (_, i) => b.task(`s${i}`, 'sleep', ms, 1));
  b.task('total', 'add', ...parts);
  return b.build();
}
