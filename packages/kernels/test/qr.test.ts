// Householder QR: Q has orthonormal columns, R is upper trapezoidal, Q·R ≈ A, and the factors equal
// the reference dgeqr2/dorg2r-convention QR. Tolerances: 1e-13 for orthonormality and reconstruction
// (entries of A in [-1, 1)), 1e-12 against the reference (same reflectors, different summation order).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, reference as R, type Kernels } from '../src/index.js';
import { orthonormalityError, randomMatrix } from './helpers.js';

let k: Kernels;
beforeAll(async () => {
  k = await loadKernels();
});

const shapes: [number, number][] = [
  [1, 1],
  [7, 5],
  [5, 7],
  [13, 13],
  [100, 30],
  [300, 64],
  [1000, 13],
  [2, 9],
];

describe('qr', () => {
  it.each(shapes)('%i×%i: Q orthonormal, R upper, QR ≈ A, equal to the reference', (m, n) => {
    const a = randomMatrix(m, n, m + 7 * n);
    const kk = Math.min(m, n);
    const { q, r } = k.qr(a, m, n);
    expect(q.length).toBe(m * kk);
    expect(r.length).toBe(kk * n);
    expect(orthonormalityError(q, m, kk)).toBeLessThanOrEqual(1e-13);
    for (let i = 0; i < kk; i++) for (let j = 0; j < Math.min(i, n); j++) expect(r[i * n + j]).toBe(0);
    expect(R.maxAbsDiffRef(R.matmulRef(q, m, kk, r, n), a)).toBeLessThanOrEqual(1e-13 * Math.sqrt(m));
    const ref = R.qrRef(a, m, n);
    expect(R.maxAbsDiffRef(q, ref.q)).toBeLessThanOrEqual(1e-12);
    expect(R.maxAbsDiffRef(r, ref.r)).toBeLessThanOrEqual(1e-12);
  });

  it('factors a rank-deficient matrix (zero and repeated columns)', () => {
    const m = 20;
    const n = 6;
    const a = randomMatrix(m, n, 3);
    for (let i = 0; i < m; i++) {
      a[i * n + 2] = 0;
      a[i * n + 4] = a[i * n + 1] as number;
    }
    const { q, r } = k.qr(a, m, n);
    expect(orthonormalityError(q, m, n)).toBeLessThanOrEqual(1e-13);
    expect(R.maxAbsDiffRef(R.matmulRef(q, m, n, r, n), a)).toBeLessThanOrEqual(1e-13);
  });

  it('writes into caller buffers', () => {
    const a = randomMatrix(50, 10, 1);
    const q = k.alloc(500);
    const r = k.alloc(100);
    k.qr(a, 50, 10, { q, r });
    expect(R.maxAbsDiffRef(R.matmulRef(q.view.slice(), 50, 10, r.view.slice(), 10), a)).toBeLessThanOrEqual(
      1e-13,
    );
    k.free(q);
    k.free(r);
  });
});
