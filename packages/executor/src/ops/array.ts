/**
 * Ops of the blocked-array API (names from @wukong/graph's ARRAY_OPS): each runs one block's worth of
 * work in the WebAssembly kernels. Tensors stay raw f64 buffers: a stored block arrives as an NDArray view,
 * is copied once into kernel memory, and the result is copied once out into a fresh Float64Array (or an
 * operand given as a generator spec is generated straight into kernel memory).
 */
import { ARRAY_OPS, isNDArray, type NDArray } from '@wukong/graph';
import { GEMM_K_BLOCK, type F64Buffer, type GemmParams, type Kernels } from '@wukong/kernels';
import { BadOpArgsError } from '../errors.js';
import type { Value } from '../values.js';
import {
  arrayBlock,
  f64,
  generatedRows,
  generateOut,
  kernels,
  operandBlock,
  operandRows,
  release,
  viewOf,
  type Block,
  type RowSource,
} from './blocks.js';
import type { OpDefinition } from './registry.js';

function flag(op: string, v: Value | undefined, what: string): boolean {
  if (v === undefined || v === null) return false;
  if (typeof v !== 'boolean') throw new BadOpArgsError(op, `${what} must be a boolean`);
  return v;
}

function int(op: string, v: Value | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new BadOpArgsError(op, `${what} must be a non-negative integer`);
  return v;
}

/** Runs `body` with the operands as blocks, freeing generated ones afterwards. */
async function withBlocks<T>(
  op: string,
  values: readonly Value[],
  body: (k: Kernels, blocks: Block[]) => T,
): Promise<T> {
  const k = await kernels();
  const blocks: Block[] = [];
  try {
    values.forEach((v, i) => blocks.push(operandBlock(k, op, v, `operand ${i}`)));
    return body(k, blocks);
  } finally {
    release(k, ...blocks);
  }
}

/** Bytes of one panel of a streamed GEMM operand (see streamedGemm): about a core's L2. */
const PANEL_BYTES = 2 * 1024 * 1024;

/** Array operands at least this large are streamed through the GEMM in panels instead of staged whole. */
const STREAM_ARRAY_BYTES = 2 * PANEL_BYTES;

/** A large f64 array operand as a RowSource (its rows copied into kernel memory a panel at a time). */
function arrayRows(v: Value | undefined): RowSource | undefined {
  if (!isNDArray(v) || v.dtype !== 'f64' || !(v.data instanceof Float64Array) || v.shape.length !== 2)
    return undefined;
  const data = v.data;
  const [rows, cols] = [v.shape[0]!, v.shape[1]!];
  if (data.length !== rows * cols || data.length * 8 < STREAM_ARRAY_BYTES) return undefined;
  return {
    rows,
    cols,
    fill(dst, row0, count) {
      dst.view.set(data.subarray(row0 * cols, (row0 + count) * cols));
    },
  };
}

/**
 * C ← β·C + op(A)·op(B) where one operand (`big`, stored rows×cols) is produced a panel of stored rows
 * at a time into one small kernel buffer, so it is never whole in kernel memory (a generated block is
 * generated straight into the panel the GEMM packs from; an array is copied in a cache-sized piece at a
 * time). Stored rows of the big operand index either C's rows/columns (A, or Bᵀ) — each panel is then a
 * separate block of C — or the inner dimension k (Aᵀ, or B) — panels are then multiples of GEMM_K_BLOCK
 * deep and accumulate with β = 1. Both splits give bit for bit the result of a single GEMM call.
 */
