/**
 * Block operands of the array and ML ops: a value computed by another task (an f64 NDArray) or a
 * generator spec `[kind, ...params]` (op-names.ts in @wukong/graph) that is regenerated here, straight
 * into kernel memory. Also the classification generator and the kernels instance of this thread.
 */
import { Buffer } from 'node:buffer';
import { GENERATORS, isNDArray, type NDArray } from '@wukong/graph';
import { getKernels, type F64Buffer, type F64Input, type Kernels } from '@wukong/kernels';
import { BadOpArgsError } from '../errors.js';
import type { Value } from '../values.js';

/** The kernels of this thread, loaded (and warmed up) on first use. */
export function kernels(): Promise<Kernels> {
  return getKernels();
}

/** A 2-D view of a block: 1-D arrays are columns (n × 1). */
export interface Block {
  readonly data: F64Input;
  readonly rows: number;
  readonly cols: number;
  /** Kernel buffer to free once the op is done (generated blocks). */
  readonly owned?: F64Buffer;
}

export function f64(shape: readonly number[], data: Float64Array): NDArray {
  return { dtype: 'f64', shape: [...shape], data };
}

/** An NDArray operand as a Block, checking dtype and rank. */
export function arrayBlock(op: string, v: Value, what: string): Block {
  if (!isNDArray(v)) throw new BadOpArgsError(op, `${what} must be an f64 array or a generator spec`);
  if (v.dtype !== 'f64' || !(v.data instanceof Float64Array))
    throw new BadOpArgsError(op, `${what} must hold f64 data, got ${v.dtype}`);
  if (v.shape.length === 1) return { data: v.data, rows: v.shape[0]!, cols: 1 };
  if (v.shape.length === 2) return { data: v.data, rows: v.shape[0]!, cols: v.shape[1]! };
  throw new BadOpArgsError(op, `${what} must be 1-D or 2-D, got shape [${v.shape.join(', ')}]`);
}

function isSpec(v: Value): v is readonly Value[] {
  return Array.isArray(v) && typeof v[0] === 'string';
}

function int(op: string, v: Value | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new BadOpArgsError(op, `${what} must be a non-negative integer`);
  return v;
}

function num(op: string, v: Value | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new BadOpArgsError(op, `${what} must be a finite number`);
  return v;
}

/** A uniform or normal generator spec `[kind, seed, block, rows, cols]`, checked. */
interface RandomSpec {
  readonly kind: string;
  readonly seed: number;
  readonly block: number;
  readonly rows: number;
  readonly cols: number;
}

function randomSpec(op: string, v: Value, what: string): RandomSpec | undefined {
  if (!isSpec(v) || (v[0] !== GENERATORS.uniform && v[0] !== GENERATORS.normal)) return undefined;
  return {
    kind: v[0],
    seed: int(op, v[1], `${what} seed`),
    block: int(op, v[2], `${what} block`),
    rows: int(op, v[3], `${what} rows`),
    cols: int(op, v[4], `${what} cols`),
  };
}

/** Elements [offset, offset + count) of a random block's stream into `out`. */
function fillRandom(k: Kernels, r: RandomSpec, out: F64Buffer, count: number, offset = 0): void {
  const opts = { offset, out };
  if (r.kind === GENERATORS.uniform) k.rngUniform(r.seed, r.block, count, opts);
  else k.rngNormal(r.seed, r.block, count, opts);
}

/**
 * The block an operand stands for. With `maxRows`, a generated block may stop after that many rows
 * (counter-based streams: a shorter block is a prefix of the longer one).
 */
