// The TypeScript face of one kernels instance: a wasm module with its own linear memory. Data moves in
// and out as whole-array copies into views of that memory (TypedArray.set / slice, i.e. memcpy), never
// element by element. Two styles share one implementation:
//   - handles: k.alloc(n) gives an F64Buffer whose `.view` is a Float64Array over wasm memory; routines
//     accept buffers as inputs and `out` targets, so chained calls never copy;
//   - convenience: the same routines accept plain Float64Arrays and return fresh Float64Arrays.
// Every routine validates shapes, sizes the memory it needs up front (WasmMemoryLimitError beyond 4 GiB),
// checks finiteness where NaN would corrupt or stall it, and maps any trap to a typed error.
import { SVC_KERNEL_CODE, type KernelExports } from './abi.js';
import {
  BufferFreedError,
  ConvergenceError,
  InvalidArgumentError,
  KernelError,
  KernelOutOfMemoryError,
  KernelTrapError,
  NonFiniteInputError,
  ShapeError,
  WasmMemoryLimitError,
} from './errors.js';
import {
  distinctClasses,
  pairSubset,
  resolveSvcParams,
  voteOvo,
  type SvcModel,
  type SvcOvoModel,
  type SvcParams,
} from './svc-model.js';
import { isWasmTrap } from './wasm-api.js';

/**
 * gemm sums op(A)·op(B) along k in consecutive chunks of this many terms, each chunk's partial sum added
 * to C in order (KC in assembly/gemm.ts). A product split along k at multiples of it — the first call
 * with the caller's β, the rest with β = 1 — therefore gives bit for bit the result of one call.
 */
export const GEMM_K_BLOCK = 256;

/** wasm32 linear memory is addressed by u32: 65536 pages of 64 KiB. */
export const WASM32_MAX_BYTES = 2 ** 32;

/** A block of f64s in a Kernels instance's memory. `view` is re-derived after memory growth. */
export class F64Buffer {
  readonly #owner: Kernels;
  readonly ptr: number;
  readonly length: number;
  #freed = false;

  /** @internal use Kernels.alloc */
  constructor(owner: Kernels, ptr: number, length: number) {
    this.#owner = owner;
    this.ptr = ptr;
    this.length = length;
  }

  /** A Float64Array over this buffer. Valid until the instance's memory next grows: re-read it after calls. */
  get view(): Float64Array {
    this.assertLive('F64Buffer.view');
    return this.#owner.viewAt(this.ptr, this.length);
  }

  get freed(): boolean {
    return this.#freed;
  }

  /** @internal */
  assertOwnedBy(owner: Kernels, what: string): void {
    if (this.#owner !== owner)
      throw new BufferFreedError(`${what}: buffer belongs to another Kernels instance`);
    this.assertLive(what);
  }

  /** @internal */
  assertLive(what: string): void {
    if (this.#freed) throw new BufferFreedError(`${what}: buffer at ${this.ptr} was already freed`);
  }

  /** @internal */
  markFreed(): void {
    this.#freed = true;
  }
}

/** An input: a plain array (copied in for the call) or a buffer already in this instance's memory. */
export type F64Input = Float64Array | F64Buffer;

export interface GemmParams {
  /** Rows of op(A) and C. */
  readonly m: number;
  /** Columns of op(B) and C. */
  readonly n: number;
  /** Columns of op(A), rows of op(B). */
  readonly k: number;
  /** A, stored m×k (k×m when transA). */
  readonly a: F64Input;
  /** B, stored k×n (n×k when transB). */
  readonly b: F64Input;
  /** C (m×n), read when beta ≠ 0 and overwritten with the result. */
  readonly c: F64Buffer;
  /** @default 1 */
  readonly alpha?: number;
  /** @default 0 */
  readonly beta?: number;
  /** @default false */
  readonly transA?: boolean;
  /** @default false */
  readonly transB?: boolean;
  /**
   * Leading dimensions (elements between consecutive stored rows) and element offsets of the first
   * entry, BLAS-style, for working on a sub-matrix in place: A's stored rows are `lda` apart starting at
   * `aOffset`, and so on. An array operand must then hold at least offset + (rows − 1)·ld + cols
   * elements (it is staged whole). @default the stored row length, and 0.
   */
  readonly lda?: number;
  readonly ldb?: number;
  readonly ldc?: number;
  readonly aOffset?: number;
  readonly bOffset?: number;
  readonly cOffset?: number;
}

export interface QrResult {
  /** m×k with orthonormal columns, k = min(m, n). */
  readonly q: Float64Array;
  /** k×n upper trapezoidal. */
  readonly r: Float64Array;
}

export interface SvdResult {
  /** m×k, orthonormal columns (left singular vectors), k = min(m, n). */
  readonly u: Float64Array;
  /** k singular values, descending, non-negative. */
  readonly s: Float64Array;
  /** k×n, orthonormal rows (right singular vectors). */
  readonly vt: Float64Array;
}

export interface StreamRangeOptions {
  /**
   * Index of the first element: the call returns elements offset … offset+count−1 of the block's stream,
   * exactly that part of a fill from 0 (a block can be generated piece by piece). offset + count < 2³¹.
   * @default 0
   */
  readonly offset?: number;
}

export interface UniformOptions extends StreamRangeOptions {
  /** @default 0 */
  readonly low?: number;
  /** @default 1 */
  readonly high?: number;
}

export interface NormalOptions extends StreamRangeOptions {
  /** @default 0 */
  readonly mean?: number;
  /** @default 1 */
  readonly std?: number;
}

interface Staged {
  readonly ptr: number;
  readonly temp: boolean;
}

function checkDim(routine: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new ShapeError(`${routine}: ${name} must be an integer in [0, 2^31), got ${v}`);
  }
}

function checkCount(routine: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff) {
    throw new ShapeError(`${routine}: ${name} must be an integer in [0, 2^31), got ${v}`);
  }
}