function streamedGemm(
  k: Kernels,
  big: RowSource,
  bigIsA: boolean,
  other: F64Buffer,
  shape: { m: number; n: number; kk: number; transA: boolean; transB: boolean },
  c: F64Buffer,
  beta: number,
): void {
  const { m, n, kk, transA, transB } = shape;
  const outer = bigIsA ? !transA : transB;
  const rowBytes = Math.max(1, big.cols) * 8;
  const step = outer
    ? Math.max(1, Math.floor(PANEL_BYTES / rowBytes))
    : GEMM_K_BLOCK * Math.max(1, Math.floor(PANEL_BYTES / (GEMM_K_BLOCK * rowBytes)));
  const panel = k.alloc(Math.max(1, Math.min(step, big.rows) * big.cols));
  try {
    for (let r0 = 0; r0 < big.rows; r0 += step) {
      const rows = Math.min(step, big.rows - r0);
      big.fill(panel, r0, rows);
      let p: GemmParams;
      if (outer && bigIsA) {
        // Rows r0… of op(A) = A: rows r0… of C.
        p = { m: rows, n, k: kk, a: panel, b: other, c, beta, transB, cOffset: r0 * n, ldc: n };
      } else if (outer) {
        // Rows r0… of the stored Bᵀ = columns r0… of op(B): columns r0… of C.
        p = { m, n: rows, k: kk, a: other, b: panel, c, beta, transA, transB, cOffset: r0, ldc: n };
      } else if (bigIsA) {
        // Rows r0… of the stored Aᵀ = terms r0… of k; B's matching rows (or Bᵀ's columns).
        p = {
          m,
          n,
          k: rows,
          a: panel,
          b: other,
          c,
          beta: r0 === 0 ? beta : 1,
          transA,
          transB,
          bOffset: transB ? r0 : r0 * n,
          ldb: transB ? kk : n,
        };
      } else {
        // Rows r0… of B = terms r0… of k; A's matching columns (or Aᵀ's rows).
        p = {
          m,
          n,
          k: rows,
          a: other,
          b: panel,
          c,
          beta: r0 === 0 ? beta : 1,
          transA,
          aOffset: transA ? r0 * m : r0,
          lda: transA ? m : kk,
        };
      }
      k.gemm(p);
    }
  } finally {
    k.free(panel);
  }
}

/**
 * acc + op(a)·op(b) through the GEMM with β = 1. A large generated or array operand is streamed in
 * panels (streamedGemm); otherwise both operands are staged whole.
 */
async function matmul(args: readonly Value[]): Promise<Value> {
  const op = ARRAY_OPS.matmul;
  const [acc, a, b] = args;
  const transA = flag(op, args[3], 'transA');
  const transB = flag(op, args[4], 'transB');
  const k = await kernels();
  let A: Block | undefined;
  let B: Block | undefined;
  let c: F64Buffer | undefined;
  let staged: F64Buffer | undefined;
  try {
    const bigA = generatedRows(k, op, a!, 'a') ?? arrayRows(a);
    const bigB = bigA ? undefined : (generatedRows(k, op, b!, 'b') ?? arrayRows(b));
    const big = bigA ?? bigB;
    if (!bigA) A = operandBlock(k, op, a!, 'a');
    if (!bigB) B = operandBlock(k, op, b!, 'b');
    const [aRows, aCols] = bigA ? [bigA.rows, bigA.cols] : [A!.rows, A!.cols];
    const [bRows, bCols] = bigB ? [bigB.rows, bigB.cols] : [B!.rows, B!.cols];
    const [m, kk] = transA ? [aCols, aRows] : [aRows, aCols];
    const [kb, n] = transB ? [bCols, bRows] : [bRows, bCols];
    if (kk !== kb) throw new BadOpArgsError(op, `inner dimensions differ: ${m}×${kk} · ${kb}×${n}`);
    c = k.alloc(Math.max(1, m * n));
    let beta = 0;
    if (acc !== null && acc !== undefined) {
      const C = arrayBlock(op, acc, 'acc');
      if (C.rows !== m || C.cols !== n)
        throw new BadOpArgsError(op, `acc is ${C.rows}×${C.cols}, the product is ${m}×${n}`);
      c.view.set(viewOf(C));
      beta = 1;
    }
    if (big) {
      // The other operand is used once per panel: stage it into kernel memory once.
      const other = (bigA ? B : A)!;
      const otherBuf = other.data instanceof Float64Array ? (staged = k.fromArray(other.data)) : other.data;
      streamedGemm(k, big, bigA !== undefined, otherBuf, { m, n, kk, transA, transB }, c, beta);
    } else {
      k.gemm({ m, n, k: kk, a: A!.data, b: B!.data, c, beta, transA, transB });
    }
    return f64([m, n], c.view.slice(0, m * n));
  } finally {
    release(k, A, B);
    if (staged) k.free(staged);
    if (c) k.free(c);
  }
}