export function operandBlock(k: Kernels, op: string, v: Value, what: string, maxRows?: number): Block {
  if (!isSpec(v)) return arrayBlock(op, v, what);
  const kind = v[0];
  const random = randomSpec(op, v, what);
  if (random !== undefined) {
    const { seed, block, cols } = random;
    const rows = Math.min(random.rows, maxRows ?? Infinity);
    const id = `${kind}/${seed}/${block}/${rows}/${cols}`;
    const cached = rows === random.rows ? generatedBlocks.get(k, id) : undefined;
    if (cached) return { data: cached, rows, cols };
    const out = k.alloc(Math.max(1, rows * cols));
    fillRandom(k, random, out, rows * cols);
    if (rows === random.rows && generatedBlocks.put(k, id, out)) return { data: out, rows, cols };
    return { data: out, rows, cols, owned: out };
  }
  if (kind === GENERATORS.classificationX || kind === GENERATORS.classificationY) {
    const c = classificationBlock(k, op, v, kind === GENERATORS.classificationX);
    return kind === GENERATORS.classificationX
      ? { data: c.x!, rows: c.rows, cols: c.nFeatures }
      : { data: c.y, rows: c.rows, cols: 1 };
  }
  throw new BadOpArgsError(op, `${what}: unknown generator '${String(kind)}'`);
}

/**
 * Rows [row0, row0 + rows) of a block operand: for a uniform/normal generator spec, that range of its
 * counter-based stream generated into kernel memory (the caller frees it through `release`); for an f64
 * array, a view of those rows.
 */
export function operandRows(
  k: Kernels,
  op: string,
  v: Value,
  what: string,
  row0: number,
  rows: number,
): Block {
  const random = randomSpec(op, v, what);
  const total = random?.rows ?? (isNDArray(v) ? arrayBlock(op, v, what).rows : undefined);
  if (total !== undefined && row0 + rows > total)
    throw new BadOpArgsError(op, `${what}: rows [${row0}, ${row0 + rows}) exceed its ${total} rows`);
  if (random !== undefined) {
    const out = k.alloc(Math.max(1, rows * random.cols));
    fillRandom(k, random, out, rows * random.cols, row0 * random.cols);
    return { data: out, rows, cols: random.cols, owned: out };
  }
  const b = operandBlock(k, op, v, what);
  if (row0 === 0 && rows === b.rows) return b;
  return { data: viewOf(b).slice(row0 * b.cols, (row0 + rows) * b.cols), rows, cols: b.cols };
}

/** A stored row-major matrix that can be produced a range of rows at a time. */
export interface RowSource {
  readonly rows: number;
  readonly cols: number;
  /** Writes rows [row0, row0 + count) to dst.view[0 : count·cols]. */
  fill(dst: F64Buffer, row0: number, count: number): void;
}

/** Elements per piece when a large generated block is written out chunk by chunk (512 KiB). */
const GENERATE_CHUNK = 65536;

/**
 * A uniform/normal generator spec too large for the generated-block cache, as a RowSource: each range of
 * rows is a range of the block's counter-based stream, generated on demand. Anything else: undefined.
 */
export function generatedRows(k: Kernels, op: string, v: Value, what: string): RowSource | undefined {
  const random = randomSpec(op, v, what);
  if (random === undefined) return undefined;
  const { rows, cols } = random;
  if (rows * cols * 8 <= GENERATED_BLOCK_CACHE_BYTES / 4) return undefined;
  return {
    rows,
    cols,
    fill: (dst, row0, count) => fillRandom(k, random, dst, count * cols, row0 * cols),
  };
}

/**
 * A generated block as a fresh Float64Array, written a cache-sized piece at a time through one small
 * kernel buffer: the block never exists whole in kernel memory, and each piece is copied out while it is
 * still in cache. The array is allocated without zero-filling (every element is written below): for a
 * 32 MB block whose memory the allocator reuses, that saves a 32 MB memset.
 */
export function generateOut(k: Kernels, source: RowSource): Float64Array {
  const total = source.rows * source.cols;
  const bytes = Buffer.allocUnsafeSlow(total * 8); // unpooled: its own ArrayBuffer, 8-byte aligned
  const out = new Float64Array(bytes.buffer, bytes.byteOffset, total);
  if (total === 0) return out;
  const rowsPerPiece = Math.max(1, Math.floor(GENERATE_CHUNK / Math.max(1, source.cols)));
  const piece = k.alloc(Math.min(total, rowsPerPiece * source.cols));
  try {
    for (let r = 0; r < source.rows; r += rowsPerPiece) {
      const count = Math.min(rowsPerPiece, source.rows - r);
      source.fill(piece, r, count);
      out.set(piece.view.subarray(0, count * source.cols), r * source.cols);
    }
  } finally {
    k.free(piece);
  }
  return out;
}

