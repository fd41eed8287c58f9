/**
 * Randomized SVD (dask: `da.linalg.svd_compressed(x, k)`) of an n×n uniform random array in chunk×chunk
 * blocks. Verification in the graph: max |UᵀU − I| and max |VVᵀ − I| (per-block Gram matrices, reduced).
 * In the client, for n ≤ `denseLimit`: the top-k singular values against a dense reference (subspace
 * iteration to convergence on the whole matrix). A randomized estimate never exceeds the true value
 * (σ_i(QᵀA) ≤ σ_i(A)); the top one must match closely, the others are reported.
 */
import {
  ARRAY_OPS,
  blockAt,
  isNDArray,
  materialize,
  random,
  reduceTree,
  svdCompressed,
  type Arg,
  type Key,
  type Task,
} from '@wukong/graph';
import type { Workload } from '../run.js';
import { denseRandom, topSingularValues } from './dense.js';

export interface SvdCompressedWorkloadOptions {
  n: number;
  chunk: number;
  rank: number;
  /** @default 0 */
  nPowerIter?: number;
  /** @default 10 */
  oversampling?: number;
  /** @default 3 */
  seed?: number;
  /**
   * Generate the input blocks once as tasks instead of leaving them as generator specs. The input is then
   * stored data, so svdCompressed runs dask's blockwise graph: a generated block stays in its executor's
   * memory (delayed I/O) until Q is known for the second pass, as a fresh 32 MB array per block. Off by
   * default: with the input left as generator specs the last pass runs in row strips that generate each
   * element once and use it for both products (see `sketchStrips`). The results agree to rounding.
   * @default false
   */
  materializeInput?: boolean;
  /** See SvdCompressedOptions in @wukong/graph. @default true */
  sketchStrips?: boolean;
  /** See SvdCompressedOptions in @wukong/graph. @default 1 */
  stripBlocks?: number;
  /** Largest n for the dense comparison. @default 4000 */
  denseLimit?: number;
}

export function svdCompressedWorkload(options: SvdCompressedWorkloadOptions): Workload & { flops: number } {
  const { n, chunk, rank } = options;
  const nPowerIter = options.nPowerIter ?? 0;
  const oversampling = options.oversampling ?? 10;
  const source = random([n, n], chunk, options.seed ?? 3);
  const a = (options.materializeInput ?? false) ? materialize(source) : source;
  const { u, s, v } = svdCompressed(a, rank, {
    nPowerIter,
    oversampling,
    seed: (options.seed ?? 3) + 1000,
    ...(options.sketchStrips === undefined ? {} : { sketchStrips: options.sketchStrips }),
    ...(options.stripBlocks === undefined ? {} : { stripBlocks: options.stripBlocks }),
  });
  const tasks = new Map<Key, Task>([...u.tasks, ...v.tasks, ...s.tasks]);
  const gramsU: Arg[] = u.chunks[0]!.map((_, i) => {
    const key = `svdc-gram-u:${i}`;
    tasks.set(key, { key, op: ARRAY_OPS.gram, args: [blockAt(u, i) as Arg], outputBytes: rank * rank * 8 });
    return { ref: key };
  });
  const gramsV: Arg[] = v.chunks[1]!.map((_, j) => {
    const key = `svdc-gram-v:${j}`;
    const vj = blockAt(v, 0, j) as Arg;
    tasks.set(key, {
      key,
      op: ARRAY_OPS.matmul,
      args: [null, vj, vj, false, true],
      outputBytes: rank * rank * 8,
    });
    return { ref: key };
  });
  const orth = (name: string, grams: Arg[]): Key => {
    const g = reduceTree(`${name}-sum`, grams, ARRAY_OPS.combine, tasks, 8, rank * rank * 8).ref;
    tasks.set(name, { key: name, op: ARRAY_OPS.maxAbsIdentityDiff, args: [g], outputBytes: 8 });
    return name;
  };
  const orthU = orth('svdc-orthogonality-u', gramsU);
  const orthV = orth('svdc-orthogonality-v', gramsV);
  const sKey = (s.blocks[0] as { ref: Key }).ref;
  const comp = Math.min(n, rank + oversampling);
  const denseLimit = options.denseLimit ?? 4000;
  return {
    name: 'svd-compressed',
    graph: { tasks: [...tasks.values()] },
    // Two passes over A with comp columns each (plus two per power iteration).
    flops: 2 * n * n * comp * (2 + 2 * nPowerIter),
    check(outputs) {
      const sv = outputs.get(sKey);
      const ou = outputs.get(orthU);
      const ov = outputs.get(orthV);
      if (!isNDArray(sv) || typeof ou !== 'number' || typeof ov !== 'number')
        return { ok: false, details: { error: 'results missing' } };
      const details: Record<string, unknown> = {
        n,
        chunk,
        rank,
        n_power_iter: nPowerIter,
        singular_values: Array.from(sv.data as Float64Array),
        orthogonality_u: ou,
        orthogonality_v: ov,
      };
      let ok = ou < 1e-10 && ov < 1e-10 && sv.data.length === rank;
      if (n <= denseLimit) {
        const reference = topSingularValues(denseRandom(source), n, n, comp, 40);
        const rel = Array.from(
          { length: rank },
          (_, i) => (reference[i]! - (sv.data[i] as number)) / reference[i]!,
        );
        details.reference_singular_values = Array.from(reference.subarray(0, rank));
        details.relative_shortfall = rel;
        // None may exceed the true value. Without power iterations the estimates of a flat spectrum fall
        // short by tens of percent (the top value, far above the rest, within a few); each iteration
        // tightens them.
        const [top, rest] = nPowerIter === 0 ? [0.05, 0.5] : [1e-3, 0.2];
        ok &&= rel[0]! < top && rel.every((r) => r > -1e-9 && r < rest);
      }
      return { ok, details };
    },
  };
}