function sumTerms(op: string, k: Kernels, terms: readonly Value[]): Value {
  if (terms.length === 0) throw new BadOpArgsError(op, 'needs at least one term');
  if (terms.every((t) => typeof t === 'number')) return (terms as number[]).reduce((s, t) => s + t, 0);
  const first = terms[0]!;
  if (!isNDArray(first)) throw new BadOpArgsError(op, 'terms must all be numbers or all be f64 arrays');
  const acc = k.alloc(Math.max(1, first.data.length));
  try {
    acc.view.fill(0);
    for (const t of terms) {
      if (!isNDArray(t) || !(t.data instanceof Float64Array) || t.data.length !== first.data.length)
        throw new BadOpArgsError(op, 'terms must be f64 arrays of one shape');
      k.axpy(1, t.data, acc);
    }
    return f64(first.shape, acc.view.slice(0, first.data.length));
  } finally {
    k.free(acc);
  }
}

/** Entry `item` of a list output. */
function listItem(op: string, list: Value | undefined, item: Value | undefined): Value {
  const at = int(op, item, 'item');
  if (!Array.isArray(list) || at >= list.length)
    throw new BadOpArgsError(op, `item ${at} of a list output: x is not a list that long`);
  return list[at] as Value;
}

function numbers(op: string, terms: readonly Value[]): number[] {
  return terms.map((t) => {
    if (typeof t !== 'number') throw new BadOpArgsError(op, 'terms must be numbers');
    return t;
  });
}

/** Copies rows [r0, r0+rows) × cols [c0, c0+cols) of a row-major matrix, optionally transposed. */
function cut(
  x: Float64Array,
  ld: number,
  r0: number,
  rows: number,
  c0: number,
  cols: number,
  transposed: boolean,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const src = (r0 + r) * ld + c0;
    if (!transposed) out.set(x.subarray(src, src + cols), r * cols);
    else for (let c = 0; c < cols; c++) out[c * rows + r] = x[src + c]!;
  }
  return out;
}

/**
 * QR of one block: the kernels' blocked Householder QR (compact WY through GEMM), or R alone when Q is
 * not needed (TSQR's first level without U, SVD without U).
 */
function blockQr(k: Kernels, x: Block, computeQ: boolean): { q?: Float64Array; r: Float64Array } {
  return computeQ ? k.qr(x.data, x.rows, x.cols) : { r: k.qrR(x.data, x.rows, x.cols) };
}

/** TSQR's reduction: QR of the stacked R factors, then (optionally) the SVD of the final R. */
async function tsqrReduce(args: readonly Value[]): Promise<Value> {
  const op = ARRAY_OPS.tsqrReduce;
  const computeSvd = flag(op, args[0], 'computeSvd');
  const rs = args.slice(1).map((v, i) => arrayBlock(op, v, `R_${i}`));
  const n = rs[0]!.cols;
  if (rs.some((r) => r.cols !== n)) throw new BadOpArgsError(op, 'R factors have different widths');
  const total = rs.reduce((s, r) => s + r.rows, 0);
  if (total < n)
    throw new BadOpArgsError(op, `the stacked R factors have ${total} rows, fewer than ${n} columns`);
  const k = await kernels();
  const stacked = new Float64Array(total * n);
  let at = 0;
  for (const r of rs) {
    stacked.set(viewOf(r), at);
    at += r.rows * n;
  }
  const { q, r } = k.qr(stacked, total, n);
  const pieces: Float64Array[] = [];
  let w = q;
  let tail: Value[] = [f64([n, n], r)];
  if (computeSvd) {
    const { u, s, vt } = k.svd(r, n, n);
    w = k.matmul(q, total, n, u, n);
    tail = [f64([n], s), f64([n, n], vt)];
  }
  at = 0;
  for (const part of rs) {
    pieces.push(w.slice(at * n, (at + part.rows) * n));
    at += part.rows;
  }
  return [...pieces.map((p, i) => f64([rs[i]!.rows, n], p)), ...tail];
}