function checkSeed(routine: string, name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new InvalidArgumentError(`${routine}: ${name} must be a non-negative safe integer, got ${v}`);
  }
}

/**
 * A stored matrix's addressing in a gemm call: leading dimension, offset, and the elements its storage
 * must hold. `dense` when neither was given (the plain row-major layout, checked exactly as before).
 */
function layout(
  routine: string,
  name: string,
  rows: number,
  cols: number,
  ld: number | undefined,
  offset: number | undefined,
): { ld: number; offset: number; need: number; dense: boolean } {
  const dense = ld === undefined && offset === undefined;
  const l = ld ?? cols;
  const o = offset ?? 0;
  checkDim(routine, `ld${name}`, l);
  checkDim(routine, `${name}Offset`, o);
  if (l < cols) throw new ShapeError(`${routine}: ld${name} = ${l} is less than the ${cols} stored columns`);
  const need = rows === 0 || cols === 0 ? o : o + (rows - 1) * l + cols;
  if (need > 2 ** 32 / 8) throw new WasmMemoryLimitError(`${routine}: ${name}'s layout`, need * 8);
  return { ld: l, offset: o, need, dense };
}

function split64(v: number): [number, number] {
  return [v >>> 0, Math.floor(v / 2 ** 32) >>> 0];
}

function lengthOf(x: F64Input): number {
  return x.length;
}

/**
 * qr's workspace in bytes, as `qrWorkspaceBytes` in assembly/qr.ts computes it (kept in step with it),
 * but in doubles: the wasm function works in 32-bit arithmetic and would wrap for shapes past 4 GiB,
 * which must be rejected before anything is allocated.
 */
function qrWorkspaceBytes(m: number, n: number, overwriteA: boolean): number {
  const nb = 16;
  const lastMax = 32;
  return (
    ((overwriteA ? 0 : m * n) +
      3 * n +
      4 +
      m * lastMax +
      2 * lastMax * lastMax +
      2 * lastMax * n +
      (Math.floor(n / nb) + 1) * nb * nb) *
    8
  );
}

/**
 * svd takes the QR-first path (see Kernels#svdViaQr) when max(m, n) ≥ this × min(m, n). Measured
 * (relaxed build, direct vs QR-first): 200×100 2.8 vs 2.5 ms, 1000×500 263 vs 225 ms, 2000×100 21 vs
 * 12 ms, 10000×100 123 vs 53 ms; below 2× the direct bidiagonalisation is as fast.
 */
const SVD_QR_FIRST_RATIO = 2;

export class Kernels {
  readonly #x: KernelExports;
  /** The build in use: 'relaxed' (fused multiply-add) or 'simd128'. */
  readonly variant: 'relaxed' | 'simd128';
  #f64: Float64Array;
  #gemmWork = 0;

  /** @internal use loadKernels */
  constructor(exports: KernelExports, variant: 'relaxed' | 'simd128') {
    this.#x = exports;
    this.variant = variant;
    this.#f64 = new Float64Array(exports.memory.buffer);
    this.#gemmWork = this.#allocBytes('loadKernels', exports.gemmWorkspaceBytes() >>> 0);
  }

  /** Current size of the instance's linear memory in bytes (grows, never shrinks). */
  get memoryBytes(): number {
    return this.#x.memory.buffer.byteLength;
  }

  /** @internal a Float64Array over [ptr, ptr + length·8) of the current memory. */
  viewAt(ptr: number, length: number): Float64Array {
    if (this.#f64.buffer !== this.#x.memory.buffer) this.#f64 = new Float64Array(this.#x.memory.buffer);
    return this.#f64.subarray(ptr / 8, ptr / 8 + length);
  }

  // ---- memory -------------------------------------------------------------------------------------

  /** Allocates room for `length` f64s (contents unspecified). Free it with free(). */
  alloc(length: number): F64Buffer {
    checkCount('alloc', 'length', length);
    return new F64Buffer(this, this.#allocBytes('alloc', length * 8), length);
  }

  /** Allocates a buffer and copies `data` into it. */
  fromArray(data: Float64Array): F64Buffer {
    const b = this.alloc(data.length);
    b.view.set(data);
    return b;
  }

  /** Returns a buffer's memory to the allocator. Using or freeing it again throws BufferFreedError. */
  free(buffer: F64Buffer): void {
    buffer.assertOwnedBy(this, 'free');
    buffer.markFreed();
    this.#x.free(buffer.ptr);
  }

  #allocBytes(what: string, bytes: number): number {
    const size = Math.max(16, Math.ceil(bytes / 16) * 16);
    if (size >= WASM32_MAX_BYTES) throw new WasmMemoryLimitError(what, bytes);
    try {
      return this.#x.alloc(size) >>> 0;
    } catch (e) {
      if (!isWasmTrap(e)) throw e;
      if (this.memoryBytes + size >= WASM32_MAX_BYTES) throw new WasmMemoryLimitError(what, bytes);
      throw new KernelOutOfMemoryError(what, bytes);
    }
  }

  /** Rejects a routine whose new allocations could never fit before allocating any of them. */
  #reserve(routine: string, bytes: number): void {
    if (bytes >= WASM32_MAX_BYTES) throw new WasmMemoryLimitError(routine, bytes);
  }

