/**
 * Blocked linear algebra over BlockedArrays, after dask.array: elementwise add, sum, transpose, blocked
 * GEMM, TSQR (Benson, Gleich & Demmel 2013, as `dask.array.linalg.tsqr`), the SVD of a tall-and-skinny
 * array through TSQR, and randomized SVD (`svd_compressed`, Halko, Martinsson & Tropp 2011).
 *
 * GEMM shapes. C_ij = Σ_k A_ik·B_kj is emitted in one of two shapes:
 *
 *   chain (large output blocks)            tree (small output blocks, large operands)
 *   C_ij.0 ─► C_ij.1 ─► … ─► C_ij          P_ij0  P_ij1 … P_ijK      (one product per operand pair)
 *   (each link: acc + A_ik·B_kj)               \    |    /
 *                                                 C_ij                (one combine)
 *
 * A chain link's only consumer is the next link, so an executor runs the whole chain (it becomes each
 * next link) and the accumulator is never stored; operand blocks given as generator specs are
 * regenerated inside the link, so nothing moves at all. A product of small outputs over large operands
 * (A·Ω in randomized SVD) instead runs each product where its large operand is, and only the small
 * partial products travel to the combine. `auto` picks the chain when an output block is at least half
 * as large as the largest operand block.
 */
import { ArrayArgError } from '../errors.js';
import type { Arg, Inline, Key, Task } from '../spec/types.js';
import {
  blockArg,
  blockAt,
  blockKey,
  f64Bytes,
  freshName,
  isGeneratorSpec,
  mergeTasks,
  normalizeChunks,
  random,
  type BlockSource,
  type BlockedArray,
  type Delayed,
} from './blocked.js';
import { ARRAY_OPS } from './op-names.js';

export interface MatmulOptions {
  /** Multiply by aᵀ instead of a. @default false */
  readonly transA?: boolean;
  /** Multiply by bᵀ instead of b. @default false */
  readonly transB?: boolean;
  /** Graph shape, see the module comment. @default 'auto' */
  readonly strategy?: 'auto' | 'chain' | 'tree';
}

interface Operand {
  readonly a: BlockedArray;
  readonly trans: boolean;
  readonly chunks: readonly (readonly number[])[];
}

function operand(a: BlockedArray, trans: boolean, what: string): Operand {
  if (a.shape.length !== 2)
    throw new ArrayArgError(what, `matmul needs 2-D arrays, got [${a.shape.join(', ')}]`);
  return { a, trans, chunks: trans ? [a.chunks[1]!, a.chunks[0]!] : a.chunks };
}

function operandBlock(o: Operand, i: number, k: number): BlockSource {
  return o.trans ? blockAt(o.a, k, i) : blockAt(o.a, i, k);
}

