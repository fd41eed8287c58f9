/**
 * Dense references for the array workloads' checks, computed in the client with the kernels: the same
 * counter-based random blocks the graph generates, assembled into one matrix.
 */
import { GENERATORS, type BlockedArray } from '@wukong/graph';
import { loadKernelsSync, type Kernels } from '@wukong/kernels';

let shared: Kernels | undefined;

/** The client thread's kernels (loaded once, synchronously: checks are synchronous). */
export function clientKernels(): Kernels {
  shared ??= loadKernelsSync();
  return shared;
}

/** The dense row-major matrix of a random BlockedArray whose blocks are all generator specs. */
export function denseRandom(a: BlockedArray): Float64Array {
  const k = clientKernels();
  const [m, n] = [a.shape[0]!, a.shape[1] ?? 1];
  const out = new Float64Array(m * n);
  const rowChunks = a.chunks[0]!;
  const colChunks = a.chunks[1] ?? [1];
  let r0 = 0;
  rowChunks.forEach((rows, i) => {
    let c0 = 0;
    colChunks.forEach((cols, j) => {
      const spec = a.blocks[i * colChunks.length + j];
      if (!Array.isArray(spec))
        throw new RangeError(`block (${i}, ${j}) of ${a.name} is not a generator spec`);
      const [kind, seed, block] = spec as [string, number, number];
      const data =
        kind === GENERATORS.normal
          ? k.rngNormal(seed, block, rows * cols)
          : k.rngUniform(seed, block, rows * cols);
      for (let r = 0; r < rows; r++) out.set(data.subarray(r * cols, (r + 1) * cols), (r0 + r) * n + c0);
      c0 += cols;
    });
    r0 += rows;
  });
  return out;
}

/** Largest |a_i − b_i| / |b_i| over the first `count` entries. */
export function maxRelativeError(a: ArrayLike<number>, b: ArrayLike<number>, count: number): number {
  let worst = 0;
  for (let i = 0; i < count; i++)
    worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(b[i]!), 1e-300));
  return worst;
}

/**
 * The top `p` singular values of a dense m×n matrix by subspace iteration (`iterations` passes of
 * Q ← qr(A·Aᵀ·Q)), then the SVD of Qᵀ·A: a dense reference where a full SVD would take minutes.
 */
export function topSingularValues(
  a: Float64Array,
  m: number,
  n: number,
  p: number,
  iterations: number,
): Float64Array {
  const k = clientKernels();
  let q = k.qr(k.rngNormal(7, 0, m * p), m, p).q;
  for (let it = 0; it < iterations; it++) {
    const z = k.matmul(a, n, m, q, p, { transA: true }); // Aᵀ·Q: n×p
    q = k.qr(k.matmul(a, m, n, z, p), m, p).q;
  }
  const bt = k.matmul(a, n, m, q, p, { transA: true }); // (QᵀA)ᵀ: n×p
  return k.svd(bt, n, p).s;
}
