// Householder QR (blocked: compact-WY panels of 16 columns, the final ≤ 32 columns unblocked) and its
// R-only entry. Checked on both builds against the unblocked two-pass reference (dgeqr2/dorg2r):
//   - Q has orthonormal columns:        max |QᵀQ − I| ≤ 1e-13 (1e-12 for 10000×100)
//   - Q·R ≈ A:                          max |QR − A| ≤ 1e-13·√m (entries of A in [-1, 1))
//   - R upper trapezoidal (exact zeros below the diagonal)
//   - R equal to the reference's R up to the sign of each row, and in fact with the same signs
//     (same reflectors, different summation order): ≤ 1e-12·√(m/100) entrywise; Q likewise
//   - qrR's R identical, bit for bit, to qr's R
// Shapes cover n below, at and above the panel width, n not a multiple of it, m = n, m < n, n = 1.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, reference as R, type Kernels } from '../src/index.js';
import { orthonormalityError, randomMatrix } from './helpers.js';

const builds: Record<'simd128' | 'relaxed', Kernels> = {} as Record<'simd128' | 'relaxed', Kernels>;
beforeAll(async () => {
  builds.simd128 = await loadKernels({ variant: 'simd128' });
  builds.relaxed = await loadKernels({ variant: 'auto' });
});

const shapes: [number, number][] = [
  [1, 1],
  [7, 5],
  [5, 7],
  [13, 13],
  [50, 1],
  [100, 30],
  [300, 64],
  [1000, 13],
  [2, 9],
  [200, 50], // one blocked panel, then an 18-column final panel
  [333, 97], // n not a multiple of 16
  [128, 128], // m = n, several blocks
  [120, 120],
  [40, 90], // m < n across blocks: the trailing columns past k
  [600, 33], // one column past the unblocked limit
];

/** Rows of r (k×n) multiplied by the sign of their diagonal entry. */
function signNormalized(r: Float64Array, k: number, n: number): Float64Array {
  const out = Float64Array.from(r);
  for (let i = 0; i < k; i++) {
    if ((r[i * n + i] as number) < 0) for (let c = 0; c < n; c++) out[i * n + c] = -(r[i * n + c] as number);
  }
  return out;
}

function checkFactorization(k: Kernels, a: Float64Array, m: number, n: number, orthTol: number): void {
  const kk = Math.min(m, n);
  const { q, r } = k.qr(a, m, n);
  expect(q.length).toBe(m * kk);
  expect(r.length).toBe(kk * n);
  expect(orthonormalityError(q, m, kk)).toBeLessThanOrEqual(orthTol);
  for (let i = 0; i < kk; i++) for (let j = 0; j < Math.min(i, n); j++) expect(r[i * n + j]).toBe(0);
  expect(R.maxAbsDiffRef(R.matmulRef(q, m, kk, r, n), a)).toBeLessThanOrEqual(1e-13 * Math.sqrt(m));
  const rOnly = k.qrR(a, m, n);
  expect(rOnly.length).toBe(kk * n);
  expect(R.maxAbsDiffRef(rOnly, r)).toBe(0);
  const ref = R.qrRef(a, m, n);
  const tol = 1e-12 * Math.max(1, Math.sqrt(m / 100));
  expect(R.maxAbsDiffRef(signNormalized(r, kk, n), signNormalized(ref.r, kk, n))).toBeLessThanOrEqual(tol);
  expect(R.maxAbsDiffRef(r, ref.r)).toBeLessThanOrEqual(tol);
  expect(R.maxAbsDiffRef(q, ref.q)).toBeLessThanOrEqual(tol);
}

