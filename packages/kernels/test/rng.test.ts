// Philox4x32-10 RNG: known-answer vectors of the generator, identical numbers for the same
// (seed, block) on any instance, bit-for-bit agreement with the reference, moments within 6σ of their
// sampling error, and no correlation between blocks or seeds (|r| < 6/√n).
import { beforeAll, describe, expect, it } from 'vitest';
import { ShapeError, loadKernels, reference as R, type Kernels } from '../src/index.js';

let k: Kernels;
let other: Kernels;
beforeAll(async () => {
  k = await loadKernels();
  other = await loadKernels({ variant: 'simd128' });
});

function mean(x: Float64Array): number {
  return x.reduce((a, b) => a + b, 0) / x.length;
}

function variance(x: Float64Array): number {
  const m = mean(x);
  return x.reduce((a, b) => a + (b - m) ** 2, 0) / x.length;
}

function correlation(x: Float64Array, y: Float64Array): number {
  const mx = mean(x);
  const my = mean(y);
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = (x[i] as number) - mx;
    const b = (y[i] as number) - my;
    sxy += a * b;
    sxx += a * a;
    syy += b * b;
  }
  return sxy / Math.sqrt(sxx * syy);
}

describe('philox rng', () => {
  it('reference generator matches the Philox4x32-10 known-answer vectors', () => {
    expect(R.philox4x32(0, 0, 0, 0, 0, 0)).toEqual([0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
    expect(R.philox4x32(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff)).toEqual([
      0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd,
    ]);
    expect(R.philox4x32(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0)).toEqual([
      0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1,
    ]);
  });

  it('same (seed, block) gives the same numbers on every instance and equals the reference', () => {
    for (const [seed, block] of [
      [0, 0],
      [42, 7],
      [2 ** 40 + 3, 2 ** 33 + 1],
      [Number.MAX_SAFE_INTEGER, 5],
    ] as [number, number][]) {
      const a = k.rngUniform(seed, block, 1001);
      expect(Array.from(other.rngUniform(seed, block, 1001))).toEqual(Array.from(a));
      expect(Array.from(a)).toEqual(Array.from(R.rngUniformRef(seed, block, 1001)));
      const z = k.rngNormal(seed, block, 1001, { mean: 2, std: 3 });
      expect(Array.from(other.rngNormal(seed, block, 1001, { mean: 2, std: 3 }))).toEqual(Array.from(z));
      expect(R.maxAbsDiffRef(z, R.rngNormalRef(seed, block, 1001, 2, 3))).toBeLessThanOrEqual(1e-13);
    }
  });

  it('a shorter fill is a prefix of a longer one, and ranges are respected', () => {
    const long = k.rngUniform(9, 1, 100, { low: -2, high: 5 });
    const short = k.rngUniform(9, 1, 37, { low: -2, high: 5 });
    expect(Array.from(short)).toEqual(Array.from(long.subarray(0, 37)));
    for (const v of long) {
      expect(v).toBeGreaterThanOrEqual(-2);
      expect(v).toBeLessThan(5);
    }
  });

  it('every length and offset across the 18-group vector steps equals the reference bit for bit', () => {
    // The vectorised generator runs 18 groups at a time with a scalar head (odd offset) and tail; each
    // element must still be element `offset + i` of the scalar definition.
    for (const kern of [k, other]) {
      for (const [seed, block] of [
        [7, 3],
        [2 ** 40 + 3, 2 ** 33 + 1],
      ] as [number, number][]) {
        const u = R.rngUniformRef(seed, block, 400, -1.5, 2.25);
        const z = kern.rngNormal(seed, block, 400, { mean: 0.5, std: 2 });
        for (let offset = 0; offset < 36; offset++) {
          for (const count of [0, 1, 2, 3, 15, 16, 31, 32, 33, 34, 35, 36, 37, 38, 63, 64, 65, 72, 73, 300]) {
            const got = kern.rngUniform(seed, block, count, { low: -1.5, high: 2.25, offset });
            expect(Array.from(got)).toEqual(Array.from(u.subarray(offset, offset + count)));
            const gz = kern.rngNormal(seed, block, count, { mean: 0.5, std: 2, offset });
            expect(Array.from(gz)).toEqual(Array.from(z.subarray(offset, offset + count)));
          }
        }
      }
      const long = kern.rngUniform(11, 5, 100_003);
      expect(Array.from(long)).toEqual(Array.from(R.rngUniformRef(11, 5, 100_003)));
    }
    expect(() => k.rngUniform(1, 0, 10, { offset: -2 })).toThrow(ShapeError);
    expect(() => k.rngUniform(1, 0, 10, { offset: 1.5 })).toThrow(ShapeError);
    expect(() => k.rngNormal(1, 0, 10, { offset: 2 ** 31 - 5 })).toThrow(ShapeError);
  });

  it('uniform and normal moments are within 6σ of the sampling error', () => {
    const n = 200_000;
    const u = k.rngUniform(123, 0, n);
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(6 * Math.sqrt(1 / 12 / n));
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(6 * Math.sqrt(1 / 180 / n));
    const z = k.rngNormal(123, 1, n);
    expect(Math.abs(mean(z))).toBeLessThan(6 / Math.sqrt(n));
    expect(Math.abs(variance(z) - 1)).toBeLessThan(6 * Math.sqrt(2 / n));
    const m4 = z.reduce((a, b) => a + b ** 4, 0) / n;
    expect(Math.abs(m4 - 3)).toBeLessThan(6 * Math.sqrt(96 / n));
  });

  it('different blocks and seeds are uncorrelated and differ', () => {
    const n = 100_000;
    const bound = 6 / Math.sqrt(n);
    const b0 = k.rngUniform(5, 0, n);
    const b1 = k.rngUniform(5, 1, n);
    const s1 = k.rngUniform(6, 0, n);
    expect(Math.abs(correlation(b0, b1))).toBeLessThan(bound);
    expect(Math.abs(correlation(b0, s1))).toBeLessThan(bound);
    expect(Math.abs(correlation(b0.subarray(1), b0.subarray(0, n - 1)))).toBeLessThan(bound);
    const z0 = k.rngNormal(5, 0, n);
    const z1 = k.rngNormal(5, 1, n);
    expect(Math.abs(correlation(z0, z1))).toBeLessThan(bound);
    expect(
      Math.abs(
        correlation(
          z0.filter((_, i) => i % 2 === 0),
          z0.filter((_, i) => i % 2 === 1),
        ),
      ),
    ).toBeLessThan(bound * Math.SQRT2);
    let same = 0;
    for (let i = 0; i < n; i++) if (b0[i] === b1[i]) same++;
    expect(same).toBe(0);
  });
});
