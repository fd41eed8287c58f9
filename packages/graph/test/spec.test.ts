import { describe, expect, it } from 'vitest';
import { KeyIndex, dtypeOf, isNDArray, isRef, isTypedArray, shapeSize } from '../src/index.js';

describe('spec predicates', () => {
  it('tells refs, tensors and other values apart', () => {
    expect(isRef({ ref: 'a' })).toBe(true);
    expect(isRef({ ref: 3 })).toBe(false);
    expect(isRef([{ ref: 'a' }])).toBe(false);
    expect(isRef(null)).toBe(false);
    expect(isRef('a')).toBe(false);
    expect(isNDArray({ dtype: 'i16', shape: [2], data: new Int16Array(2) })).toBe(true);
    expect(isNDArray({ dtype: 'f32', shape: [2], data: new Float64Array(2) })).toBe(false);
    expect(isNDArray({ dtype: 'f64', shape: 2, data: new Float64Array(2) })).toBe(false);
    expect(isNDArray(new Float64Array(2))).toBe(false);
    expect(isTypedArray(new Uint16Array(1))).toBe(true);
    expect(isTypedArray(new BigInt64Array(1))).toBe(false);
    expect(isTypedArray(new Uint8ClampedArray(1))).toBe(false);
    expect(isTypedArray(new DataView(new ArrayBuffer(1)))).toBe(false);
    expect(dtypeOf(new Int8Array(1))).toBe('i8');
    expect(shapeSize([])).toBe(1);
    expect(shapeSize([3, 0])).toBe(0);
    expect(shapeSize([2, 3, 4])).toBe(24);
  });
});

describe('KeyIndex', () => {
  it('maps keys to insertion indices and reports duplicates with the first index', () => {
    const n = 50_000;
    const index = new KeyIndex(n);
    for (let i = 0; i < n; i++) expect(index.add(`k${i}`)).toBe(i);
    expect(index.size).toBe(n);
    for (let i = 0; i < n; i += 997) expect(index.get(`k${i}`)).toBe(i);
    // Fresh string objects with equal contents are found too.
    expect(index.get(['k', '123'].join(''))).toBe(123);
    expect(index.get('k50000')).toBe(-1);
    expect(index.get('')).toBe(-1);
    expect(index.add('k42')).toBe(-1 - 42);
    expect(index.size).toBe(n);
    expect(() => index.add('one-too-many')).toThrow(RangeError);
  });

  it('keeps keys that differ only in code units beyond ASCII apart', () => {
    const index = new KeyIndex(4);
    expect(index.add('é')).toBe(0);
    expect(index.add('e\u0301')).toBe(1);
    expect(index.add('🚀')).toBe(2);
    expect(index.add('')).toBe(3);
    expect([index.get('e\u0301'), index.get('é'), index.get('🚀'), index.get('')]).toEqual([1, 0, 2, 3]);
  });
});