  #run<T>(routine: string, body: () => T): T {
    try {
      return body();
    } catch (e) {
      if (e instanceof KernelError) throw e;
      if (isWasmTrap(e)) throw new KernelTrapError(routine, e.message);
      throw e;
    }
  }

  #stage(routine: string, name: string, x: F64Input, expected: number, temps: number[]): Staged {
    if (x instanceof F64Buffer) {
      x.assertOwnedBy(this, `${routine}(${name})`);
      if (x.length < expected) {
        throw new ShapeError(`${routine}: ${name} holds ${x.length} elements, the shape needs ${expected}`);
      }
      return { ptr: x.ptr, temp: false };
    }
    if (!(x instanceof Float64Array))
      throw new InvalidArgumentError(`${routine}: ${name} must be a Float64Array or F64Buffer`);
    if (x.length !== expected) {
      throw new ShapeError(`${routine}: ${name} has ${x.length} elements, the shape needs ${expected}`);
    }
    const ptr = this.#allocBytes(routine, expected * 8);
    temps.push(ptr);
    this.viewAt(ptr, expected).set(x);
    return { ptr, temp: true };
  }

  #out(routine: string, length: number, out: F64Buffer | undefined, temps: number[]): number {
    if (out !== undefined) {
      out.assertOwnedBy(this, `${routine}(out)`);
      if (out.length < length)
        throw new ShapeError(`${routine}: out holds ${out.length} elements, needs ${length}`);
      return out.ptr;
    }
    const ptr = this.#allocBytes(routine, length * 8);
    temps.push(ptr);
    return ptr;
  }

  #scratch(routine: string, bytes: number, temps: number[]): number {
    const ptr = this.#allocBytes(routine, bytes);
    temps.push(ptr);
    return ptr;
  }

  #release(temps: number[]): void {
    for (const p of temps) this.#x.free(p);
    temps.length = 0;
  }

  #result(ptr: number, length: number, out: F64Buffer | undefined): Float64Array {
    return out !== undefined ? out.view.subarray(0, length) : this.viewAt(ptr, length).slice();
  }

  #checkFinite(routine: string, name: string, ptr: number, length: number): void {
    const i = this.#x.firstNonFinite(length, ptr);
    if (i >= 0) throw new NonFiniteInputError(routine, name, i);
  }

  /** Bytes of new allocations a call will make for the given inputs and outputs. */
  static #inBytes(inputs: readonly F64Input[]): number {
    let b = 0;
    for (const x of inputs) if (!(x instanceof F64Buffer)) b += x.length * 8;
    return b;
  }

  // ---- BLAS-like ----------------------------------------------------------------------------------

  /** C = alpha·op(A)·op(B) + beta·C in place on the buffer params.c. */
  gemm(p: GemmParams): void {
    const alpha = p.alpha ?? 1;
    const beta = p.beta ?? 0;
    this.#gemmLike('gemm', p, p.transA ?? false, p.transB ?? false, (x) =>
      this.#x.gemm(
        p.transA ? 1 : 0,
        p.transB ? 1 : 0,
        p.m,
        p.n,
        p.k,
        alpha,
        x.a,
        x.lda,
        x.b,
        x.ldb,
        beta,
        x.c,
        x.ldc,
        this.#gemmWork,
      ),
    );
  }

  /**
   * C = beta·C + Aᵀ·B, A stored k×m, B k×n (the layout options as for gemm), for a small m: randomized
   * SVD's projection Qᵀ·X. Nothing is packed (see gemmAtB in assembly/gemm.ts), which makes it cheaper
   * than gemm, whose packing of B costs about as much as the multiply when m is a few dozen or less.
   * Sums k in chunks of 16 terms, so the last bits may differ from gemm's.
   */
  gemmAtB(p: Omit<GemmParams, 'alpha' | 'transA' | 'transB'>): void {
    this.#unpacked('gemmAtB', p);
  }

  /**
   * C = beta·C + A·B, A stored m×k, B k×n (the layout options as for gemm), for a small n that is a
   * multiple of 4 (other columns take a scalar path): randomized SVD's range finder A·Ω. Nothing is
   * packed (see gemmABThin in assembly/gemm.ts). Sums k in chunks of 256 terms, as gemm does, in another
   * order within a chunk, so the last bits may differ from gemm's.
   */
  gemmABThin(p: Omit<GemmParams, 'alpha' | 'transA' | 'transB'>): void {
    this.#unpacked('gemmABThin', p);
  }

  /** gemmAtB (A stored k×m) and gemmABThin (A stored m×k). */
  #unpacked(routine: 'gemmAtB' | 'gemmABThin', p: Omit<GemmParams, 'alpha' | 'transA' | 'transB'>): void {
    const beta = p.beta ?? 0;
    const transA = routine === 'gemmAtB';
    this.#gemmLike(routine, p, transA, false, (x) => {
      const args = [p.m, p.n, p.k, x.a, x.lda, x.b, x.ldb, beta, x.c, x.ldc] as const;
      if (transA) this.#x.gemmAtB(...args);
      else this.#x.gemmABThin(...args);
    });
  }

  /**
   * What the GEMM routines share: checks the dimensions and the layouts (A stored m×k, k×m when transA;
   * B k×n, n×k when transB; C m×n, each with optional offset and leading dimension), stages A and B in
   * kernel memory, checks C, and runs `call` with the addresses and leading dimensions.
   */
  #gemmLike(
    routine: string,
    p: Omit<GemmParams, 'alpha'>,
    transA: boolean,
    transB: boolean,
    call: (x: { a: number; lda: number; b: number; ldb: number; c: number; ldc: number }) => void,
  ): void {
    for (const [name, v] of [
      ['m', p.m],
      ['n', p.n],
      ['k', p.k],
    ] as const)
      checkDim(routine, name, v);
    const [aRows, aCols] = transA ? [p.k, p.m] : [p.m, p.k];
    const [bRows, bCols] = transB ? [p.n, p.k] : [p.k, p.n];
    const la = layout(routine, 'a', aRows, aCols, p.lda, p.aOffset);
    const lb = layout(routine, 'b', bRows, bCols, p.ldb, p.bOffset);
    const lc = layout(routine, 'c', p.m, p.n, p.ldc, p.cOffset);
    this.#reserve(routine, Kernels.#inBytes([p.a, p.b]));
    const temps: number[] = [];
    try {
      const a = la.dense
        ? this.#stage(routine, 'a', p.a, p.m * p.k, temps)
        : this.#stageAtLeast(routine, 'a', p.a, la.need, temps);
      const b = lb.dense
        ? this.#stage(routine, 'b', p.b, p.k * p.n, temps)
        : this.#stageAtLeast(routine, 'b', p.b, lb.need, temps);
      p.c.assertOwnedBy(this, `${routine}(c)`);
      if (p.c.length < lc.need)
        throw new ShapeError(`${routine}: c holds ${p.c.length} elements, needs ${lc.need}`);
      this.#run(routine, () =>
        call({
          a: a.ptr + la.offset * 8,
          lda: Math.max(1, la.ld),
          b: b.ptr + lb.offset * 8,
          ldb: Math.max(1, lb.ld),
          c: p.c.ptr + lc.offset * 8,
          ldc: Math.max(1, lc.ld),
        }),
      );
    } finally {
      this.#release(temps);
    }
  }

  /** Like #stage, for an operand addressed through an offset and leading dimension: at least `need`. */
  #stageAtLeast(routine: string, name: string, x: F64Input, need: number, temps: number[]): Staged {
    if (x instanceof F64Buffer) return this.#stage(routine, name, x, need, temps);
    if (!(x instanceof Float64Array))
      throw new InvalidArgumentError(`${routine}: ${name} must be a Float64Array or F64Buffer`);
    if (x.length < need)
      throw new ShapeError(`${routine}: ${name} has ${x.length} elements, its layout needs ${need}`);
    return this.#stage(routine, name, x, x.length, temps);
  }

  /**
   * op(A)·op(B) as a new m×n array. A is stored m×k (k×m with transA), B k×n (n×k with transB).
   * With `out`, writes there and returns a view of it.
   */
  matmul(
    a: F64Input,
    m: number,
    k: number,
    b: F64Input,
    n: number,
    opts: { readonly transA?: boolean; readonly transB?: boolean; readonly out?: F64Buffer } = {},
  ): Float64Array {
    const routine = 'matmul';
    checkDim(routine, 'm', m);
    checkDim(routine, 'k', k);
    checkDim(routine, 'n', n);
    this.#reserve(routine, Kernels.#inBytes([a, b]) + (opts.out ? 0 : m * n * 8));
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, m * k, temps);
      const sb = this.#stage(routine, 'b', b, k * n, temps);
      const c = this.#out(routine, m * n, opts.out, temps);
      const lda = opts.transA ? m : k;
      const ldb = opts.transB ? k : n;
      this.#run(routine, () =>
        this.#x.gemm(
          opts.transA ? 1 : 0,
          opts.transB ? 1 : 0,
          m,
          n,
          k,
          1,
          sa.ptr,
          Math.max(1, lda),
          sb.ptr,
          Math.max(1, ldb),
          0,
          c,
          Math.max(1, n),
          this.#gemmWork,
        ),
      );
      return this.#result(c, m * n, opts.out);
    } finally {
      this.#release(temps);
    }
  }

  /** The n×m transpose of a (m×n). */
  transpose(a: F64Input, m: number, n: number, out?: F64Buffer): Float64Array {
    const routine = 'transpose';
    checkDim(routine, 'm', m);
    checkDim(routine, 'n', n);
    this.#reserve(routine, Kernels.#inBytes([a]) + (out ? 0 : m * n * 8));
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, m * n, temps);
      const o = this.#out(routine, m * n, out, temps);
      this.#run(routine, () => this.#x.transpose(m, n, sa.ptr, o));
      return this.#result(o, m * n, out);
    } finally {
      this.#release(temps);
    }
  }

  #binary(routine: 'add' | 'sub' | 'mul', a: F64Input, b: F64Input, out?: F64Buffer): Float64Array {
    const n = lengthOf(a);
    if (lengthOf(b) !== n) throw new ShapeError(`${routine}: a has ${n} elements, b has ${lengthOf(b)}`);
    this.#reserve(routine, Kernels.#inBytes([a, b]) + (out ? 0 : n * 8));
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, n, temps);
      const sb = this.#stage(routine, 'b', b, n, temps);
      const o = this.#out(routine, n, out, temps);
      this.#run(routine, () => this.#x[routine](n, sa.ptr, sb.ptr, o));
      return this.#result(o, n, out);
    } finally {
      this.#release(temps);
    }
  }

  /** a + b, elementwise. */
  add(a: F64Input, b: F64Input, out?: F64Buffer): Float64Array {
    return this.#binary('add', a, b, out);
  }

  /** a − b, elementwise. */
  sub(a: F64Input, b: F64Input, out?: F64Buffer): Float64Array {
    return this.#binary('sub', a, b, out);
  }

  /** a ⊙ b, elementwise. */
  mul(a: F64Input, b: F64Input, out?: F64Buffer): Float64Array {
    return this.#binary('mul', a, b, out);
  }

  /** alpha·a. */
  scale(a: F64Input, alpha: number, out?: F64Buffer): Float64Array {
    const routine = 'scale';
    const n = lengthOf(a);
    this.#reserve(routine, Kernels.#inBytes([a]) + (out ? 0 : n * 8));
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, n, temps);
      const o = this.#out(routine, n, out, temps);
      this.#run(routine, () => this.#x.scale(n, alpha, sa.ptr, o));
      return this.#result(o, n, out);
    } finally {
      this.#release(temps);
    }
  }

  /** y ← alpha·x + y in place on the buffer y. */
  axpy(alpha: number, x: F64Input, y: F64Buffer): void {
    const routine = 'axpy';
    y.assertOwnedBy(this, 'axpy(y)');
    const temps: number[] = [];
    try {
      const sx = this.#stage(routine, 'x', x, y.length, temps);
      this.#run(routine, () => this.#x.axpy(y.length, alpha, sx.ptr, y.ptr));
    } finally {
      this.#release(temps);
    }
  }

  #reduce1(routine: 'sum' | 'sumSquares' | 'maxAbs', a: F64Input): number {
    const n = lengthOf(a);
    this.#reserve(routine, Kernels.#inBytes([a]));
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, n, temps);
      return this.#run(routine, () => this.#x[routine](n, sa.ptr));
    } finally {
      this.#release(temps);
    }
  }

  #reduce2(routine: 'dot' | 'maxAbsDiff', a: F64Input, b: F64Input): number {
    const n = lengthOf(a);
    if (lengthOf(b) !== n) throw new ShapeError(`${routine}: a has ${n} elements, b has ${lengthOf(b)}`);
    this.#reserve(routine, Kernels.#inBytes([a, b]));
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, n, temps);
      const sb = this.#stage(routine, 'b', b, n, temps);
      return this.#run(routine, () => this.#x[routine](n, sa.ptr, sb.ptr));
    } finally {
      this.#release(temps);
    }
  }

  /** Σ a. */
  sum(a: F64Input): number {
    return this.#reduce1('sum', a);
  }

  /** Σ a / length (NaN for an empty input). */
  mean(a: F64Input): number {
    return this.#reduce1('sum', a) / lengthOf(a);
  }

  /** Σ a². */
  sumSquares(a: F64Input): number {
    return this.#reduce1('sumSquares', a);
  }

  /** √(Σ a²), the Frobenius norm of a matrix stored in a. */
  frobeniusNorm(a: F64Input): number {
    return Math.sqrt(this.#reduce1('sumSquares', a));
  }

  /** max |a|. */
  maxAbs(a: F64Input): number {
    return this.#reduce1('maxAbs', a);
  }

  /** Σ a·b. */
  dot(a: F64Input, b: F64Input): number {
    return this.#reduce2('dot', a, b);
  }

  /** max |a − b| (NaN if any difference is NaN). */
  maxAbsDiff(a: F64Input, b: F64Input): number {
    return this.#reduce2('maxAbsDiff', a, b);
  }

  #sums(routine: 'colSums' | 'rowSums', a: F64Input, m: number, n: number, out?: F64Buffer): Float64Array {
    checkDim(routine, 'm', m);
    checkDim(routine, 'n', n);
    const len = routine === 'colSums' ? n : m;
    this.#reserve(routine, Kernels.#inBytes([a]) + (out ? 0 : len * 8));
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, m * n, temps);
      const o = this.#out(routine, len, out, temps);
      this.#run(routine, () => this.#x[routine](m, n, sa.ptr, o));
      return this.#result(o, len, out);
    } finally {
      this.#release(temps);
    }
  }

  /** Column sums of a (m×n): n values. */
  colSums(a: F64Input, m: number, n: number, out?: F64Buffer): Float64Array {
    return this.#sums('colSums', a, m, n, out);
  }

  /** Row sums of a (m×n): m values. */
  rowSums(a: F64Input, m: number, n: number, out?: F64Buffer): Float64Array {
    return this.#sums('rowSums', a, m, n, out);
  }

  // ---- factorizations -----------------------------------------------------------------------------

  /**
   * Householder QR of a (m×n): thin Q (m×k) and R (k×n), k = min(m, n). Blocked (compact-WY panels of
   * 32 columns applied through GEMM). Rejects non-finite input.
   */
  qr(a: F64Input, m: number, n: number, out?: { readonly q: F64Buffer; readonly r: F64Buffer }): QrResult {
    const { q, r } = this.#qr('qr', a, m, n, true, out?.q, out?.r);
    return { q: q!, r };
  }

  /**
   * R alone (k×n, upper trapezoidal, k = min(m, n)) of the Householder QR of a (m×n): the same R as
   * `qr` (bit for bit), without forming Q. Rejects non-finite input.
   */
  qrR(a: F64Input, m: number, n: number, out?: F64Buffer): Float64Array {
    return this.#qr('qrR', a, m, n, false, undefined, out).r;
  }

  #qr(
    routine: 'qr' | 'qrR',
    a: F64Input,
    m: number,
    n: number,
    wantQ: boolean,
    outQ: F64Buffer | undefined,
    outR: F64Buffer | undefined,
  ): { q: Float64Array | undefined; r: Float64Array } {
    checkDim(routine, 'm', m);
    checkDim(routine, 'n', n);
    const k = Math.min(m, n);
    // A Float64Array is staged into a copy that belongs to this call, so the kernel may factor it in place.
    const overwrite = a instanceof Float64Array ? 1 : 0;
    const outBytes = (wantQ && !outQ ? m * k * 8 : 0) + (outR ? 0 : k * n * 8);
    this.#reserve(routine, Kernels.#inBytes([a]) + outBytes + qrWorkspaceBytes(m, n, overwrite === 1));
    const work = this.#x.qrWorkspaceBytes(m, n, overwrite) >>> 0;
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, m * n, temps);
      this.#checkFinite(routine, 'a', sa.ptr, m * n);
      const q = wantQ ? this.#out(routine, m * k, outQ, temps) : 0;
      const r = this.#out(routine, k * n, outR, temps);
      const w = this.#scratch(routine, work, temps);
      const inPlace = sa.temp ? overwrite : 0;
      if (k > 0) this.#run(routine, () => this.#x.qr(m, n, sa.ptr, q, r, w, this.#gemmWork, inPlace));
      return {
        q: wantQ ? this.#result(q, m * k, outQ) : undefined,
        r: this.#result(r, k * n, outR),
      };
    } finally {
      this.#release(temps);
    }
  }

  /**
   * Thin SVD of a (m×n): U (m×k), S (k, descending), Vt (k×n), k = min(m, n). Rejects non-finite
   * input; throws ConvergenceError if the bidiagonal QR iteration does not converge.
   */
  svd(
    a: F64Input,
    m: number,
    n: number,
    out?: { readonly u: F64Buffer; readonly s: F64Buffer; readonly vt: F64Buffer },
  ): SvdResult {
    const routine = 'svd';
    checkDim(routine, 'm', m);
    checkDim(routine, 'n', n);
    const k = Math.min(m, n);
    const big = Math.max(m, n);
    if (k > 0 && big >= SVD_QR_FIRST_RATIO * k) return this.#svdViaQr(a, m, n, out);
    this.#reserve(
      routine,
      Kernels.#inBytes([a]) +
        (out ? 0 : (m * k + k + k * n) * 8) +
        (2 * m * n + k * k + 14 * big + 16 + 96 * big + 2048) * 8,
    );
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, m * n, temps);
      this.#checkFinite(routine, 'a', sa.ptr, m * n);
      const u = this.#out(routine, m * k, out?.u, temps);
      const s = this.#out(routine, k, out?.s, temps);
      const vt = this.#out(routine, k * n, out?.vt, temps);
      const w = this.#scratch(routine, this.#x.svdWorkspaceBytes(m, n) >>> 0, temps);
      if (k > 0) {
        const status = this.#run(routine, () => this.#x.svd(m, n, sa.ptr, u, s, vt, w, this.#gemmWork));
        if (status !== 0)
          throw new ConvergenceError(
            `svd: the bidiagonal QR iteration did not converge for a ${m}×${n} input`,
          );
      }
      return {
        u: this.#result(u, m * k, out?.u),
        s: this.#result(s, k, out?.s),
        vt: this.#result(vt, k * n, out?.vt),
      };
    } finally {
      this.#release(temps);
    }
  }

  /**
   * SVD of an elongated input through a QR first (as LAPACK's dgesdd does for m ≫ n): the tall
   * orientation X (M×N: A, or Aᵀ when A is wide) = Q·R, the SVD of the small R, then one GEMM with Q.
   *   tall: A = Q·R, R = U_R·S·Vt  →  U = Q·U_R, Vt = Vt
   *   wide: Aᵀ = Q·R, Rᵀ = U_s·S·V_sᵀ  →  U = U_s, Vt = V_sᵀ·Qᵀ
   * The blocked QR and the GEMM are much faster than bidiagonalising the whole M×N matrix row by row.
   */
  #svdViaQr(
    a: F64Input,
    m: number,
    n: number,
    out: { readonly u: F64Buffer; readonly s: F64Buffer; readonly vt: F64Buffer } | undefined,
  ): SvdResult {
    const routine = 'svd';
    const tall = m >= n;
    const M = Math.max(m, n);
    const N = Math.min(m, n);
    this.#reserve(
      routine,
      Kernels.#inBytes([a]) +
        (out ? 0 : (2 * M * N + N) * 8) +
        (tall ? 0 : M * N * 8) +
        (M * N + 3 * N * N) * 8 +
        qrWorkspaceBytes(M, N, false) +
        (2 * N * N + N * N + 14 * N + 16 + 96 * N + 2048) * 8,
    );
    const qrWork = this.#x.qrWorkspaceBytes(M, N, 1) >>> 0;
    const svdWork = this.#x.svdWorkspaceBytes(N, N) >>> 0;
    const temps: number[] = [];
    try {
      const sa = this.#stage(routine, 'a', a, m * n, temps);
      this.#checkFinite(routine, 'a', sa.ptr, m * n);
      const u = this.#out(routine, m * N, out?.u, temps);
      const s = this.#out(routine, N, out?.s, temps);
      const vt = this.#out(routine, N * n, out?.vt, temps);
      // X: the tall orientation, in a copy this call owns (factored in place).
      let x = sa.ptr;
      let overwrite = sa.temp ? 1 : 0;
      if (!tall) {
        x = this.#scratch(routine, M * N * 8, temps);
        overwrite = 1;
      }
      const q = this.#scratch(routine, M * N * 8, temps);
      const r = this.#scratch(routine, N * N * 8, temps);
      const r2 = this.#scratch(routine, N * N * 8, temps);
      const small = this.#scratch(routine, N * N * 8, temps);
      const wq = this.#scratch(routine, overwrite ? qrWork : this.#x.qrWorkspaceBytes(M, N, 0) >>> 0, temps);
      const ws = this.#scratch(routine, svdWork, temps);
      const gw = this.#gemmWork;
      const status = this.#run(routine, () => {
        if (!tall) this.#x.transpose(m, n, sa.ptr, x);
        this.#x.qr(M, N, x, q, r, wq, gw, overwrite);
        if (tall) {
          // R = U_R·S·Vt; U = Q·U_R.
          const st = this.#x.svd(N, N, r, small, s, vt, ws, gw);
          this.#x.gemm(0, 0, M, N, N, 1, q, N, small, N, 0, u, N, gw);
          return st;
        }
        // Rᵀ = U·S·V_sᵀ; Vt = V_sᵀ·Qᵀ.
        this.#x.transpose(N, N, r, r2);
        const st = this.#x.svd(N, N, r2, u, s, small, ws, gw);
        this.#x.gemm(0, 1, N, M, N, 1, small, N, q, N, 0, vt, M, gw);
        return st;
      });
      if (status !== 0)
        throw new ConvergenceError(`svd: the bidiagonal QR iteration did not converge for a ${m}×${n} input`);
      return {
        u: this.#result(u, m * N, out?.u),
        s: this.#result(s, N, out?.s),
        vt: this.#result(vt, N * n, out?.vt),
      };
    } finally {
      this.#release(temps);
    }
  }

  // ---- random numbers -----------------------------------------------------------------------------

  #fill(
    routine: 'rngUniform' | 'rngNormal',
    seed: number,
    block: number,
    count: number,
    offset: number,
    p0: number,
    p1: number,
    out: F64Buffer | undefined,
  ): Float64Array {
    checkSeed(routine, 'seed', seed);
    checkSeed(routine, 'block', block);
    checkCount(routine, 'count', count);
    checkCount(routine, 'offset', offset);
    checkCount(routine, 'offset + count', offset + count);
    this.#reserve(routine, out ? 0 : count * 8);
    const temps: number[] = [];
    try {
      const o = this.#out(routine, count, out, temps);
      const [sl, sh] = split64(seed);
      const [bl, bh] = split64(block);
      if (routine === 'rngUniform')
        this.#run(routine, () => this.#x.fillUniform(sl, sh, bl, bh, o, offset, count, p0, p1));
      else this.#run(routine, () => this.#x.fillNormal(sl, sh, bl, bh, o, offset, count, p0, p1));
      return this.#result(o, count, out);
    } finally {
      this.#release(temps);
    }
  }

  /**
   * `count` uniforms in [low, high) for block `block` of stream `seed` (Philox4x32-10): the same
   * (seed, block, count) always gives the same numbers, on any thread or machine; a longer count
   * extends a shorter one, and `offset` picks any range of that sequence.
   */
  rngUniform(
    seed: number,
    block: number,
    count: number,
    opts: UniformOptions & { readonly out?: F64Buffer } = {},
  ): Float64Array {
    const low = opts.low ?? 0;
    const high = opts.high ?? 1;
    if (!Number.isFinite(low) || !Number.isFinite(high) || !(high >= low)) {
      throw new InvalidArgumentError(`rngUniform: need finite low ≤ high, got [${low}, ${high})`);
    }
    return this.#fill('rngUniform', seed, block, count, opts.offset ?? 0, low, high, opts.out);
  }

  /** `count` normals N(mean, std²) for block `block` of stream `seed` (Philox4x32-10 + Box–Muller). */
  rngNormal(
    seed: number,
    block: number,
    count: number,
    opts: NormalOptions & { readonly out?: F64Buffer } = {},
  ): Float64Array {
    const mean = opts.mean ?? 0;
    const std = opts.std ?? 1;
    if (!Number.isFinite(mean) || !Number.isFinite(std) || std < 0) {
      throw new InvalidArgumentError(`rngNormal: need finite mean and std ≥ 0, got mean ${mean}, std ${std}`);
    }
    return this.#fill('rngNormal', seed, block, count, opts.offset ?? 0, mean, std, opts.out);
  }

  // ---- SVC ----------------------------------------------------------------------------------------

  /**
   * Trains a binary C-SVC on x (n×d) with labels y (n values, exactly two distinct). The model is plain
   * data (typed arrays and numbers): it can be stored, sent to workers and used by svcPredict anywhere.
   */
  svcFit(x: F64Input, y: Float64Array, n: number, d: number, params: SvcParams = {}): SvcModel {
    const routine = 'svcFit';
    checkDim(routine, 'n', n);
    checkDim(routine, 'd', d);
    if (!(y instanceof Float64Array) || y.length !== n) {
      throw new ShapeError(`svcFit: y must be a Float64Array of n = ${n} labels, got ${y?.length}`);
    }
    const classes = distinctClasses(routine, y, 2);
    if (classes.length !== 2) {
      throw new InvalidArgumentError(
        `svcFit: y must hold exactly two distinct labels, found ${classes.length} (use svcFitOvo for more): ${classes.slice(0, 5).join(', ')}`,
      );
    }
    const [neg, pos] = classes as [number, number];
    const temps: number[] = [];
    try {
      const sx = this.#stage(routine, 'x', x, n * d, temps);
      this.#checkFinite(routine, 'x', sx.ptr, n * d);
      const xs = this.viewAt(sx.ptr, n * d);
      const resolved = resolveSvcParams(params, xs, n, d);
      const cacheRows = Math.max(2, Math.min(n, Math.floor(resolved.cacheBytes / (8 * Math.max(1, n)))));
      const workBytes = this.#x.svcTrainWorkspaceBytes(n, cacheRows) >>> 0;
      this.#reserve(routine, workBytes + 2 * n * 8);
      const ys = this.#scratch(routine, n * 8, temps);
      const yv = this.viewAt(ys, n);
      for (let i = 0; i < n; i++) yv[i] = y[i] === pos ? 1 : -1;
      const alpha = this.#scratch(routine, n * 8, temps);
      const stats = this.#scratch(routine, 4 * 8, temps);
      const work = this.#scratch(routine, workBytes, temps);
      this.#run(routine, () =>
        this.#x.svcTrain(
          n,
          d,
          sx.ptr,
          ys,
          SVC_KERNEL_CODE[resolved.kernel],
          resolved.gamma,
          resolved.coef0,
          resolved.degree,
          resolved.C,
          resolved.tol,
          resolved.maxIter,
          cacheRows,
          alpha,
          stats,
          work,
        ),
      );
      const st = this.viewAt(stats, 3);
      const rho = st[0] ?? 0;
      const iterations = st[1] ?? 0;
      const converged = st[2] === 1;
      const av = this.viewAt(alpha, n);
      const xv = this.viewAt(sx.ptr, n * d);
      const yv2 = this.viewAt(ys, n);
      const idx: number[] = [];
      for (let i = 0; i < n; i++) if ((av[i] ?? 0) > 0) idx.push(i);
      const supportVectors = new Float64Array(idx.length * d);
      const dualCoef = new Float64Array(idx.length);
      idx.forEach((i, s) => {
        supportVectors.set(xv.subarray(i * d, i * d + d), s * d);
        dualCoef[s] = (av[i] ?? 0) * (yv2[i] ?? 0);
      });
      return {
        kernel: resolved.kernel,
        gamma: resolved.gamma,
        coef0: resolved.coef0,
        degree: resolved.degree,
        C: resolved.C,
        classes: [neg, pos],
        d,
        nSV: idx.length,
        supportVectors,
        supportIndices: Int32Array.from(idx),
        dualCoef,
        intercept: -rho,
        iterations,
        converged,
      };
    } finally {
      this.#release(temps);
    }
  }

  /** Decision values f(x) = Σ dualCoef·K(sv, x) + intercept for x (rows×model.d); > 0 means classes[1]. */
  svcDecision(model: SvcModel, x: F64Input, rows: number, out?: F64Buffer): Float64Array {
    const routine = 'svcDecision';
    checkDim(routine, 'rows', rows);
    const d = model.d;
    if (model.supportVectors.length !== model.nSV * d || model.dualCoef.length !== model.nSV) {
      throw new ShapeError(
        `svcDecision: model has ${model.nSV} support vectors of ${d} features but arrays of ${model.supportVectors.length} and ${model.dualCoef.length}`,
      );
    }
    const nSV = model.nSV;
    const workBytes = this.#x.svcPredictWorkspaceBytes(nSV, d) >>> 0;
    this.#reserve(routine, Kernels.#inBytes([x]) + (out ? 0 : rows * 8) + workBytes + (nSV * d + nSV) * 8);
    const temps: number[] = [];
    try {
      const sx = this.#stage(routine, 'x', x, rows * d, temps);
      this.#checkFinite(routine, 'x', sx.ptr, rows * d);
      const sv = this.#stage(routine, 'model.supportVectors', model.supportVectors, nSV * d, temps);
      const coef = this.#stage(routine, 'model.dualCoef', model.dualCoef, nSV, temps);
      const o = this.#out(routine, rows, out, temps);
      const work = this.#scratch(routine, workBytes, temps);
      this.#run(routine, () =>
        this.#x.svcDecision(
          rows,
          d,
          sx.ptr,
          nSV,
          sv.ptr,
          coef.ptr,
          SVC_KERNEL_CODE[model.kernel],
          model.gamma,
          model.coef0,
          model.degree,
          model.intercept,
          o,
          work,
          this.#gemmWork,
        ),
      );
      return this.#result(o, rows, out);
    } finally {
      this.#release(temps);
    }
  }

  /** Predicted labels (model.classes[1] where the decision value is > 0, else classes[0]). */
  svcPredict(model: SvcModel, x: F64Input, rows: number): Float64Array {
    const f = this.svcDecision(model, x, rows);
    const [neg, pos] = model.classes;
    const labels = new Float64Array(rows);
    for (let i = 0; i < rows; i++) labels[i] = (f[i] ?? 0) > 0 ? pos : neg;
    return labels;
  }

  /**
   * Multi-class C-SVC (one-vs-one, as libsvm): a binary model per pair of classes, trained on the rows
   * of those two classes. gamma 'scale'/'auto' is resolved once on the whole of x, as scikit-learn does.
   */
  svcFitOvo(x: Float64Array, y: Float64Array, n: number, d: number, params: SvcParams = {}): SvcOvoModel {
    const routine = 'svcFitOvo';
    checkDim(routine, 'n', n);
    checkDim(routine, 'd', d);
    if (!(x instanceof Float64Array) || x.length !== n * d)
      throw new ShapeError(`svcFitOvo: x has ${x?.length} elements, the shape needs ${n * d}`);
    if (!(y instanceof Float64Array) || y.length !== n)
      throw new ShapeError(`svcFitOvo: y must be a Float64Array of n = ${n} labels, got ${y?.length}`);
    const classes = distinctClasses(routine, y, 2);
    const gamma = resolveSvcParams(params, x, n, d).gamma;
    const pairs: SvcModel[] = [];
    for (let i = 0; i < classes.length; i++) {
      for (let j = i + 1; j < classes.length; j++) {
        const sub = pairSubset(x, y, d, classes[i] as number, classes[j] as number);
        pairs.push(this.svcFit(sub.x, sub.y, sub.n, d, { ...params, gamma }));
      }
    }
    return { classes, d, pairs };
  }

  /** Labels by one-vs-one majority vote (ties to the smaller class). */
  svcPredictOvo(model: SvcOvoModel, x: F64Input, rows: number): Float64Array {
    checkDim('svcPredictOvo', 'rows', rows);
    const temps: number[] = [];
    try {
      const staged =
        x instanceof F64Buffer ? x : this.fromArray(this.#checkedLength('svcPredictOvo', x, rows * model.d));
      if (!(x instanceof F64Buffer)) temps.push(staged.ptr);
      const predictions = model.pairs.map((pair) => this.svcPredict(pair, staged, rows));
      return voteOvo(model.classes, predictions, rows);
    } finally {
      this.#release(temps);
    }
  }

  #checkedLength(routine: string, x: Float64Array, expected: number): Float64Array {
    if (!(x instanceof Float64Array) || x.length !== expected) {
      throw new ShapeError(`${routine}: x has ${x?.length} elements, the shape needs ${expected}`);
    }
    return x;
  }

  // ---- warm-up ------------------------------------------------------------------------------------

  /**
   * Runs every kernel on small inputs a few times so V8 tiers them up from Liftoff to TurboFan before
   * real work arrives. Called by loadKernels unless `warmUp: false`.
   */
  warmUp(): void {
    const a = this.rngUniform(1, 0, 96 * 96);
    const b = this.rngUniform(1, 1, 96 * 96);
    for (let i = 0; i < 6; i++) {
      this.matmul(a, 96, 96, b, 96);
      this.matmul(a, 96, 96, b, 96, { transA: true, transB: true });
    }
    for (let i = 0; i < 3; i++) {
      this.qr(a.subarray(0, 96 * 24), 96, 24);
      this.qr(a.subarray(0, 96 * 80), 96, 80);
      this.qrR(a.subarray(0, 96 * 80), 96, 80);
      this.svd(a.subarray(0, 24 * 24), 24, 24);
      this.rngNormal(2, i, 4096);
      this.colSums(a, 96, 96);
      this.sumSquares(a);
      this.transpose(a, 96, 96);
    }
    const x = a.subarray(0, 60 * 4);
    const y = Float64Array.from({ length: 60 }, (_, i) =>
      (x[i * 4] ?? 0) + (x[i * 4 + 1] ?? 0) > 1 ? 1 : 0,
    );
    y[0] = 0;
    y[1] = 1;
    const model = this.svcFit(x, y, 60, 4, { kernel: 'rbf' });
    for (let i = 0; i < 3; i++) this.svcDecision(model, a.subarray(0, 200 * 4), 200);
  }
}