describe.each(['simd128', 'relaxed'] as const)('qr (%s build)', (variant) => {
  it.each(shapes)('%i×%i: Q orthonormal, R upper, QR ≈ A, equal to the reference, qrR = R', (m, n) => {
    checkFactorization(builds[variant], randomMatrix(m, n, m + 7 * n), m, n, 1e-13);
  });

  it('10000×100 (TSQR block size)', () => {
    checkFactorization(builds[variant], randomMatrix(10_000, 100, 5), 10_000, 100, 1e-12);
  });

  it('factors a rank-deficient matrix (zero and repeated columns)', () => {
    const m = 20;
    const n = 6;
    const a = randomMatrix(m, n, 3);
    for (let i = 0; i < m; i++) {
      a[i * n + 2] = 0;
      a[i * n + 4] = a[i * n + 1] as number;
    }
    const { q, r } = builds[variant].qr(a, m, n);
    expect(orthonormalityError(q, m, n)).toBeLessThanOrEqual(1e-13);
    expect(R.maxAbsDiffRef(R.matmulRef(q, m, n, r, n), a)).toBeLessThanOrEqual(1e-13);
  });

  it('factors rank-deficient input across panels (rank 20 of 70, zero columns, repeats)', () => {
    const m = 300;
    const n = 70;
    const rank = 20;
    const b = randomMatrix(m, rank, 8);
    const c = randomMatrix(rank, n, 9);
    const a = R.matmulRef(b, m, rank, c, n); // rank 20
    for (let i = 0; i < m; i++) {
      a[i * n + 17] = 0; // a zero column inside the second panel
      a[i * n + 40] = a[i * n + 3] as number; // a repeat across panels
    }
    const k = builds[variant];
    const { q, r } = k.qr(a, m, n);
    expect(orthonormalityError(q, m, n)).toBeLessThanOrEqual(1e-13);
    expect(R.maxAbsDiffRef(R.matmulRef(q, m, n, r, n), a)).toBeLessThanOrEqual(1e-12);
    expect(R.maxAbsDiffRef(k.qrR(a, m, n), r)).toBe(0);
    // Rank 20: the trailing diagonal of R is at rounding level.
    for (let i = 30; i < n; i++) expect(Math.abs(r[i * n + i] as number)).toBeLessThanOrEqual(1e-12);
    expect(Math.abs(r[0] as number)).toBeGreaterThan(1);
  });

  it('zero matrix: R = 0, Q orthonormal', () => {
    const m = 80;
    const n = 40;
    const { q, r } = builds[variant].qr(new Float64Array(m * n), m, n);
    expect(orthonormalityError(q, m, n)).toBeLessThanOrEqual(1e-15);
    expect(R.maxAbsRef(r)).toBe(0);
  });

  it('writes into caller buffers', () => {
    const k = builds[variant];
    const a = randomMatrix(150, 40, 1);
    const q = k.alloc(150 * 40);
    const r = k.alloc(40 * 40);
    const r2 = k.alloc(40 * 40);
    k.qr(a, 150, 40, { q, r });
    expect(R.maxAbsDiffRef(R.matmulRef(q.view.slice(), 150, 40, r.view.slice(), 40), a)).toBeLessThanOrEqual(
      1e-13 * Math.sqrt(150),
    );
    const view = k.qrR(a, 150, 40, r2);
    expect(R.maxAbsDiffRef(view, r.view)).toBe(0);
    k.free(q);
    k.free(r);
    k.free(r2);
  });

  it('leaves its input untouched (Float64Array and F64Buffer inputs)', () => {
    const k = builds[variant];
    const a = randomMatrix(200, 60, 4);
    const copy = Float64Array.from(a);
    const buf = k.fromArray(a);
    const fromArray = k.qr(a, 200, 60);
    const fromBuffer = k.qr(buf, 200, 60);
    const rOnly = k.qrR(buf, 200, 60);
    expect(R.maxAbsDiffRef(a, copy)).toBe(0);
    expect(R.maxAbsDiffRef(buf.view, copy)).toBe(0);
    expect(R.maxAbsDiffRef(fromArray.q, fromBuffer.q)).toBe(0);
    expect(R.maxAbsDiffRef(fromArray.r, fromBuffer.r)).toBe(0);
    expect(R.maxAbsDiffRef(rOnly, fromBuffer.r)).toBe(0);
    k.free(buf);
  });
});
