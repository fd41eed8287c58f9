/**
 * Value frames: how task outputs (and piggybacked inputs) travel as bytes.
 *
 * A value is anything an op returns: numbers, strings, booleans, null, typed arrays, NDArrays and lists
 * of those. Tensors never go element-wise through msgpack: the frame is a small msgpack header describing
 * the structure, followed by the raw little-endian tensor bodies, each starting on an 8-byte boundary.
 *
 *   0        4        8            8+H      (pad to 8)
 *   | magic  |   H    | msgpack hdr |  ...  | body 0 | pad | body 1 | ...
 *
 * In the header a tensor is a placeholder `{ $t: [dtype, shape | null, index, length] }` (shape null for a
 * bare typed array). Decoding returns views over the frame's memory whenever the body is aligned for its
 * element type (zero-copy; this is what lets worker threads share outputs through SharedArrayBuffer) and
 * copies otherwise (ioredis hands back small replies at unaligned offsets).
 *
 * Why not @wukong/graph's `encodeInlines` (the same idea for inline values of a graph): it packs tensors
 * into a blob and then copies the blob into a frame, and its frames live in ordinary memory. Outputs are
 * on the hot path and often large, so a frame here is laid out in one pass, each tensor copied once,
 * straight into a SharedArrayBuffer when the memory store will keep it.
 */
import { packMsg, unpackMsg } from './msgpack.js';
import {
  DTYPE_ARRAYS,
  dtypeOf,
  isDType,
  isNDArray,
  isTypedArray,
  type DType,
  type Inline,
  type TypedArray,
} from '@wukong/graph';
import { BadPayloadError } from './errors.js';
import { SHARE_MIN_BYTES } from '@wukong/storage';

export type Value = Inline;

const MAGIC = 0x3156_4b57; // 'WKV1' little-endian
const PREFIX_BYTES = 8;

/** Bytes a value occupies in memory, tensors counted by their bodies: the size used by every threshold. */
export function valueBytes(v: Value): number {
  if (isTypedArray(v)) return v.byteLength;
  if (isNDArray(v)) return v.data.byteLength;
  if (Array.isArray(v)) {
    let n = 8;
    for (const item of v) n += valueBytes(item as Value);
    return n;
  }
  if (typeof v === 'string') return v.length * 2 + 8;
  return 8;
}

interface Body {
  data: TypedArray;
  offset: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

export interface EncodeValueOptions {
  /**
   * Allocate the frame in a SharedArrayBuffer so other worker threads can read it without a copy, when it
   * has at least SHARE_MIN_BYTES (@wukong/storage); a smaller frame is cheaper to copy than to share.
   */
  shared?: boolean;
}

export function encodeValue(value: Value, options: EncodeValueOptions = {}): Uint8Array {
  if (typeof value === 'number') return numberFrame(value);
  const bodies: Body[] = [];
  const header = packMsg(describe(value, bodies));
  let offset = align8(PREFIX_BYTES + header.byteLength);
  for (const body of bodies) {
    body.offset = offset;
    offset = align8(offset + body.data.byteLength);
  }
  const total = offset;
  const shared = options.shared === true && total >= SHARE_MIN_BYTES;
  const frame = new Uint8Array(shared ? new SharedArrayBuffer(total) : new ArrayBuffer(total));
  const view = new DataView(frame.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint32(4, header.byteLength, true);
  frame.set(header, PREFIX_BYTES);
  for (const body of bodies) {
    frame.set(new Uint8Array(body.data.buffer, body.data.byteOffset, body.data.byteLength), body.offset);
  }
  return frame;
}

/** Scratch for writing a float 64 big-endian without a DataView. */
const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The frame of a plain number, the commonest small output, written directly: its header is the msgpack
 * float 64 (0xcb and the big-endian double), which any msgpack decoder reads back as the same number.
 * It is never shared (far below SHARE_MIN_BYTES): a small typed array V8 keeps on its heap.
 */
function numberFrame(value: number): Uint8Array {
  const headerBytes = 9;
  const frame = new Uint8Array(align8(PREFIX_BYTES + headerBytes));
  frame[0] = MAGIC & 0xff;
  frame[1] = (MAGIC >>> 8) & 0xff;
  frame[2] = (MAGIC >>> 16) & 0xff;
  frame[3] = MAGIC >>> 24;
  frame[4] = headerBytes;
  frame[PREFIX_BYTES] = 0xcb;
  f64[0] = value;
  for (let i = 0; i < 8; i++) frame[PREFIX_BYTES + 1 + i] = f64Bytes[LITTLE_ENDIAN ? 7 - i : i]!;
  return frame;
}

function describe(value: Value, bodies: Body[]): unknown {
  if (isTypedArray(value)) {
    bodies.push({ data: value, offset: 0 });
    return { $t: [dtypeOf(value), null, bodies.length - 1, value.length] };
  }
  if (isNDArray(value)) {
    bodies.push({ data: value.data, offset: 0 });
    return { $t: [value.dtype, [...value.shape], bodies.length - 1, value.data.length] };
  }
  if (Array.isArray(value)) return value.map((item) => describe(item as Value, bodies));
  return value;
}

export function decodeValue(frame: Uint8Array): Value {
  if (frame.byteLength < PREFIX_BYTES) throw new BadPayloadError('value frame shorter than its prefix');
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (view.getUint32(0, true) !== MAGIC) throw new BadPayloadError('value frame has the wrong magic');
  const headerBytes = view.getUint32(4, true);
  if (PREFIX_BYTES + headerBytes > frame.byteLength) throw new BadPayloadError('value frame header overruns');
  const header = unpackMsg(frame.subarray(PREFIX_BYTES, PREFIX_BYTES + headerBytes));
  // Body offsets are implied by the order of placeholders, exactly as the encoder laid them out.
  let offset = align8(PREFIX_BYTES + headerBytes);
  const rebuild = (node: unknown): Value => {
    if (Array.isArray(node)) return node.map(rebuild);
    if (node !== null && typeof node === 'object') {
      const t = (node as { $t?: unknown }).$t;
      if (!Array.isArray(t) || t.length !== 4)
        throw new BadPayloadError('value frame has a malformed tensor');
      const [dtype, shape, , length] = t as [DType, number[] | null, number, number];
      if (typeof dtype !== 'string' || !isDType(dtype) || !Number.isInteger(length) || length < 0) {
        throw new BadPayloadError(`value frame has a tensor of unknown dtype '${String(dtype)}'`);
      }
      const ctor = DTYPE_ARRAYS[dtype];
      const at = offset;
      const byteLength = length * ctor.BYTES_PER_ELEMENT;
      if (at + byteLength > frame.byteLength)
        throw new BadPayloadError('value frame tensor overruns the frame');
      offset = align8(at + byteLength);
      const absolute = frame.byteOffset + at;
      let data: TypedArray;
      if (absolute % ctor.BYTES_PER_ELEMENT === 0) {
        data = new ctor(frame.buffer as ArrayBuffer, absolute, length);
      } else {
        data = new ctor(length);
        new Uint8Array(data.buffer).set(frame.subarray(at, at + byteLength));
      }
      return shape === null ? data : { dtype, shape, data };
    }
    return node as Value;
  };
  return rebuild(header);
}