/**
 * Randomized SVD's range finder and projection over one strip of rows of A, with every element of the
 * strip produced once (generated, for generator specs) and used by both products while it is in kernel
 * memory: H = Σ_j A_j·Y_j, H = Q1·R (Householder), C = Q1ᵀ·[A_0 … A_{J−1}]. A TSQR reduction over the
 * strips' R factors then gives W_s with Q = [Q1_s·W_s], and QᵀA = Σ_s W_sᵀ·C_s.
 */
async function sketchStrip(args: readonly Value[]): Promise<Value> {
  const op = ARRAY_OPS.sketchStrip;
  const row0 = int(op, args[0], 'row0');
  const rows = int(op, args[1], 'rows');
  const operands = args.slice(2);
  if (operands.length === 0 || operands.length % 2 !== 0)
    throw new BadOpArgsError(op, 'needs blocks a_0 … a_{J−1} of A and as many row blocks y_0 … y_{J−1} of Y');
  const parts = operands.length / 2;
  const k = await kernels();
  const strips: Block[] = [];
  const sketches: Block[] = [];
  const temps: F64Buffer[] = [];
  try {
    let width = 0;
    let comp = -1;
    for (let j = 0; j < parts; j++) {
      const y = operandBlock(k, op, operands[parts + j]!, `y_${j}`);
      sketches.push(y);
      if (comp === -1) comp = y.cols;
      else if (y.cols !== comp) throw new BadOpArgsError(op, `y_${j} has ${y.cols} columns, y_0 has ${comp}`);
      const a = operandRows(k, op, operands[j]!, `a_${j}`, row0, rows);
      strips.push(a);
      if (y.rows !== a.cols)
        throw new BadOpArgsError(op, `y_${j} has ${y.rows} rows, a_${j} has ${a.cols} columns`);
      width += a.cols;
    }
    // H through the unpacked thin GEMM, Y's rows padded with zeros to a multiple of 4 columns.
    const padded = Math.ceil(comp / 4) * 4;
    const hp = k.alloc(Math.max(1, rows * padded));
    temps.push(hp);
    strips.forEach((a, j) => {
      const y = sketches[j]!;
      const yp = k.alloc(Math.max(1, y.rows * padded));
      temps.push(yp);
      const [src, dst] = [viewOf(y), yp.view];
      if (padded === comp) dst.set(src.subarray(0, y.rows * comp));
      else
        for (let r = 0; r < y.rows; r++) {
          dst.set(src.subarray(r * comp, (r + 1) * comp), r * padded);
          dst.fill(0, r * padded + comp, (r + 1) * padded);
        }
      k.gemmABThin({ m: rows, n: padded, k: a.cols, a: a.data, b: yp, c: hp, beta: j === 0 ? 0 : 1 });
    });
    let h = hp;
    if (padded !== comp) {
      h = k.alloc(Math.max(1, rows * comp));
      temps.push(h);
      const [src, dst] = [hp.view, h.view];
      for (let r = 0; r < rows; r++) dst.set(src.subarray(r * padded, r * padded + comp), r * comp);
    }
    const { q: q1, r } = k.qr(h, rows, comp);
    const kq = Math.min(rows, comp);
    const q = k.fromArray(q1);
    temps.push(q);
    const c = k.alloc(Math.max(1, kq * width));
    temps.push(c);
    // Last generated first: the most recently touched pieces are the likeliest still in cache.
    let col = width;
    for (let j = strips.length - 1; j >= 0; j--) {
      const a = strips[j]!;
      col -= a.cols;
      k.gemmAtB({ m: kq, n: a.cols, k: rows, a: q, b: a.data, c, cOffset: col, ldc: width });
    }
    return [f64([rows, kq], q1), f64([kq, comp], r), f64([kq, width], c.view.slice(0, kq * width))];
  } finally {
    release(k, ...strips, ...sketches);
    for (const t of temps) k.free(t);
  }
}

/** A sketchStrip output [Q1, R, C] as blocks. */
function stripParts(op: string, strip: Value | undefined, t: number): { q1: Block; r: Block; c: Block } {
  if (!Array.isArray(strip) || strip.length !== 3)
    throw new BadOpArgsError(op, `strip_${t} must be a sketch-strip output [Q1, R, C]`);
  const q1 = arrayBlock(op, strip[0] as Value, `strip_${t} Q1`);
  const r = arrayBlock(op, strip[1] as Value, `strip_${t} R`);
  const c = arrayBlock(op, strip[2] as Value, `strip_${t} C`);
  if (r.rows !== q1.cols || c.rows !== q1.cols)
    throw new BadOpArgsError(op, `strip_${t}: Q1 has ${q1.cols} columns, R ${r.rows} rows, C ${c.rows} rows`);
  return { q1, r, c };
}

