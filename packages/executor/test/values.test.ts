import { describe, expect, it } from 'vitest';
import type { NDArray } from '@wukong/graph';
import { SHARE_MIN_BYTES } from '@wukong/storage';
import { decodeValue, encodeValue, valueBytes, type Value } from '../src/values.js';

describe('value frames', () => {
  it('round-trips scalars, strings, null and nested lists', () => {
    for (const v of [0, -1.5, 2 ** 53, 'héllo', true, false, null, [1, [2, 'x'], []]] as Value[]) {
      expect(decodeValue(encodeValue(v))).toEqual(v);
    }
  });

  it('round-trips every number exactly, in a small frame of its own even when sharing is asked for', () => {
    const numbers = [
      0,
      -0,
      1,
      -1,
      255,
      2 ** 31,
      -(2 ** 53),
      0.1,
      Math.PI,
      1e308,
      5e-324,
      Infinity,
      -Infinity,
      NaN,
    ];
    for (const shared of [false, true]) {
      for (const n of numbers) {
        const frame = encodeValue(n, { shared });
        expect(frame.buffer instanceof SharedArrayBuffer).toBe(false);
        expect(frame.byteLength).toBeLessThan(SHARE_MIN_BYTES);
        expect(Object.is(decodeValue(frame), n)).toBe(true);
      }
    }
  });

  it('round-trips every dtype as typed arrays and NDArrays', () => {
    const arrays = [
      Float64Array.from([1.5, -2, Math.PI]),
      Float32Array.from([1.5, -2]),
      Int32Array.from([-7, 8, 2 ** 30]),
      Uint32Array.from([1, 2 ** 32 - 1]),
      Int16Array.from([-300]),
      Uint16Array.from([65535]),
      Int8Array.from([-128, 127]),
      Uint8Array.from([0, 255, 7]),
    ];
    for (const a of arrays) {
      const back = decodeValue(encodeValue(a));
      expect(back).toBeInstanceOf(a.constructor);
      expect(Array.from(back as typeof a)).toEqual(Array.from(a));
    }
    const nd: NDArray = { dtype: 'f64', shape: [2, 3], data: Float64Array.from([1, 2, 3, 4, 5, 6]) };
    const list = decodeValue(encodeValue([nd, 3, Int8Array.from([1])])) as Value[];
    const back = list[0] as NDArray;
    expect(back.shape).toEqual([2, 3]);
    expect(back.dtype).toBe('f64');
    expect(Array.from(back.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(list[1]).toBe(3);
    expect(Array.from(list[2] as Int8Array)).toEqual([1]);
  });

  it('views aligned tensor bodies in place and copies unaligned ones', () => {
    const frame = encodeValue(Float64Array.from([1, 2, 3]));
    const aligned = decodeValue(frame) as Float64Array;
    expect(aligned.buffer).toBe(frame.buffer);
    const shifted = new Uint8Array(frame.byteLength + 1);
    shifted.set(frame, 1);
    const copy = decodeValue(shifted.subarray(1)) as Float64Array;
    expect(copy.buffer).not.toBe(shifted.buffer);
    expect(Array.from(copy)).toEqual([1, 2, 3]);
  });

  it('allocates shared frames on request from SHARE_MIN_BYTES up, and decoded views share that memory', () => {
    const elements = SHARE_MIN_BYTES / 8;
    const data = Float64Array.from({ length: elements }, (_, i) => i / 3);
    const frame = encodeValue({ dtype: 'f64', shape: [elements], data }, { shared: true });
    expect(frame.buffer).toBeInstanceOf(SharedArrayBuffer);
    const nd = decodeValue(frame) as NDArray;
    expect(nd.data.buffer).toBe(frame.buffer);
    expect(Array.from(nd.data)).toEqual(Array.from(data));
    // Below the threshold a copy is cheaper than a SharedArrayBuffer: the frame stays in ordinary memory.
    const small = encodeValue(
      { dtype: 'f64', shape: [2], data: Float64Array.from([4, 5]) },
      { shared: true },
    );
    expect(small.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from((decodeValue(small) as NDArray).data)).toEqual([4, 5]);
  });

  it('rejects frames that are not value frames or overrun', () => {
    expect(() => decodeValue(Uint8Array.from([1, 2, 3]))).toThrow(/shorter/);
    expect(() => decodeValue(new Uint8Array(16))).toThrow(/magic/);
    const frame = encodeValue(Float64Array.from([1, 2, 3]));
    expect(() => decodeValue(frame.subarray(0, frame.byteLength - 8))).toThrow(/overruns/);
  });

  it('counts tensor bodies for size thresholds', () => {
    expect(valueBytes(new Float64Array(1000))).toBe(8000);
    expect(valueBytes([new Float64Array(10), new Float32Array(10)])).toBe(8 + 80 + 40);
  });
});
