/**
 * Inline values in binary form: msgpack for the structure, tensors as raw aligned bytes.
 *
 * {@link InlinePacker.pack} turns an inline value into a msgpack-ready structure in which every typed array
 * and NDArray is replaced by a small map `{ d: dtype, s?: shape, o: byteOffset, n: elements }` pointing into
 * one tensor blob; every tensor starts at a multiple of 8 bytes in that blob. Inline values never contain other
 * maps, so a map in the structure is always a tensor. {@link unpackInline} reverses it, viewing tensors in the
 * blob without copying when the blob is aligned (it is, inside a frame).
 */
import { GraphCodecError } from '../errors.js';
import {
  DTYPE_ARRAYS,
  dtypeOf,
  isDType,
  isTypedArray,
  shapeSize,
  type DType,
  type Inline,
  type NDArray,
  type TypedArray,
} from '../spec/types.js';

/** Deepest inline nesting the codecs accept from untrusted bytes (validation usually bounds it lower). */
const MAX_PACK_DEPTH = 100;

interface PackedTensor {
  d: DType;
  s?: number[];
  o: number;
  n: number;
}

/** Collects tensors into one blob while packing inline values. */
export class InlinePacker {
  private readonly tensors: TypedArray[] = [];
  private readonly offsets: number[] = [];
  private blobBytes = 0;

  /** The msgpack-ready structure of `value`; tensors are moved to the blob. */
  pack(value: Inline, depth = 0): unknown {
    if (typeof value !== 'object' || value === null) return value;
    if (depth > MAX_PACK_DEPTH)
      throw new GraphCodecError(`inline value nested deeper than ${MAX_PACK_DEPTH}`);
    if (Array.isArray(value)) {
      const arr = value as readonly Inline[];
      const out = new Array<unknown>(arr.length);
      for (let i = 0; i < arr.length; i++) out[i] = this.pack(arr[i] as Inline, depth + 1);
      return out;
    }
    if (isTypedArray(value)) return this.addTensor(value);
    const nd = value as NDArray;
    if (!isTypedArray(nd.data) || !Array.isArray(nd.shape)) {
      throw new GraphCodecError('objects are not inline values, except NDArray { dtype, shape, data }');
    }
    const packed = this.addTensor(nd.data);
    packed.s = [...nd.shape];
    return packed;
  }

  private addTensor(t: TypedArray): PackedTensor {
    const offset = Math.ceil(this.blobBytes / 8) * 8;
    this.tensors.push(t);
    this.offsets.push(offset);
    this.blobBytes = offset + t.byteLength;
    return { d: dtypeOf(t) as DType, o: offset, n: t.length };
  }

  /** The tensor blob: every tensor's raw little-endian bytes at its 8-aligned offset. */
  blob(): Uint8Array {
    const out = new Uint8Array(this.blobBytes);
    this.tensors.forEach((t, k) => {
      out.set(new Uint8Array(t.buffer, t.byteOffset, t.byteLength), this.offsets[k] as number);
    });
    return out;
  }
}

/**
 * Rebuilds an inline value from its packed structure and the tensor blob. Tensors are views on `blob` when it
 * is 8-byte aligned (so they share memory with the encoded bytes), copies otherwise.
 */
export function unpackInline(structure: unknown, blob: Uint8Array, depth = 0): Inline {
  if (typeof structure !== 'object' || structure === null) {
    if (
      typeof structure === 'number' ||
      typeof structure === 'string' ||
      typeof structure === 'boolean' ||
      structure === null
    ) {
      return structure;
    }
    throw new GraphCodecError(`unexpected ${typeof structure} in an inline value`);
  }
  if (depth > MAX_PACK_DEPTH) throw new GraphCodecError(`inline value nested deeper than ${MAX_PACK_DEPTH}`);
  if (Array.isArray(structure)) {
    const out = new Array<Inline>(structure.length);
    for (let i = 0; i < structure.length; i++) out[i] = unpackInline(structure[i], blob, depth + 1);
    return out;
  }
  const p = structure as Partial<PackedTensor>;
  if (
    typeof p.d !== 'string' ||
    !isDType(p.d) ||
    !Number.isSafeInteger(p.o) ||
    !Number.isSafeInteger(p.n) ||
    (p.o as number) < 0 ||
    (p.n as number) < 0
  ) {
    throw new GraphCodecError('malformed tensor reference in an inline value');
  }
  const ctor = DTYPE_ARRAYS[p.d];
  const o = p.o as number;
  const n = p.n as number;
  if (o + n * ctor.BYTES_PER_ELEMENT > blob.byteLength) {
    throw new GraphCodecError('tensor reference points past the end of the tensor blob');
  }
  let data: TypedArray;
  if ((blob.byteOffset + o) % ctor.BYTES_PER_ELEMENT === 0) {
    data = new ctor(blob.buffer as ArrayBuffer, blob.byteOffset + o, n);
  } else {
    data = new ctor(n);
    new Uint8Array(data.buffer).set(blob.subarray(o, o + n * ctor.BYTES_PER_ELEMENT));
  }
  if (p.s === undefined) return data;
  if (!Array.isArray(p.s) || !p.s.every((d) => Number.isSafeInteger(d) && d >= 0) || shapeSize(p.s) !== n) {
    throw new GraphCodecError(`tensor shape does not match its ${n} elements`);
  }
  return { dtype: p.d, shape: p.s, data };
}