function sameSizes(x: readonly number[], y: readonly number[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** `a @ b` (with optional transposes): blocked GEMM, as a chain or a tree per output block. */
export function matmul(a: BlockedArray, b: BlockedArray, options: MatmulOptions = {}): BlockedArray {
  const A = operand(a, options.transA ?? false, 'matmul(a)');
  const B = operand(b, options.transB ?? false, 'matmul(b)');
  if (!sameSizes(A.chunks[1]!, B.chunks[0]!))
    throw new ArrayArgError(
      'matmul',
      `inner blocks differ: a has column blocks [${A.chunks[1]!.join(', ')}], b has row blocks [${B.chunks[0]!.join(', ')}]`,
    );
  const name = freshName('matmul');
  const tasks = mergeTasks(a.tasks, b.tasks);
  const [rowsA, inner, colsB] = [A.chunks[0]!, A.chunks[1]!, B.chunks[1]!];
  const maxOperand = Math.max(
    Math.max(...rowsA) * Math.max(...inner),
    Math.max(...inner) * Math.max(...colsB),
  );
  const strategy =
    options.strategy && options.strategy !== 'auto'
      ? options.strategy
      : 2 * Math.max(...rowsA) * Math.max(...colsB) >= maxOperand
        ? 'chain'
        : 'tree';
  const blocks: BlockSource[] = [];
  for (let i = 0; i < rowsA.length; i++) {
    for (let j = 0; j < colsB.length; j++) {
      const bytes = f64Bytes(rowsA[i]!, colsB[j]!);
      const key = blockKey(name, [i, j]);
      const product = (k: number, acc: Arg, taskKey: Key): Task => ({
        key: taskKey,
        op: ARRAY_OPS.matmul,
        args: [acc, blockArg(operandBlock(A, i, k)), blockArg(operandBlock(B, k, j)), A.trans, B.trans],
        outputBytes: bytes,
      });
      if (inner.length === 1) {
        tasks.set(key, product(0, null, key));
      } else if (strategy === 'chain') {
        let acc: Arg = null;
        for (let k = 0; k < inner.length; k++) {
          const linkKey = k === inner.length - 1 ? key : `${name}-acc:${i}.${j}.${k}`;
          tasks.set(linkKey, product(k, acc, linkKey));
          acc = { ref: linkKey };
        }
      } else {
        const parts: Arg[] = [];
        for (let k = 0; k < inner.length; k++) {
          const partKey = `${name}-part:${i}.${j}.${k}`;
          tasks.set(partKey, product(k, null, partKey));
          parts.push({ ref: partKey });
        }
        tasks.set(key, { key, op: ARRAY_OPS.combine, args: parts, outputBytes: bytes });
      }
      blocks.push({ ref: key });
    }
  }
  const shape = [A.chunks[0]!.reduce((s, v) => s + v, 0), B.chunks[1]!.reduce((s, v) => s + v, 0)];
  return { name, shape, chunks: [rowsA, colsB], blocks, tasks };
}

/** Applies a one-block op to every block (specs are passed inline and regenerated by the op). */
function blockwise(
  prefix: string,
  inputs: readonly BlockedArray[],
  op: string,
  extra: readonly Inline[],
  shape: readonly number[],
  chunks: readonly (readonly number[])[],
  sourceIndex: (b: number) => number = (b) => b,
): BlockedArray {
  const name = freshName(prefix);
  const tasks = mergeTasks(...inputs.map((x) => x.tasks));
  const cols = chunks[1] ?? [1];
  const blocks: BlockSource[] = [];
  for (let i = 0; i < chunks[0]!.length; i++) {
    for (let j = 0; j < cols.length; j++) {
      const b = i * cols.length + j;
      const key = blockKey(name, chunks.length === 2 ? [i, j] : [i]);
      const args: Arg[] = [...inputs.map((x) => blockArg(x.blocks[sourceIndex(b)]!)), ...extra];
      tasks.set(key, { key, op, args, outputBytes: f64Bytes(chunks[0]![i]!, cols[j]!) });
      blocks.push({ ref: key });
    }
  }
  return { name, shape: [...shape], chunks, blocks, tasks };
}

/** `x + y` for arrays of the same shape and blocks. */
export function add(x: BlockedArray, y: BlockedArray): BlockedArray {
  if (x.chunks.length !== y.chunks.length || x.chunks.some((c, i) => !sameSizes(c, y.chunks[i]!)))
    throw new ArrayArgError(
      'add',
      `arrays of shape [${x.shape.join(', ')}] and [${y.shape.join(', ')}] have different blocks`,
    );
  return blockwise('add', [x, y], ARRAY_OPS.add, [], x.shape, x.chunks);
}

/** `x.T` of a 2-D array: block (j, i) of the result is the transpose of block (i, j). */
export function transpose(x: BlockedArray): BlockedArray {
  if (x.shape.length !== 2) throw new ArrayArgError('transpose', 'needs a 2-D array');
  const cols = x.chunks[1]!.length;
  const rows = x.chunks[0]!.length;
  return blockwise(
    'transpose',
    [x],
    ARRAY_OPS.transpose,
    [],
    [x.shape[1]!, x.shape[0]!],
    [x.chunks[1]!, x.chunks[0]!],
    (b) => (b % rows) * cols + Math.floor(b / rows),
  );
}

/**
 * A tree reduction of per-block values with `op` at the inner nodes (fan-in at most `splitEvery`), like
 * dask's `split_every`. Returns the root.
 */
export function reduceTree(
  prefix: string,
  leaves: readonly Arg[],
  op: string,
  tasks: Map<Key, Task>,
  splitEvery = 8,
  outputBytes = 8,
): Delayed {
  if (leaves.length === 0) throw new ArrayArgError('reduce', 'nothing to reduce');
  if (!Number.isSafeInteger(splitEvery) || splitEvery < 2)
    throw new ArrayArgError('reduce', `splitEvery must be an integer ≥ 2, got ${splitEvery}`);
  const name = freshName(prefix);
  let level: Arg[] = [...leaves];
  let depth = 0;
  do {
    const next: Arg[] = [];
    for (let g = 0; g < level.length; g += splitEvery) {
      const group = level.slice(g, g + splitEvery);
      const key = `${name}:${depth}.${g / splitEvery}`;
      tasks.set(key, { key, op, args: group, outputBytes });
      next.push({ ref: key });
    }
    level = next;
    depth++;
  } while (level.length > 1);
  return { ref: level[0] as { ref: Key }, tasks };
}

/** `x.sum()`: Σ over every element, a per-block sum and a tree of combines. */
export function sum(x: BlockedArray, options: { splitEvery?: number } = {}): Delayed {
  const tasks = mergeTasks(x.tasks);
  const name = freshName('sum-block');
  const partial = x.blocks.map((source, b) => {
    const key = `${name}:${b}`;
    tasks.set(key, { key, op: ARRAY_OPS.sum, args: [blockArg(source)], outputBytes: 8 });
    return { ref: key };
  });
  return reduceTree('sum', partial, ARRAY_OPS.combine, tasks, options.splitEvery);
}

export interface TsqrResult {
  /** Q with orthonormal columns, blocked like the input's rows. */
  readonly q: BlockedArray;
  /** R (n×n), one block. */
  readonly r: BlockedArray;
}

export interface SvdResult {
  /** Left singular vectors, blocked like the input's rows. */
  readonly u: BlockedArray;
  /** Singular values, descending (one block). */
  readonly s: BlockedArray;
  /** Right singular vectors as rows (Vᵀ, as dask's `v`), one block. */
  readonly v: BlockedArray;
}

function single(name: string, key: Key, shape: readonly number[], tasks: Map<Key, Task>): BlockedArray {
  return { name, shape: [...shape], chunks: shape.map((d) => [d]), blocks: [{ ref: key }], tasks };
}

/**
 * TSQR of a tall-and-skinny array (one column block): a QR per row block, one QR of the stacked R factors,
 * then Q_i = Q1_i·Q2_i. With `computeSvd`, the small R is decomposed too and the left factor is folded
 * into Q2_i, giving the SVD of the whole array (dask's `tsqr(..., compute_svd=True)`).
 *
 *   A_0   A_1  …  A_n          qr per block        ─► [Q1_i, R_i]
 *    │     │       │
 *   R_0   R_1  …  R_n ─► reduce (QR of the stack; SVD)  ─► [W_0 … W_n, R] or [W_0 … W_n, S, Vt]
 *   Q1_i · W_i  per block      (Q1_i never leaves its executor when clustering holds it)
 */
function tsqrGraph(
  a: BlockedArray,
  computeSvd: boolean,
  computeQ = true,
): { blocks: BlockSource[]; tail: Key; tasks: Map<Key, Task>; name: string } {
  if (a.shape.length !== 2 || a.chunks[1]!.length !== 1)
    throw new ArrayArgError(
      'tsqr',
      `needs a 2-D array with one column block, got chunks [${a.chunks.map((c) => c.length).join(', ')}]`,
    );
  const cols = a.shape[1]!;
  const rowsPer = a.chunks[0]!;
  const small = rowsPer.findIndex((r) => r < cols);
  if (small >= 0)
    throw new ArrayArgError(
      'tsqr',
      `row block ${small} has ${rowsPer[small]} rows, fewer than the ${cols} columns`,
    );
  const name = freshName(computeSvd ? 'svd' : 'tsqr');
  const tasks = mergeTasks(a.tasks);
  const qs: Key[] = [];
  const rs: Arg[] = [];
  rowsPer.forEach((rows, i) => {
    const qrKey = `${name}-qr:${i}`;
    if (!computeQ) {
      // Only R is needed: the op skips forming Q and returns R itself.
      tasks.set(qrKey, {
        key: qrKey,
        op: ARRAY_OPS.qr,
        args: [blockArg(blockAt(a, i)), false],
        outputBytes: f64Bytes(cols, cols),
      });
      rs.push({ ref: qrKey });
      return;
    }
    tasks.set(qrKey, {
      key: qrKey,
      op: ARRAY_OPS.qr,
      args: [blockArg(blockAt(a, i))],
      outputBytes: f64Bytes(rows + cols, cols),
    });
    const qKey = `${name}-q1:${i}`;
    tasks.set(qKey, {
      key: qKey,
      op: 'getitem',
      args: [{ ref: qrKey }, 0],
      outputBytes: f64Bytes(rows, cols),
    });
    const rKey = `${name}-r1:${i}`;
    tasks.set(rKey, {
      key: rKey,
      op: 'getitem',
      args: [{ ref: qrKey }, 1],
      outputBytes: f64Bytes(cols, cols),
    });
    qs.push(qKey);
    rs.push({ ref: rKey });
  });
  const reduceKey = `${name}-reduce`;
  tasks.set(reduceKey, {
    key: reduceKey,
    op: ARRAY_OPS.tsqrReduce,
    args: [computeSvd, ...rs],
    outputBytes: f64Bytes(rowsPer.length * cols + cols + 1, cols),
  });
  if (!computeQ) return { blocks: [], tail: reduceKey, tasks, name };
  const blocks: BlockSource[] = rowsPer.map((rows, i) => {
    const wKey = `${name}-w:${i}`;
    tasks.set(wKey, {
      key: wKey,
      op: 'getitem',
      args: [{ ref: reduceKey }, i],
      outputBytes: f64Bytes(cols, cols),
    });
    const key = blockKey(name, [i, 0]);
    tasks.set(key, {
      key,
      op: ARRAY_OPS.matmul,
      args: [null, { ref: qs[i]! }, { ref: wKey }, false, false],
      outputBytes: f64Bytes(rows, cols),
    });
    return { ref: key };
  });
  return { blocks, tail: reduceKey, tasks, name };
}

/** `tsqr(a)` → { q, r } for a tall-and-skinny array (dask.array.linalg.tsqr). */
export function tsqr(a: BlockedArray): TsqrResult {
  const g = tsqrGraph(a, false);
  const n = a.chunks[0]!.length;
  const cols = a.shape[1]!;
  const rKey = `${g.name}-r`;
  g.tasks.set(rKey, {
    key: rKey,
    op: 'getitem',
    args: [{ ref: g.tail }, n],
    outputBytes: f64Bytes(cols, cols),
  });
  const q: BlockedArray = {
    name: g.name,
    shape: [...a.shape],
    chunks: a.chunks,
    blocks: g.blocks,
    tasks: g.tasks,
  };
  return { q, r: single(`${g.name}-r`, rKey, [cols, cols], g.tasks) };
}

/**
 * `svd(a)` → { u, s, v } of a tall-and-skinny array through TSQR (dask.array.linalg.svd). With
 * `computeU: false` only s and v are computed: the block QRs skip forming Q, and `u` has no blocks.
 */
export function svd(a: BlockedArray, options: { computeU?: boolean } = {}): SvdResult {
  const computeU = options.computeU ?? true;
  const g = tsqrGraph(a, true, computeU);
  const n = a.chunks[0]!.length;
  const cols = a.shape[1]!;
  const sKey = `${g.name}-s`;
  const vKey = `${g.name}-v`;
  g.tasks.set(sKey, { key: sKey, op: 'getitem', args: [{ ref: g.tail }, n], outputBytes: f64Bytes(cols, 1) });
  g.tasks.set(vKey, {
    key: vKey,
    op: 'getitem',
    args: [{ ref: g.tail }, n + 1],
    outputBytes: f64Bytes(cols, cols),
  });
  return {
    u: computeU
      ? { name: g.name, shape: [...a.shape], chunks: a.chunks, blocks: g.blocks, tasks: g.tasks }
      : { name: g.name, shape: [a.shape[0]!, 0], chunks: [[], []], blocks: [], tasks: g.tasks },
    s: single(sKey, sKey, [cols], g.tasks),
    v: single(vKey, vKey, [cols, cols], g.tasks),
  };
}

export interface SvdCompressedOptions {
  /** Power iterations (each one more pass over the input). @default 0 */
  readonly nPowerIter?: number;
  /** Extra sample columns beyond k. @default 10 */
  readonly oversampling?: number;
  /** Seed of the Gaussian test matrix. @default 0 */
  readonly seed?: number;
  /**
   * When every block of the input is a generator spec, run the last pass (range finder and projection)
   * as strip tasks (see sketchStrips): each input element is generated once instead of once per pass,
   * and nothing waits for a global Q before projecting. Off: the blockwise graph of dask's
   * svd_compressed. @default true
   */
  readonly sketchStrips?: boolean;
  /**
   * Input blocks' worth of rows per strip: a block row of J blocks is cut into ⌈J / stripBlocks⌉ strips
   * (each at least k + oversampling rows tall). Taller strips move less (each strip sends a
   * (k + oversampling) × n factor on) and hold more in kernel memory, shorter ones balance better over
   * few workers. @default 1
   */
  readonly stripBlocks?: number;
}

/** A rectangular part of a one-block array, optionally transposed: one task. */
function sliceTask(
  tasks: Map<Key, Task>,
  key: Key,
  source: Arg,
  rows: [number, number],
  cols: [number, number],
  transposed = false,
  item?: number,
): Arg {
  tasks.set(key, {
    key,
    op: ARRAY_OPS.slice,
    args: [source, rows[0], rows[1], cols[0], cols[1], transposed, ...(item === undefined ? [] : [item])],
    outputBytes: f64Bytes(rows[1], cols[1]),
  });
  return { ref: key };
}

/**
 * Randomized SVD of any 2-D array, after `dask.array.linalg.svd_compressed`: a Gaussian test matrix Ω
 * (n × (k + oversampling)), H = A·Ω, optional power iterations H = A·(Aᵀ·Q), Q = tsqr(H).q, B = Qᵀ·A,
 * then the SVD of the small B through TSQR of Bᵀ. Returns the top k: u (m×k, blocked like A's rows),
 * s (k), v (k×n, blocked like A's columns).
 */
export function svdCompressed(a: BlockedArray, k: number, options: SvdCompressedOptions = {}): SvdResult {
  if (a.shape.length !== 2) throw new ArrayArgError('svdCompressed', 'needs a 2-D array');
  const [m, n] = [a.shape[0]!, a.shape[1]!];
  if (!Number.isSafeInteger(k) || k < 1 || k > Math.min(m, n))
    throw new ArrayArgError('svdCompressed', `k must be an integer in [1, ${Math.min(m, n)}], got ${k}`);
  const oversampling = options.oversampling ?? 10;
  const nPowerIter = options.nPowerIter ?? 0;
  if (!Number.isSafeInteger(oversampling) || oversampling < 0)
    throw new ArrayArgError(
      'svdCompressed',
      `oversampling must be a non-negative integer, got ${oversampling}`,
    );
  if (!Number.isSafeInteger(nPowerIter) || nPowerIter < 0)
    throw new ArrayArgError('svdCompressed', `nPowerIter must be a non-negative integer, got ${nPowerIter}`);
  const stripBlocks = options.stripBlocks ?? 1;
  if (!(stripBlocks > 0))
    throw new ArrayArgError('svdCompressed', `stripBlocks must be positive, got ${stripBlocks}`);
  const comp = Math.min(m, n, k + oversampling);
  const omega = random([n, comp], [a.chunks[1]!, [comp]], options.seed ?? 0, 'normal');
  if ((options.sketchStrips ?? true) && a.blocks.every(isGeneratorSpec)) {
    let y = omega;
    for (let it = 0; it < nPowerIter; it++) y = matmul(a, tsqr(matmul(a, y)).q, { transA: true });
    return sketchStrips(a, y, k, comp, stripBlocks);
  }
  let h = matmul(a, omega);
  for (let it = 0; it < nPowerIter; it++) {
    const q = tsqr(h).q;
    h = matmul(a, matmul(a, q, { transA: true }));
  }
  const q = tsqr(h).q;
  const b = matmul(q, a, { transA: true }); // comp × n, blocked ([comp], a's column blocks)
  const bt = transpose(b); // n × comp: tall and skinny
  const inner = svd(bt); // Bᵀ = Ub·diag(S)·Vb  ⇒  A ≈ Q·B = (Q·Vbᵀ)·diag(S)·Ubᵀ
  const name = freshName('svd-compressed');
  const tasks = mergeTasks(inner.u.tasks, q.tasks);
  const vbTop = sliceTask(tasks, `${name}-vb`, blockArg(inner.v.blocks[0]!), [0, k], [0, comp]);
  const uBlocks: BlockSource[] = a.chunks[0]!.map((rows, i) => {
    const key = blockKey(`${name}-u`, [i, 0]);
    tasks.set(key, {
      key,
      op: ARRAY_OPS.matmul,
      args: [null, blockArg(blockAt(q, i)), vbTop, false, true],
      outputBytes: f64Bytes(rows, k),
    });
    return { ref: key };
  });
  const vBlocks: BlockSource[] = a.chunks[1]!.map((cols, j) => {
    return sliceTask(
      tasks,
      blockKey(`${name}-v`, [0, j]),
      blockArg(blockAt(inner.u, j)),
      [0, cols],
      [0, k],
      true,
    ) as BlockSource;
  });
  const sKey = `${name}-s`;
  sliceTask(tasks, sKey, blockArg(inner.s.blocks[0]!), [0, k], [0, 1]);
  return {
    u: { name: `${name}-u`, shape: [m, k], chunks: [a.chunks[0]!, [k]], blocks: uBlocks, tasks },
    s: { name: sKey, shape: [k], chunks: [[k]], blocks: [{ ref: sKey }], tasks },
    v: { name: `${name}-v`, shape: [k, n], chunks: [[k], a.chunks[1]!], blocks: vBlocks, tasks },
  };
}

/**
 * The last pass of randomized SVD over an input whose blocks are generator specs, in row strips:
 *
 *   strip s (rows of one block row, all its column blocks): H_s = A_s·Y, H_s = Q1_s·R_s, C_s = Q1_sᵀ·A_s
 *        │ [Q1_s, R_s, C_s]                     (A_s generated once, used twice, never stored)
 *        ▼
 *   sketch-svd: TSQR of [R_0 … R_{S−1}] ─► W_s (Q = [Q1_s·W_s], the TSQR of H = A·Y),
 *               B = Σ_s W_sᵀ·C_s = QᵀA, svd(B) = Ub·S·Vt     ─► [Ub, S, Vt, W_0 … W_{S−1}]
 *        ▼
 *   u_i = [Q1_s·W_s]_{s in block row i}·Ub[:, :k]   (sketch-u, one per block row)
 *   v_j = Vt[:k, columns of j],  s = S[:k]          (slices of the svd's output)
 *
 * The result is the same factorisation as the blockwise graph (TSQR partitioned by strips, sums in
 * another order: equal to rounding), with every input element generated once instead of once per pass
 * and no projection waiting for a global Q. A block row of J blocks is cut into ⌈J / stripBlocks⌉
 * strips, each at least comp rows tall.
 */
function sketchStrips(
  a: BlockedArray,
  y: BlockedArray,
  k: number,
  comp: number,
  stripBlocks: number,
): SvdResult {
  const [m, n] = [a.shape[0]!, a.shape[1]!];
  const name = freshName('svd-compressed');
  const tasks = mergeTasks(a.tasks, y.tasks);
  const [rowsPer, colsPer] = [a.chunks[0]!, a.chunks[1]!];
  const ys = colsPer.map((_, j) => blockArg(blockAt(y, j)));
  const rowStrips: Arg[][] = [];
  const firstStrip: number[] = [];
  let stripCount = 0;
  rowsPer.forEach((rows, i) => {
    const count = Math.max(1, Math.min(Math.ceil(colsPer.length / stripBlocks), Math.floor(rows / comp)));
    firstStrip.push(stripCount);
    const strips: Arg[] = [];
    for (let p = 0; p < count; p++) {
      const row0 = Math.floor((p * rows) / count);
      const height = Math.floor(((p + 1) * rows) / count) - row0;
      const kq = Math.min(height, comp);
      const key = `${name}-strip:${i}.${p}`;
      tasks.set(key, {
        key,
        op: ARRAY_OPS.sketchStrip,
        args: [row0, height, ...colsPer.map((_, j) => blockArg(blockAt(a, i, j))), ...ys],
        outputBytes: f64Bytes(height + kq, comp) + f64Bytes(kq, n),
      });
      stripCount++;
      strips.push({ ref: key });
    }
    rowStrips.push(strips);
  });
  // The TSQR factors W_s of the strips' R factors, B = QᵀA = Σ_s W_sᵀ·C_s and its SVD, in one task that
  // meets every strip's output.
  const svdKey = `${name}-svd`;
  tasks.set(svdKey, {
    key: svdKey,
    op: ARRAY_OPS.sketchSvd,
    args: rowStrips.flat(),
    outputBytes: f64Bytes(comp + 1 + n + stripCount * comp, comp),
  });
  const svdOut: Arg = { ref: svdKey };
  const uBlocks: BlockSource[] = rowStrips.map((strips, i) => {
    const key = blockKey(`${name}-u`, [i, 0]);
    tasks.set(key, {
      key,
      op: ARRAY_OPS.sketchU,
      args: [svdOut, k, firstStrip[i]!, ...strips],
      outputBytes: f64Bytes(rowsPer[i]!, k),
    });
    return { ref: key };
  });
  let col = 0;
  const vBlocks: BlockSource[] = colsPer.map((cols, j) => {
    const block = sliceTask(tasks, blockKey(`${name}-v`, [0, j]), svdOut, [0, k], [col, cols], false, 2);
    col += cols;
    return block as BlockSource;
  });
  const sKey = `${name}-s`;
  sliceTask(tasks, sKey, svdOut, [0, k], [0, 1], false, 1);
  return {
    u: { name: `${name}-u`, shape: [m, k], chunks: [rowsPer, [k]], blocks: uBlocks, tasks },
    s: { name: sKey, shape: [k], chunks: [[k]], blocks: [{ ref: sKey }], tasks },
    v: { name: `${name}-v`, shape: [k, n], chunks: [[k], colsPer], blocks: vBlocks, tasks },
  };
}

export { normalizeChunks };
