/**
 * GEMM: C = A·B for two n×n uniform random arrays cut into chunk×chunk blocks (dask:
 * `da.random.random((n, n), chunks) @ …`). Each output block is an accumulation chain whose links
 * regenerate their operand blocks, so only small per-block results travel. Verification: every output
 * block's first `sampleRows` rows are recomputed densely from regenerated operands (one task per block,
 * run where the block is) and the worst absolute error is reduced; the result is reduced to its sum
 * rather than gathered.
 */
import { ARRAY_OPS, blockAt, matmul, random, reduceTree, type Arg, type Key, type Task } from '@wukong/graph';
import type { Workload } from '../run.js';

export interface GemmOptions {
  n: number;
  chunk: number;
  /** @default 1 */
  seed?: number;
  /** Rows of every output block recomputed densely (0: no verification). @default 4 */
  sampleRows?: number;
}

export function gemmWorkload(options: GemmOptions): Workload & { flops: number } {
  const { n, chunk } = options;
  const seed = options.seed ?? 1;
  const sampleRows = options.sampleRows ?? 4;
  const a = random([n, n], chunk, seed);
  const b = random([n, n], chunk, seed + 1);
  const c = matmul(a, b, { strategy: 'chain' });
  const tasks = new Map<Key, Task>(c.tasks);
  const sums: Arg[] = [];
  const errors: Arg[] = [];
  const blocks = c.chunks[0]!.length;
  for (let i = 0; i < blocks; i++) {
    for (let j = 0; j < blocks; j++) {
      const block = blockAt(c, i, j);
      const sumKey = `gemm-sum:${i}.${j}`;
      tasks.set(sumKey, { key: sumKey, op: ARRAY_OPS.sum, args: [block], outputBytes: 8 });
      sums.push({ ref: sumKey });
      if (sampleRows > 0) {
        const operands: Arg[] = [];
        for (let k = 0; k < blocks; k++) operands.push(blockAt(a, i, k) as Arg, blockAt(b, k, j) as Arg);
        const errKey = `gemm-check:${i}.${j}`;
        tasks.set(errKey, {
          key: errKey,
          op: ARRAY_OPS.sampledMatmulError,
          args: [block, sampleRows, ...operands],
          outputBytes: 8,
        });
        errors.push({ ref: errKey });
      }
    }
  }
  const total = reduceTree('gemm-total', sums, ARRAY_OPS.combine, tasks);
  const worst = sampleRows > 0 ? reduceTree('gemm-error', errors, ARRAY_OPS.max, tasks) : undefined;
  // Products are sums of n terms in [0, 1): rounding grows like n·ε·(typical value n/4).
  const tolerance = n * n * 1e-14;
  return {
    name: 'gemm',
    graph: { tasks: [...tasks.values()] },
    flops: 2 * n ** 3,
    check(outputs) {
      const sum = outputs.get(total.ref.ref);
      const err = worst ? outputs.get(worst.ref.ref) : 0;
      const ok =
        typeof sum === 'number' && Number.isFinite(sum) && typeof err === 'number' && err <= tolerance;
      return {
        ok,
        details: { n, chunk, sum, sampled_rows: sampleRows * blocks, max_abs_error: err, tolerance },
      };
    },
  };
}