/**
 * [U, S, Vt, W_0, …, W_{S−1}]: the TSQR reduction of the strips' R factors (W_s, with Q = [Q1_s·W_s])
 * and the SVD of B = QᵀA = Σ_s W_sᵀ·C_s.
 */
async function sketchSvd(args: readonly Value[]): Promise<Value> {
  const op = ARRAY_OPS.sketchSvd;
  if (args.length === 0) throw new BadOpArgsError(op, 'needs at least one strip');
  const strips = args.map((strip, t) => stripParts(op, strip, t));
  const [comp, width] = [strips[0]!.r.cols, strips[0]!.c.cols];
  if (strips.some((p) => p.r.cols !== comp || p.c.cols !== width))
    throw new BadOpArgsError(op, 'strips of different widths');
  const tsqr = (await tsqrReduce([false, ...args.map((strip) => (strip as Value[])[1]!)])) as Value[];
  const ws = tsqr.slice(0, strips.length) as NDArray[];
  const k = await kernels();
  const b = k.alloc(Math.max(1, comp * width));
  try {
    strips.forEach(({ c }, t) =>
      k.gemmAtB({
        m: comp,
        n: width,
        k: c.rows,
        a: ws[t]!.data as Float64Array,
        b: c.data,
        c: b,
        beta: t === 0 ? 0 : 1,
      }),
    );
    const { u, s, vt } = k.svd(b, comp, width);
    const kk = Math.min(comp, width);
    return [f64([comp, kk], u), f64([kk], s), f64([kk, width], vt), ...ws];
  } finally {
    k.free(b);
  }
}

/**
 * The rows of Q of strips first, first + 1, … (Q1_t·W_{first+t}, stacked) times the first k columns of
 * U, from svd = [U, S, Vt, W_0, …] (sketchSvd).
 */
async function sketchU(args: readonly Value[]): Promise<Value> {
  const op = ARRAY_OPS.sketchU;
  const svd = args[0];
  if (!Array.isArray(svd) || svd.length < 4)
    throw new BadOpArgsError(op, 'svd must be the list a sketch-svd returns [U, S, Vt, W_0, …]');
  const u = arrayBlock(op, svd[0] as Value, 'U');
  const kk = int(op, args[1], 'k');
  if (kk > u.cols) throw new BadOpArgsError(op, `k = ${kk} exceeds U's ${u.cols} columns`);
  const first = int(op, args[2], 'first');
  const strips = args.slice(3);
  if (strips.length === 0) throw new BadOpArgsError(op, 'needs at least one strip');
  if (3 + first + strips.length > svd.length)
    throw new BadOpArgsError(
      op,
      `strips ${first}…${first + strips.length - 1} exceed the ${svd.length - 3} factors`,
    );
  const comp = u.rows;
  const k = await kernels();
  const uk = cut(viewOf(u), u.cols, 0, comp, 0, kk, false); // U[:, :k], comp × k
  const parts = strips.map((strip, t) => {
    const { q1 } = stripParts(op, strip, t);
    const w = arrayBlock(op, svd[3 + first + t] as Value, `W_${first + t}`);
    if (w.rows !== q1.cols || w.cols !== comp)
      throw new BadOpArgsError(
        op,
        `W_${first + t} is ${w.rows}×${w.cols}, strip_${t}'s Q1 has ${q1.cols} columns`,
      );
    return { q1, w };
  });
  const rows = parts.reduce((s, p) => s + p.q1.rows, 0);
  const out = new Float64Array(rows * kk);
  let at = 0;
  for (const { q1, w } of parts) {
    const wk = k.matmul(w.data, w.rows, comp, uk, kk); // W_s·U[:, :k]: small
    out.set(k.matmul(q1.data, q1.rows, q1.cols, wk, kk), at);
    at += q1.rows * kk;
  }
  return f64([rows, kk], out);
}