/** Frees the kernel buffers of generated blocks (and trims the block cache, now that the op is done). */
export function release(k: Kernels, ...blocks: (Block | undefined)[]): void {
  for (const b of blocks) if (b?.owned && !b.owned.freed) k.free(b.owned);
  generatedBlocks.trim(k);
}

/** Bytes of generated random blocks a thread keeps in kernel memory for reuse. */
export const GENERATED_BLOCK_CACHE_BYTES = 64 * 1024 * 1024;

/**
 * Recently generated random blocks, kept in kernel memory: a block is a pure function of its spec, and
 * an executor thread that runs several consumers of one block (the GEMM chains of one output row share
 * their A blocks, those of one column their B blocks) then generates it once. Least recently used
 * blocks beyond GENERATED_BLOCK_CACHE_BYTES are freed — only in `release`, after an op, so a block an op
 * is still using is never freed under it.
 */
class GeneratedBlockCache {
  readonly #entries = new Map<string, F64Buffer>();
  #owner: Kernels | undefined;
  #bytes = 0;

  get(k: Kernels, id: string): F64Buffer | undefined {
    if (this.#owner !== k) return undefined;
    const hit = this.#entries.get(id);
    if (hit) {
      this.#entries.delete(id); // re-insert: most recently used last
      this.#entries.set(id, hit);
    }
    return hit;
  }

  /** Keeps the buffer (true) or declines, leaving it to the caller to free (false). */
  put(k: Kernels, id: string, buffer: F64Buffer): boolean {
    const bytes = buffer.length * 8;
    if (bytes > GENERATED_BLOCK_CACHE_BYTES / 4) return false;
    if (this.#owner !== k) {
      this.#entries.clear();
      this.#bytes = 0;
      this.#owner = k;
    }
    this.#entries.set(id, buffer);
    this.#bytes += bytes;
    return true;
  }

  trim(k: Kernels): void {
    if (this.#owner !== k) return;
    for (const [id, buffer] of this.#entries) {
      if (this.#bytes <= GENERATED_BLOCK_CACHE_BYTES) break;
      this.#entries.delete(id);
      this.#bytes -= buffer.length * 8;
      k.free(buffer);
    }
  }
}

const generatedBlocks = new GeneratedBlockCache();

/** A block's elements as a Float64Array (a view for buffers: use before the next kernel allocation). */
export function viewOf(b: Block): Float64Array {
  return b.data instanceof Float64Array ? b.data : b.data.view;
}

// ─── make_classification ─────────────────────────────────────────────────────────────────────────────

/** Stream blocks at and above this index hold the data set's shared parameters, below it the rows. */
const PARAMETER_BLOCK = 2 ** 50;
const CLUSTERS = 4; // two classes × two clusters per class

interface ClassificationParams {
  /** CLUSTERS × nInformative centres (vertices of the hypercube, ±classSep). */
  readonly centres: Float64Array;
  /** CLUSTERS transforms, nInformative × nInformative each, entries uniform in (−1, 1). */
  readonly transforms: Float64Array;
  /** nInformative × nRedundant mix, entries uniform in (−1, 1). */
  readonly mix: Float64Array;
}

const paramCache = new Map<string, ClassificationParams>();

function classificationParams(
  k: Kernels,
  seed: number,
  nInf: number,
  nRed: number,
  sep: number,
): ClassificationParams {
  const id = `${seed}/${nInf}/${nRed}/${sep}`;
  const hit = paramCache.get(id);
  if (hit) return hit;
  const transforms = k.rngUniform(seed, PARAMETER_BLOCK, CLUSTERS * nInf * nInf, { low: -1, high: 1 });
  const mix = k.rngUniform(seed, PARAMETER_BLOCK + 1, Math.max(1, nInf * nRed), { low: -1, high: 1 });
  // Distinct hypercube vertices, drawn from a stream of uniforms.
  const draws = k.rngUniform(seed, PARAMETER_BLOCK + 2, 64 * CLUSTERS);
  const vertices: number[] = [];
  const corners = 2 ** Math.min(nInf, 30);
  for (let i = 0; i < draws.length && vertices.length < CLUSTERS; i++) {
    const v = Math.floor(draws[i]! * corners);
    if (!vertices.includes(v)) vertices.push(v);
  }
  for (let v = 0; vertices.length < CLUSTERS; v++) if (!vertices.includes(v)) vertices.push(v);
  const centres = new Float64Array(CLUSTERS * nInf);
  vertices.forEach((v, c) => {
    for (let f = 0; f < nInf; f++) centres[c * nInf + f] = (Math.floor(v / 2 ** f) % 2 === 1 ? 1 : -1) * sep;
  });
  const params = { centres, transforms, mix };
  if (paramCache.size > 16) paramCache.clear();
  paramCache.set(id, params);
  return params;
}

/**
 * Rows of block b of a make_classification data set: spec [kind, seed, b, rows, nFeatures, nInformative,
 * nRedundant, flipY, classSep]. Per row three uniforms (cluster, flip?, flipped label) from stream block
 * 2b + 1 and nFeatures normals from block 2b. Cluster c has class c mod 2. Features: informative
 * (z·T_c + centre_c), redundant (informative·M), then noise (z).
 */
export function classificationBlock(
  k: Kernels,
  op: string,
  spec: readonly Value[],
  withX: boolean,
): { x?: Float64Array; y: Float64Array; rows: number; nFeatures: number } {
  const seed = int(op, spec[1], 'seed');
  const b = int(op, spec[2], 'block');
  const rows = int(op, spec[3], 'rows');
  const nFeatures = int(op, spec[4], 'nFeatures');
  const nInf = int(op, spec[5], 'nInformative');
  const nRed = int(op, spec[6], 'nRedundant');
  const flipY = num(op, spec[7], 'flipY');
  const sep = num(op, spec[8], 'classSep');
  if (nInf < 2 || nInf + nRed > nFeatures || b >= PARAMETER_BLOCK / 2)
    throw new BadOpArgsError(op, `bad classification spec [${spec.join(', ')}]`);
  const { centres, transforms, mix } = classificationParams(k, seed, nInf, nRed, sep);
  const u = k.rngUniform(seed, 2 * b + 1, rows * 3);
  const y = new Float64Array(rows);
  const cluster = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    const c = Math.min(CLUSTERS - 1, Math.floor(u[3 * r]! * CLUSTERS));
    cluster[r] = c;
    y[r] = u[3 * r + 1]! < flipY ? (u[3 * r + 2]! < 0.5 ? 0 : 1) : c % 2;
  }
  if (!withX) return { y, rows, nFeatures };
  const x = k.rngNormal(seed, 2 * b, rows * nFeatures);
  const z = new Float64Array(nInf);
  for (let r = 0; r < rows; r++) {
    const row = r * nFeatures;
    const c = cluster[r]!;
    for (let f = 0; f < nInf; f++) z[f] = x[row + f]!;
    for (let f = 0; f < nInf; f++) {
      let acc = centres[c * nInf + f]!;
      for (let g = 0; g < nInf; g++) acc += z[g]! * transforms[(c * nInf + g) * nInf + f]!;
      x[row + f] = acc;
    }
    for (let f = 0; f < nRed; f++) {
      let acc = 0;
      for (let g = 0; g < nInf; g++) acc += x[row + g]! * mix[g * nRed + f]!;
      x[row + nInf + f] = acc;
    }
  }
  return { x, y, rows, nFeatures };
}
