// Elementwise maps, transpose and reductions against the plain-TS references on lengths that exercise
// the SIMD tails (0, 1, 2, 3, 7, 8, 9, 1000, 1025). Sums: relative 1e-13 (different association).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, reference as R, type Kernels } from '../src/index.js';
import { randomMatrix } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

const lengths = [0, 1, 2, 3, 7, 8, 9, 1000, 1025];

describe('elementwise', () => {
  it('add, sub, mul, scale and axpy match the references exactly', () => {
    for (const n of lengths) {
      const a = randomMatrix(1, n, n + 1);
      const b = randomMatrix(1, n, n + 2);
      expect(Array.from(k.add(a, b))).toEqual(Array.from(R.addRef(a, b)));
      expect(Array.from(k.sub(a, b))).toEqual(Array.from(R.subRef(a, b)));
      expect(Array.from(k.mul(a, b))).toEqual(Array.from(R.mulRef(a, b)));
      expect(Array.from(k.scale(a, -2.5))).toEqual(Array.from(R.scaleRef(a, -2.5)));
      const y = k.fromArray(b);
      k.axpy(3, a, y);
      const expected = b.map((v, i) => v + 3 * (a[i] as number));
      expect(R.maxAbsDiffRef(y.view, expected)).toBeLessThanOrEqual(1e-15);
      k.free(y);
    }
  });

  it('reductions match the references', () => {
    for (const n of lengths) {
      const a = randomMatrix(1, n, n + 3);
      const b = randomMatrix(1, n, n + 4);
      const tol = (x: number) => 1e-13 * Math.max(1, Math.abs(x));
      expect(Math.abs(k.sum(a) - R.sumRef(a))).toBeLessThanOrEqual(tol(R.sumRef(a)));
      expect(Math.abs(k.dot(a, b) - R.dotRef(a, b))).toBeLessThanOrEqual(tol(R.dotRef(a, b)));
      expect(Math.abs(k.sumSquares(a) - R.sumSquaresRef(a))).toBeLessThanOrEqual(tol(R.sumSquaresRef(a)));
      expect(Math.abs(k.frobeniusNorm(a) - Math.sqrt(R.sumSquaresRef(a)))).toBeLessThanOrEqual(1e-13);
      expect(k.maxAbs(a)).toBe(R.maxAbsRef(a));
      expect(k.maxAbsDiff(a, b)).toBe(R.maxAbsDiffRef(a, b));
    }
    expect(k.sum(new Float64Array([1, 2, 3, 4]))).toBe(10);
    expect(k.mean(new Float64Array([1, 2, 3, 6]))).toBe(3);
    expect(k.maxAbsDiff(new Float64Array([1, NaN]), new Float64Array([1, 2]))).toBeNaN();
  });

  it('column sums, row sums and transpose on odd shapes', () => {
    for (const [m, n] of [
      [1, 1],
      [3, 5],
      [17, 9],
      [100, 33],
      [8, 8],
      [9, 17],
    ] as [number, number][]) {
      const a = randomMatrix(m, n, m * n);
      expect(R.maxAbsDiffRef(k.colSums(a, m, n), R.colSumsRef(a, m, n))).toBeLessThanOrEqual(1e-13);
      expect(R.maxAbsDiffRef(k.rowSums(a, m, n), R.rowSumsRef(a, m, n))).toBeLessThanOrEqual(1e-13);
      expect(Array.from(k.transpose(a, m, n))).toEqual(Array.from(R.transposeRef(a, m, n)));
    }
  });
});
