// SVD (Golub–Kahan–Reinsch): U·S·Vt ≈ A, orthonormal U columns and Vt rows, S descending and
// non-negative, singular values of constructed matrices, and agreement with the reference one-sided
// Jacobi SVD. Tolerances: 1e-12 relative to ‖A‖ for reconstruction and singular values, 1e-12 for
// orthonormality. Shapes with max(m, n) ≥ 2·min(m, n) exercise the QR-first path.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, reference as R, type Kernels } from '../src/index.js';
import { orthonormalityError, randomMatrix, reconstruct } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

function transposed(a: Float64Array, m: number, n: number): Float64Array {
  return R.transposeRef(a, m, n);
}

describe('svd', () => {
  it.each([
    [1, 1],
    [5, 5],
    [7, 4],
    [4, 7],
    [30, 30],
    [64, 20],
    [20, 64],
    [100, 100],
    [1, 6],
    [6, 1],
    [600, 40], // elongated (max ≥ 2·min): the QR-first path, blocked QR
    [40, 500],
    [200, 100],
  ] as [number, number][])(
    '%i×%i random: reconstruction, orthogonality, order, agreement with Jacobi',
    (m, n) => {
      const a = randomMatrix(m, n, 11 * m + n);
      const kk = Math.min(m, n);
      const { u, s, vt } = k.svd(a, m, n);
      expect(R.maxAbsDiffRef(reconstruct(u, s, vt, m, kk, n), a)).toBeLessThanOrEqual(
        1e-12 * Math.max(1, s[0] as number),
      );
      expect(orthonormalityError(u, m, kk)).toBeLessThanOrEqual(1e-12);
      expect(orthonormalityError(transposed(vt, kk, n), n, kk)).toBeLessThanOrEqual(1e-12);
      for (let i = 1; i < kk; i++) expect(s[i] as number).toBeLessThanOrEqual(s[i - 1] as number);
      expect(s[kk - 1] as number).toBeGreaterThanOrEqual(0);
      const ref = R.svdRef(a, m, n);
      expect(R.maxAbsDiffRef(s, ref.s)).toBeLessThanOrEqual(1e-12 * Math.max(1, s[0] as number));
    },
  );

  it('finds the singular values of Q1·diag(σ)·Q2ᵀ', () => {
    const m = 40;
    const n = 12;
    const sigma = [100, 50, 20, 10, 5, 3, 2, 1, 0.5, 0.1, 1e-3, 1e-6];
    const q1 = k.qr(randomMatrix(m, n, 1), m, n).q; // m×n, orthonormal columns
    const q2 = k.qr(randomMatrix(n, n, 2), n, n).q; // n×n orthogonal
    const q1s = q1.map((v, i) => v * (sigma[i % n] as number));
    const a = R.matmulRef(q1s, m, n, R.transposeRef(q2, n, n), n);
    const { s } = k.svd(a, m, n);
    sigma.forEach((sv, i) => expect(Math.abs((s[i] as number) - sv)).toBeLessThanOrEqual(1e-12 * 100));
  });

  it('diagonal, permuted and signed: values are |d| sorted descending', () => {
    const d = [0.5, -3, 2, 0, -7];
    const a = new Float64Array(25);
    d.forEach((v, i) => (a[i * 5 + ((i + 2) % 5)] = v));
    const { u, s, vt } = k.svd(a, 5, 5);
    expect(Array.from(s)).toEqual([7, 3, 2, 0.5, 0]);
    expect(R.maxAbsDiffRef(reconstruct(u, s, vt, 5, 5, 5), a)).toBeLessThanOrEqual(1e-14);
    expect(orthonormalityError(u, 5, 5)).toBeLessThanOrEqual(1e-14);
  });

  it('rank 2: two non-zero values, full orthonormal factors', () => {
    const m = 9;
    const n = 6;
    const x = randomMatrix(m, 2, 5);
    const y = randomMatrix(2, n, 6);
    const a = R.matmulRef(x, m, 2, y, n);
    const { u, s, vt } = k.svd(a, m, n);
    for (let i = 2; i < n; i++) expect(s[i] as number).toBeLessThanOrEqual(1e-14 * (s[0] as number));
    expect(s[1] as number).toBeGreaterThan(1e-3);
    expect(orthonormalityError(u, m, n)).toBeLessThanOrEqual(1e-12);
    expect(R.maxAbsDiffRef(reconstruct(u, s, vt, m, n, n), a)).toBeLessThanOrEqual(1e-13);
  });

  it('elongated inputs (QR-first path): rank 3 of 300×50 and its transpose, into caller buffers', () => {
    const m = 300;
    const n = 50;
    const a = R.matmulRef(randomMatrix(m, 3, 12), m, 3, randomMatrix(3, n, 13), n);
    const ref = R.svdRef(a, m, n);
    for (const [rows, cols, x] of [
      [m, n, a],
      [n, m, R.transposeRef(a, m, n)],
    ] as [number, number, Float64Array][]) {
      const u = k.alloc(rows * n);
      const s = k.alloc(n);
      const vt = k.alloc(n * cols);
      k.svd(x, rows, cols, { u, s, vt });
      const sv = s.view.slice();
      expect(R.maxAbsDiffRef(sv, ref.s)).toBeLessThanOrEqual(1e-12 * (sv[0] as number));
      for (let i = 3; i < n; i++) expect(sv[i] as number).toBeLessThanOrEqual(1e-13 * (sv[0] as number));
      expect(orthonormalityError(u.view.slice(), rows, n)).toBeLessThanOrEqual(1e-12);
      expect(orthonormalityError(R.transposeRef(vt.view.slice(), n, cols), cols, n)).toBeLessThanOrEqual(
        1e-12,
      );
      const back = reconstruct(u.view.slice(), sv, vt.view.slice(), rows, n, cols);
      expect(R.maxAbsDiffRef(back, x)).toBeLessThanOrEqual(1e-12 * (sv[0] as number));
      for (const b of [u, s, vt]) k.free(b);
    }
  });

  it('the zero matrix has zero singular values and orthonormal factors', () => {
    const { u, s, vt } = k.svd(new Float64Array(12), 4, 3);
    expect(Array.from(s)).toEqual([0, 0, 0]);
    expect(orthonormalityError(u, 4, 3)).toBeLessThanOrEqual(1e-15);
    expect(orthonormalityError(R.transposeRef(vt, 3, 3), 3, 3)).toBeLessThanOrEqual(1e-15);
  });
});