export const arrayOps: readonly OpDefinition[] = [
  {
    name: ARRAY_OPS.block,
    doc: 'array.block(spec | x) — the block a generator spec describes (or x itself), as an f64 array.',
    minArgs: 1,
    maxArgs: 1,
    run: async (args) => {
      const v = args[0]!;
      const k = await kernels();
      // A large generated block goes straight to its output array, a piece at a time.
      const big = generatedRows(k, ARRAY_OPS.block, v, 'spec');
      if (big) return f64([big.rows, big.cols], generateOut(k, big));
      return withBlocks(ARRAY_OPS.block, args, (_k, [b]) => {
        if (isNDArray(v)) return v;
        const one = Array.isArray(v) && v[0] === 'classification-y';
        return f64(one ? [b!.rows] : [b!.rows, b!.cols], viewOf(b!).slice(0, b!.rows * b!.cols));
      });
    },
  },
  {
    name: ARRAY_OPS.matmul,
    doc: 'array.matmul(acc | null, a, b, transA?, transB?) — acc + op(a)·op(b); a, b blocks or generator specs.',
    minArgs: 3,
    maxArgs: 5,
    run: matmul,
  },
  {
    name: ARRAY_OPS.add,
    doc: 'array.add(x, y) — elementwise sum of two blocks of one shape.',
    minArgs: 2,
    maxArgs: 2,
    run: (args) =>
      withBlocks(ARRAY_OPS.add, args, (k, [x, y]) => {
        if (x!.rows !== y!.rows || x!.cols !== y!.cols)
          throw new BadOpArgsError(
            ARRAY_OPS.add,
            `shapes differ: ${x!.rows}×${x!.cols} vs ${y!.rows}×${y!.cols}`,
          );
        const shape = isNDArray(args[0]) ? args[0].shape : [x!.rows, x!.cols];
        return f64(shape, k.add(x!.data, y!.data));
      }),
  },
  {
    name: ARRAY_OPS.sum,
    doc: 'array.sum(x) — the sum of every element of a block.',
    minArgs: 1,
    maxArgs: 1,
    run: (args) => withBlocks(ARRAY_OPS.sum, args, (k, [x]) => k.sum(x!.data)),
  },
  {
    name: ARRAY_OPS.combine,
    doc: 'array.combine(x, y, ...) — sum of numbers, or elementwise sum of f64 arrays of one shape.',
    minArgs: 1,
    maxArgs: Infinity,
    run: async (args) => sumTerms(ARRAY_OPS.combine, await kernels(), args),
  },
  {
    name: ARRAY_OPS.max,
    doc: 'array.max(x, y, ...) — the largest of numbers (NaN if any is NaN).',
    minArgs: 1,
    maxArgs: Infinity,
    run: (args) =>
      numbers(ARRAY_OPS.max, args).reduce((m, v) =>
        Number.isNaN(m) || Number.isNaN(v) ? NaN : Math.max(m, v),
      ),
  },
  {
    name: ARRAY_OPS.transpose,
    doc: 'array.transpose(x) — the transpose of a 2-D block.',
    minArgs: 1,
    maxArgs: 1,
    run: (args) =>
      withBlocks(ARRAY_OPS.transpose, args, (k, [x]) =>
        f64([x!.cols, x!.rows], k.transpose(x!.data, x!.rows, x!.cols)),
      ),
  },
  {
    name: ARRAY_OPS.qr,
    doc: 'array.qr(x, computeQ?) — [Q, R], the thin QR of a block (computeQ false: R alone).',
    minArgs: 1,
    maxArgs: 2,
    run: (args) =>
      withBlocks(ARRAY_OPS.qr, args.slice(0, 1), (k, [x]) => {
        const computeQ = args[1] === undefined ? true : flag(ARRAY_OPS.qr, args[1], 'computeQ');
        const { q, r } = blockQr(k, x!, computeQ);
        const kk = Math.min(x!.rows, x!.cols);
        const rArray = f64([kk, x!.cols], r);
        return computeQ ? [f64([x!.rows, kk], q!), rArray] : rArray;
      }),
  },
  {
    name: ARRAY_OPS.tsqrReduce,
    doc: 'array.tsqr-reduce(computeSvd, R_0, ...) — QR of the stacked R factors: [W_0, ..., R] or [W_0, ..., S, Vt].',
    minArgs: 2,
    maxArgs: Infinity,
    run: tsqrReduce,
  },
  {
    name: ARRAY_OPS.svd,
    doc: 'array.svd(x, ...) — [U, S, Vt], the thin SVD of a block (of the sum of the blocks, when several are given).',
    minArgs: 1,
    maxArgs: Infinity,
    run: async (args) => {
      const terms = args.length > 1 ? [sumTerms(ARRAY_OPS.svd, await kernels(), args)] : args;
      return withBlocks(ARRAY_OPS.svd, terms, (k, [x]) => {
        const { u, s, vt } = k.svd(x!.data, x!.rows, x!.cols);
        const kk = Math.min(x!.rows, x!.cols);
        return [f64([x!.rows, kk], u), f64([kk], s), f64([kk, x!.cols], vt)];
      });
    },
  },
  {
    name: ARRAY_OPS.slice,
    doc: 'array.slice(x, row0, rows, col0, cols, transposed?, item?) — a rectangular part of a block (1-D blocks are columns); with item, of entry item of the list x.',
    minArgs: 5,
    maxArgs: 7,
    run: (given) => {
      const args =
        given.length > 6 ? [listItem(ARRAY_OPS.slice, given[0], given[6]), ...given.slice(1)] : given;
      return withBlocks(ARRAY_OPS.slice, args.slice(0, 1), (_k, [x]) => {
        const op = ARRAY_OPS.slice;
        const [r0, rows, c0, cols] = [1, 2, 3, 4].map((i) =>
          int(op, args[i], ['row0', 'rows', 'col0', 'cols'][i - 1]!),
        );
        const transposed = flag(op, args[5], 'transposed');
        if (r0! + rows! > x!.rows || c0! + cols! > x!.cols)
          throw new BadOpArgsError(
            op,
            `slice [${r0}+${rows}, ${c0}+${cols}] exceeds a ${x!.rows}×${x!.cols} block`,
          );
        const out = cut(viewOf(x!), x!.cols, r0!, rows!, c0!, cols!, transposed);
        const oneD = isNDArray(args[0]) && args[0].shape.length === 1 && !transposed;
        return f64(oneD ? [rows!] : transposed ? [cols!, rows!] : [rows!, cols!], out);
      });
    },
  },
  {
    name: ARRAY_OPS.maxAbsDiff,
    doc: 'array.max-abs-diff(x, y) — max |x − y| over two blocks of one shape.',
    minArgs: 2,
    maxArgs: 2,
    run: (args) =>
      withBlocks(ARRAY_OPS.maxAbsDiff, args, (k, [x, y]) => {
        if (x!.rows * x!.cols !== y!.rows * y!.cols)
          throw new BadOpArgsError(ARRAY_OPS.maxAbsDiff, 'sizes differ');
        return k.maxAbsDiff(x!.data, y!.data);
      }),
  },
  {
    name: ARRAY_OPS.gram,
    doc: 'array.gram(x) — xᵀ·x of a block.',
    minArgs: 1,
    maxArgs: 1,
    run: (args) =>
      withBlocks(ARRAY_OPS.gram, args, (k, [x]) =>
        f64([x!.cols, x!.cols], k.matmul(x!.data, x!.cols, x!.rows, x!.data, x!.cols, { transA: true })),
      ),
  },
  {
    name: ARRAY_OPS.maxAbsIdentityDiff,
    doc: 'array.max-abs-identity-diff(g) — max |g − I| of a square block.',
    minArgs: 1,
    maxArgs: 1,
    run: (args) =>
      withBlocks(ARRAY_OPS.maxAbsIdentityDiff, args, (_k, [g]) => {
        if (g!.rows !== g!.cols)
          throw new BadOpArgsError(ARRAY_OPS.maxAbsIdentityDiff, 'needs a square block');
        const v = viewOf(g!);
        let worst = 0;
        for (let i = 0; i < g!.rows; i++)
          for (let j = 0; j < g!.cols; j++)
            worst = Math.max(worst, Math.abs(v[i * g!.cols + j]! - (i === j ? 1 : 0)));
        return worst;
      }),
  },
  {
    name: ARRAY_OPS.reconstructionError,
    doc: 'array.reconstruction-error(a, u, s, vt) — max |a − u·diag(s)·vt| over a row block.',
    minArgs: 4,
    maxArgs: 4,
    run: (args) =>
      withBlocks(ARRAY_OPS.reconstructionError, args, (k, [a, u, s, vt]) => {
        const op = ARRAY_OPS.reconstructionError;
        const r = s!.rows;
        if (u!.cols !== r || vt!.rows !== r || u!.rows !== a!.rows || vt!.cols !== a!.cols)
          throw new BadOpArgsError(
            op,
            `shapes do not chain: a ${a!.rows}×${a!.cols}, u ${u!.rows}×${u!.cols}, s ${r}, vt ${vt!.rows}×${vt!.cols}`,
          );
        const us = new Float64Array(viewOf(u!));
        const sv = viewOf(s!);
        for (let i = 0; i < u!.rows; i++) for (let j = 0; j < r; j++) us[i * r + j]! *= sv[j]!;
        const back = k.matmul(us, u!.rows, r, vt!.data, vt!.cols);
        return k.maxAbsDiff(
          back,
          a!.data instanceof Float64Array ? a!.data : a!.data.view.slice(0, back.length),
        );
      }),
  },
  {
    name: ARRAY_OPS.sketchStrip,
    doc: 'array.sketch-strip(row0, rows, a_0, ..., y_0, ...) — [Q1, R, C]: H = Σ a_j·y_j over rows [row0, row0+rows) of a block row, H = Q1·R, C = Q1ᵀ·[a_0 ...].',
    minArgs: 4,
    maxArgs: Infinity,
    run: sketchStrip,
  },
  {
    name: ARRAY_OPS.sketchSvd,
    doc: "array.sketch-svd(strip_0, ..., strip_{S-1}) — [U, S, Vt, W_0, ..., W_{S-1}]: the TSQR factors of the strips' R and the SVD of Σ W_sᵀ·C_s (QᵀA).",
    minArgs: 1,
    maxArgs: Infinity,
    run: sketchSvd,
  },
  {
    name: ARRAY_OPS.sketchU,
    doc: "array.sketch-u(svd, k, first, strip_0, ...) — the strips' rows of Q (Q1_t·W_{first+t}) times U[:, :k], from svd = [U, S, Vt, W_0, ...] of sketch-svd.",
    minArgs: 4,
    maxArgs: Infinity,
    run: sketchU,
  },
  {
    name: ARRAY_OPS.sampledMatmulError,
    doc: 'array.sampled-matmul-error(c, rows, a_0, b_0, ...) — max |c − Σ a_k·b_k| over the first rows of c, recomputed densely.',
    minArgs: 4,
    maxArgs: Infinity,
    run: async (args) => {
      const op = ARRAY_OPS.sampledMatmulError;
      const k = await kernels();
      const c = arrayBlock(op, args[0]!, 'c');
      const rows = Math.min(c.rows, int(op, args[1], 'rows'));
      if ((args.length - 2) % 2 !== 0) throw new BadOpArgsError(op, 'operands come in (a, b) pairs');
      const acc = k.alloc(Math.max(1, rows * c.cols));
      acc.view.fill(0);
      try {
        for (let p = 2; p < args.length; p += 2) {
          let a: Block | undefined;
          let b: Block | undefined;
          try {
            a = operandBlock(k, op, args[p]!, `a_${(p - 2) / 2}`, rows);
            b = operandBlock(k, op, args[p + 1]!, `b_${(p - 2) / 2}`);
            const aRows = a.data instanceof Float64Array ? viewOf(a).subarray(0, rows * a.cols) : a.data;
            k.gemm({ m: rows, n: c.cols, k: a.cols, a: aRows, b: b.data, c: acc, beta: 1 });
          } finally {
            release(k, a, b);
          }
        }
        return k.maxAbsDiff(acc.view.slice(0, rows * c.cols), viewOf(c).subarray(0, rows * c.cols));
      } finally {
        k.free(acc);
      }
    },
  },
];
