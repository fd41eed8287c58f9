// The tensor codec: header + raw little-endian bytes, zero-copy view when aligned, one copy when not.
import { describe, expect, it } from 'vitest';
import {
  CorruptValue,
  InvalidValue,
  decodeTensor,
  encodeTensor,
  isEncodedTensor,
  type NDArray,
} from '../src/index.js';

const samples: NDArray[] = [
  { dtype: 'f64', shape: [2, 3], data: Float64Array.from([1.5, -2, 3e300, Number.NaN, 0, -0]) },
  { dtype: 'f32', shape: [5], data: Float32Array.from([1, 2, 3, 4, 5]) },
  { dtype: 'i32', shape: [2, 2], data: Int32Array.from([-1, 2 ** 31 - 1, -(2 ** 31), 0]) },
  { dtype: 'u32', shape: [1], data: Uint32Array.from([2 ** 32 - 1]) },
  { dtype: 'i16', shape: [3], data: Int16Array.from([-32768, 0, 32767]) },
  { dtype: 'u16', shape: [3], data: Uint16Array.from([0, 1, 65535]) },
  { dtype: 'i8', shape: [3], data: Int8Array.from([-128, 0, 127]) },
  { dtype: 'u8', shape: [0, 4], data: new Uint8Array(0) },
  { dtype: 'f64', shape: [], data: Float64Array.from([42]) },
];

describe('tensor codec', () => {
  it('round-trips every dtype, including empty and scalar tensors', () => {
    for (const nd of samples) {
      const bytes = encodeTensor(nd);
      expect(isEncodedTensor(bytes)).toBe(true);
      const back = decodeTensor(bytes);
      expect(back.dtype).toBe(nd.dtype);
      expect(back.shape).toEqual(nd.shape);
      expect(back.data.constructor).toBe(nd.data.constructor);
      expect(Buffer.from(back.data.buffer, back.data.byteOffset, back.data.byteLength)).toEqual(
        Buffer.from(nd.data.buffer, nd.data.byteOffset, nd.data.byteLength),
      );
    }
  });

  it('stores raw little-endian element bytes at an 8-byte aligned offset', () => {
    const bytes = encodeTensor({ dtype: 'f64', shape: [1], data: Float64Array.from([1]) });
    const offset = bytes.byteLength - 8;
    expect(offset % 8).toBe(0);
    expect(Array.from(bytes.subarray(offset))).toEqual([0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  });

  it('gives a zero-copy view when aligned and one copy when not', () => {
    const data = Float64Array.from({ length: 100 }, (_, i) => i / 3);
    const bytes = encodeTensor({ dtype: 'f64', shape: [10, 10], data });
    const aligned = decodeTensor(bytes);
    expect(aligned.data.buffer).toBe(bytes.buffer);

    // The same bytes at an odd offset inside a larger buffer, as ioredis hands out small replies.
    const host = new Uint8Array(bytes.byteLength + 3);
    host.set(bytes, 3);
    const unaligned = decodeTensor(host.subarray(3));
    expect(unaligned.data.buffer).not.toBe(host.buffer);
    expect(Array.from(unaligned.data)).toEqual(Array.from(data));
  });

  it('can allocate the encoding in shared memory for the memory store', () => {
    const bytes = encodeTensor(
      { dtype: 'i32', shape: [4], data: Int32Array.from([1, 2, 3, 4]) },
      { shared: true },
    );
    expect(bytes.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(decodeTensor(bytes).data.buffer).toBe(bytes.buffer);
  });

  it('rejects inconsistent tensors and corrupt bytes with typed errors', () => {
    expect(() => encodeTensor({ dtype: 'f64', shape: [3], data: new Float64Array(2) })).toThrow(InvalidValue);
    expect(() => encodeTensor({ dtype: 'f64', shape: [2], data: new Float32Array(2) })).toThrow(InvalidValue);
    expect(() => encodeTensor({ dtype: 'f64', shape: [-1], data: new Float64Array(0) })).toThrow(
      InvalidValue,
    );
    const good = encodeTensor({ dtype: 'f64', shape: [2], data: new Float64Array(2) });
    expect(() => decodeTensor(good.subarray(0, good.byteLength - 1), 'k')).toThrow(CorruptValue);
    expect(() => decodeTensor(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]))).toThrow(CorruptValue);
    const badHeader = good.slice();
    badHeader[4] = 0xff;
    expect(() => decodeTensor(badHeader)).toThrow(CorruptValue);
  });
});
