// Tensor codec: how an n-dimensional array travels through the store.
//
//   offset 0   'WKT1'                       magic (4 bytes)
//   offset 4   H: uint32 LE                 length of the msgpack header
//   offset 8   msgpack { dtype, shape }     H bytes
//   padding    zeros up to the next multiple of 8
//   offset D   raw element bytes, little-endian, row-major
//
// Elements never go through msgpack or JSON one by one. Because D is a multiple of 8, a reader whose bytes
// start at an 8-aligned address (a fresh ArrayBuffer, a SharedArrayBuffer from the memory store, a large
// ioredis reply) gets a zero-copy typed-array view; when the bytes sit at an unaligned offset (ioredis
// returns small replies as slices of its socket buffer) the element bytes are copied once into a fresh,
// aligned buffer. Hosts are little-endian (x86-64, arm64), so the raw bytes are the in-memory layout.
import { decode, encode } from '@msgpack/msgpack';
import { CorruptValue, InvalidValue } from './errors.js';

export type DType = 'f64' | 'f32' | 'i32' | 'u32' | 'i16' | 'u16' | 'i8' | 'u8';
export type TypedArray =
  Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** Structurally the NDArray of @wukong/graph (row-major). */
export interface NDArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

type TypedArrayCtor = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
};

const constructors: Record<DType, TypedArrayCtor> = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  i16: Int16Array,
  u16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
};

const MAGIC = [0x57, 0x4b, 0x54, 0x31]; // 'WKT1'
const PREAMBLE_BYTES = 8;

export interface EncodeTensorOptions {
  /**
   * Allocate the encoded bytes in a SharedArrayBuffer, so the memory store can hand them to other worker
   * threads without any copy. @default false
   */
  shared?: boolean;
}

function elementCount(shape: readonly number[], what: string): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new InvalidValue(what, `shape ${JSON.stringify(shape)} is invalid`);
    n *= d;
  }
  return n;
}

/** Encodes an NDArray: small header + raw little-endian bytes, element data 8-byte aligned. One copy. */
export function encodeTensor(nd: NDArray, opts: EncodeTensorOptions = {}): Uint8Array {
  const ctor = constructors[nd.dtype];
  if (!ctor) throw new InvalidValue('tensor', `unknown dtype ${String(nd.dtype)}`);
  const n = elementCount(nd.shape, 'tensor');
  if (nd.data.length !== n || nd.data.BYTES_PER_ELEMENT !== ctor.BYTES_PER_ELEMENT) {
    throw new InvalidValue(
      'tensor',
      `data has ${nd.data.length} elements of ${nd.data.BYTES_PER_ELEMENT} bytes, shape ${JSON.stringify(nd.shape)} of ${nd.dtype} needs ${n}`,
    );
  }
  const header = encode({ dtype: nd.dtype, shape: [...nd.shape] });
  const dataOffset = alignUp(PREAMBLE_BYTES + header.byteLength, 8);
  const total = dataOffset + nd.data.byteLength;
  const out = new Uint8Array(opts.shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total));
  out.set(MAGIC, 0);
  new DataView(out.buffer, out.byteOffset).setUint32(4, header.byteLength, true);
  out.set(header, PREAMBLE_BYTES);
  out.set(new Uint8Array(nd.data.buffer, nd.data.byteOffset, nd.data.byteLength), dataOffset);
  return out;
}

/** Whether `bytes` start like an encoded tensor. */
export function isEncodedTensor(bytes: Uint8Array): boolean {
  return bytes.byteLength >= PREAMBLE_BYTES && MAGIC.every((b, i) => bytes[i] === b);
}

/**
 * Decodes bytes made by `encodeTensor`. The element data is a view into `bytes` when its address is
 * aligned for the dtype (zero copy; the result then shares memory with `bytes`), else a one-time copy.
 * `key` only names the value in errors.
 */
export function decodeTensor(bytes: Uint8Array, key = 'tensor'): NDArray {
  if (!isEncodedTensor(bytes)) throw new CorruptValue(key, 'not an encoded tensor (bad magic)');
  const headerBytes = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(4, true);
  if (PREAMBLE_BYTES + headerBytes > bytes.byteLength)
    throw new CorruptValue(key, 'tensor header overruns the value');
  let header: unknown;
  try {
    header = decode(bytes.subarray(PREAMBLE_BYTES, PREAMBLE_BYTES + headerBytes));
  } catch (cause) {
    throw new CorruptValue(key, `tensor header does not decode: ${String(cause)}`);
  }
  const { dtype, shape } = (header ?? {}) as { dtype?: unknown; shape?: unknown };
  if (typeof dtype !== 'string' || !(dtype in constructors) || !Array.isArray(shape)) {
    throw new CorruptValue(key, 'tensor header lacks dtype or shape');
  }
  const ctor = constructors[dtype as DType];
  const n = elementCount(shape as number[], key);
  const dataOffset = alignUp(PREAMBLE_BYTES + headerBytes, 8);
  const dataBytes = n * ctor.BYTES_PER_ELEMENT;
  if (dataOffset + dataBytes !== bytes.byteLength) {
    throw new CorruptValue(
      key,
      `tensor of ${n} ${dtype} needs ${dataOffset + dataBytes} bytes, value has ${bytes.byteLength}`,
    );
  }
  const start = bytes.byteOffset + dataOffset;
  let data: TypedArray;
  if (start % ctor.BYTES_PER_ELEMENT === 0) {
    data = new ctor(bytes.buffer, start, n);
  } else {
    const copy = new ArrayBuffer(dataBytes);
    new Uint8Array(copy).set(bytes.subarray(dataOffset));
    data = new ctor(copy, 0, n);
  }
  return { dtype: dtype as DType, shape: shape as number[], data };
}

function alignUp(n: number, to: number): number {
  return Math.ceil(n / to) * to;
}
