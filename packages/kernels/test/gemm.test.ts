// gemm and matmul against the naive reference on odd and rectangular shapes, every transpose
// combination, alpha/beta, both builds. Tolerance: |C − C_ref| ≤ 1e-14·k·max|A|·max|B| + 1e-15
// (inputs in [-1, 1), so this bounds the accumulated rounding of a length-k dot product).
import { beforeAll, describe, expect, it } from 'vitest';
import { GEMM_K_BLOCK, ShapeError, loadKernels, reference, type Kernels } from '../src/index.js';
import { randomMatrix } from './helpers.js';

const shapes: [number, number, number][] = [
  [1, 1, 1],
  [7, 13, 5],
  [33, 65, 17],
  [33, 65, 65],
  [65, 33, 129],
  [130, 300, 67], // crosses the MC = 128 and KC = 256 block edges
  [3, 1, 9],
  [1, 40, 1],
];

const builds: Record<string, Kernels> = {};

beforeAll(async () => {
  builds.simd128 = await loadKernels({ variant: 'simd128' });
  builds.relaxed = await loadKernels({ variant: 'auto' });
});

describe.each(['simd128', 'relaxed'])('gemm (%s build)', (build) => {
  it('matmul equals the naive product on odd and rectangular shapes', () => {
    const k = builds[build] as Kernels;
    for (const [m, kk, n] of shapes) {
      const a = randomMatrix(m, kk, m * 31 + kk);
      const b = randomMatrix(kk, n, n * 17 + kk);
      const c = k.matmul(a, m, kk, b, n);
      expect(c.length).toBe(m * n);
      expect(reference.maxAbsDiffRef(c, reference.matmulRef(a, m, kk, b, n))).toBeLessThanOrEqual(
        1e-14 * kk + 1e-15,
      );
    }
  });

  it('handles every transpose combination with alpha and beta', () => {
    const k = builds[build] as Kernels;
    for (const [m, kk, n] of shapes) {
      for (const transA of [false, true]) {
        for (const transB of [false, true]) {
          const a = randomMatrix(m, kk, 5 + m);
          const b = randomMatrix(kk, n, 9 + n);
          const c0 = randomMatrix(m, n, 13);
          const cBuf = k.fromArray(c0);
          k.gemm({ m, n, k: kk, a, b, c: cBuf, alpha: -0.75, beta: 0.5, transA, transB });
          const expected = Float64Array.from(c0);
          reference.gemmRef(transA, transB, m, n, kk, -0.75, a, b, 0.5, expected);
          expect(reference.maxAbsDiffRef(cBuf.view, expected)).toBeLessThanOrEqual(1e-14 * kk + 1e-15);
          k.free(cBuf);
        }
      }
    }
  });

  it('beta = 0 overwrites C even when it holds NaN', () => {
    const k = builds[build] as Kernels;
    const c = k.fromArray(new Float64Array(6).fill(NaN));
    k.gemm({ m: 2, n: 3, k: 1, a: new Float64Array([1, 2]), b: new Float64Array([1, 1, 1]), c });
    expect(Array.from(c.view)).toEqual([1, 1, 1, 2, 2, 2]);
    k.free(c);
  });

  it('k = 0 scales C by beta only', () => {
    const k = builds[build] as Kernels;
    const c = k.fromArray(new Float64Array([1, 2, 3, 4]));
    k.gemm({ m: 2, n: 2, k: 0, a: new Float64Array(0), b: new Float64Array(0), c, beta: 3 });
    expect(Array.from(c.view)).toEqual([3, 6, 9, 12]);
    k.free(c);
  });

  it('thin products (15 columns, or 15 rows through Aᵀ) equal the first columns/rows of wider ones bit for bit', () => {
    // Each entry of C is one dot product accumulated in the same order whatever the width: the packing
    // of A two columns at a time, the edge tiles and the full tiles must agree exactly.
    const k = builds[build] as Kernels;
    for (const kk of [1, 2, 7, 255, 256, 257, 600]) {
      const a = randomMatrix(37, kk, kk);
      const b = randomMatrix(kk, 17, kk + 1);
      const wide = k.matmul(a, 37, kk, b, 17);
      const b15 = new Float64Array(kk * 15);
      for (let p = 0; p < kk; p++) b15.set(b.subarray(p * 17, p * 17 + 15), p * 15);
      const thin = k.matmul(a, 37, kk, b15, 15);
      for (let i = 0; i < 37; i++)
        expect(Array.from(thin.subarray(i * 15, i * 15 + 15))).toEqual(
          Array.from(wide.subarray(i * 17, i * 17 + 15)),
        );
      // op(A) = Aᵀ with 15 rows: the first 15 rows of the 17-row product.
      const q = randomMatrix(kk, 17, kk + 2);
      const q15 = new Float64Array(kk * 15);
      for (let p = 0; p < kk; p++) q15.set(q.subarray(p * 17, p * 17 + 15), p * 15);
      const tall = k.matmul(q, 17, kk, b, 17, { transA: true });
      const short = k.matmul(q15, 15, kk, b, 17, { transA: true });
      expect(Array.from(short)).toEqual(Array.from(tall.subarray(0, 15 * 17)));
    }
  });

  it('gemmAtB equals Aᵀ·B (+ beta·C) on small-m shapes, on sub-matrices too', () => {
    const k = builds[build] as Kernels;
    // m around the 5-row tile (and its leftovers), n around the 4-column tile, k around the 32-term chunk.
    for (const [m, n, kk] of [
      [1, 1, 1],
      [5, 4, 32],
      [15, 2000, 400],
      [7, 13, 33],
      [11, 6, 65],
      [4, 3, 0],
    ] as [number, number, number][]) {
      const a = randomMatrix(kk, m, m + kk);
      const b = randomMatrix(kk, n, n + kk + 1);
      const c0 = randomMatrix(m, n, 3);
      const c = k.fromArray(c0);
      k.gemmAtB({ m, n, k: kk, a, b, c, beta: 0.5 });
      const expected = c0.slice();
      reference.gemmRef(true, false, m, n, kk, 1, a, b, 0.5, expected);
      expect(reference.maxAbsDiffRef(c.view, expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, kk) + 1e-15);
      k.free(c);
    }
    // A 9×3 block at (1, 2) of a 12×6 A (so op(A) is 3×9), B a 9×10 block at (2, 1) of 14×12, into a 3×10
    // block at (1, 3) of a 5×15 C; the rest of C untouched.
    const A = randomMatrix(12, 6, 4);
    const B = randomMatrix(14, 12, 5);
    const C0 = randomMatrix(5, 15, 6);
    const C = k.fromArray(C0);
    k.gemmAtB({
      m: 3,
      n: 10,
      k: 9,
      a: A,
      lda: 6,
      aOffset: 8,
      b: B,
      ldb: 12,
      bOffset: 25,
      c: C,
      ldc: 15,
      cOffset: 18,
    });
    for (let i = 0; i < 5; i++)
      for (let j = 0; j < 15; j++) {
        const inside = i >= 1 && i < 4 && j >= 3 && j < 13;
        if (!inside) {
          expect(C.view[i * 15 + j]).toBe(C0[i * 15 + j]);
          continue;
        }
        let sum = 0;
        for (let p = 0; p < 9; p++) sum += A[(1 + p) * 6 + 2 + (i - 1)]! * B[(2 + p) * 12 + 1 + (j - 3)]!;
        expect(Math.abs(C.view[i * 15 + j]! - sum)).toBeLessThanOrEqual(1e-14);
      }
    expect(() =>
      k.gemmAtB({ m: 2, n: 2, k: 3, a: new Float64Array(5), b: new Float64Array(6), c: C }),
    ).toThrow(ShapeError);
    k.free(C);
  });

  it('gemmABThin equals A·B (+ beta·C) for few columns, multiples of 4 or not, and on sub-matrices', () => {
    const k = builds[build] as Kernels;
    for (const [m, n, kk] of [
      [1, 1, 1],
      [4, 4, 256],
      [400, 16, 2000],
      [7, 15, 257],
      [9, 5, 600],
      [3, 8, 0],
    ] as [number, number, number][]) {
      const a = randomMatrix(m, kk, m + kk + 7);
      const b = randomMatrix(kk, n, n + kk + 8);
      const c0 = randomMatrix(m, n, 9);
      const c = k.fromArray(c0);
      k.gemmABThin({ m, n, k: kk, a, b, c, beta: -1.5 });
      const expected = c0.slice();
      reference.gemmRef(false, false, m, n, kk, 1, a, b, -1.5, expected);
      expect(reference.maxAbsDiffRef(c.view, expected)).toBeLessThanOrEqual(1e-14 * Math.max(1, kk) + 1e-15);
      k.free(c);
    }
    // A 6×5 block at (1, 2) of a 10×9 A, times a 5×8 block at (3, 0) of 9×12 B, into a 6×8 block at
    // (2, 1) of a 9×10 C; the rest of C untouched.
    const A = randomMatrix(10, 9, 10);
    const B = randomMatrix(9, 12, 11);
    const C0 = randomMatrix(9, 10, 12);
    const C = k.fromArray(C0);
    k.gemmABThin({
      m: 6,
      n: 8,
      k: 5,
      a: A,
      lda: 9,
      aOffset: 11,
      b: B,
      ldb: 12,
      bOffset: 36,
      c: C,
      ldc: 10,
      cOffset: 21,
    });
    for (let i = 0; i < 9; i++)
      for (let j = 0; j < 10; j++) {
        if (i < 2 || i >= 8 || j < 1 || j >= 9) {
          expect(C.view[i * 10 + j]).toBe(C0[i * 10 + j]);
          continue;
        }
        let sum = 0;
        for (let p = 0; p < 5; p++) sum += A[(1 + i - 2) * 9 + 2 + p]! * B[(3 + p) * 12 + (j - 1)]!;
        expect(Math.abs(C.view[i * 10 + j]! - sum)).toBeLessThanOrEqual(1e-14);
      }
    k.free(C);
  });

  it('works on sub-matrices through offsets and leading dimensions', () => {
    const k = builds[build] as Kernels;
    // A 9×7 block at (2, 3) of a 20×12 matrix, times a 7×5 block at (1, 4) of a 10×11 one, into a 9×5
    // block at (4, 2) of a 15×8 C; every transpose combination, alpha and beta.
    const big = (r: number, c: number, seed: number): Float64Array => randomMatrix(r, c, seed);
    const cut = (x: Float64Array, ld: number, r0: number, c0: number, r: number, c: number): Float64Array => {
      const out = new Float64Array(r * c);
      for (let i = 0; i < r; i++) out.set(x.subarray((r0 + i) * ld + c0, (r0 + i) * ld + c0 + c), i * c);
      return out;
    };
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const [m, n, kk] = [9, 5, 7];
        const [ar, ac] = transA ? [kk, m] : [m, kk];
        const [br, bc] = transB ? [n, kk] : [kk, n];
        const A = big(20, 12, 1);
        const B = k.fromArray(big(10, 11, 2));
        const C0 = big(15, 8, 3);
        const C = k.fromArray(C0);
        k.gemm({
          m,
          n,
          k: kk,
          a: A,
          b: B,
          c: C,
          alpha: 1.5,
          beta: -0.5,
          transA,
          transB,
          lda: 12,
          aOffset: 2 * 12 + 3,
          ldb: 11,
          bOffset: 1 * 11 + 4,
          ldc: 8,
          cOffset: 4 * 8 + 2,
        });
        const expected = cut(C0, 8, 4, 2, m, n);
        reference.gemmRef(
          transA,
          transB,
          m,
          n,
          kk,
          1.5,
          cut(A, 12, 2, 3, ar, ac),
          cut(B.view, 11, 1, 4, br, bc),
          -0.5,
          expected,
        );
        expect(reference.maxAbsDiffRef(cut(C.view, 8, 4, 2, m, n), expected)).toBeLessThanOrEqual(1e-14);
        // Everything outside the C block is untouched.
        const after = C.view.slice();
        for (let i = 0; i < 15; i++)
          for (let j = 0; j < 8; j++)
            if (i < 4 || i >= 4 + m || j < 2 || j >= 2 + n) expect(after[i * 8 + j]).toBe(C0[i * 8 + j]);
        k.free(B);
        k.free(C);
      }
    }
    const c = k.alloc(100);
    expect(() =>
      k.gemm({ m: 2, n: 2, k: 3, a: new Float64Array(6), b: new Float64Array(6), c, lda: 2 }),
    ).toThrow(ShapeError);
    expect(() =>
      k.gemm({ m: 2, n: 2, k: 3, a: new Float64Array(6), b: new Float64Array(6), c, aOffset: 1 }),
    ).toThrow(ShapeError);
    expect(() =>
      k.gemm({ m: 10, n: 10, k: 1, a: new Float64Array(10), b: new Float64Array(10), c, cOffset: 1 }),
    ).toThrow(ShapeError);
    k.free(c);
  });

  it('splitting k at multiples of GEMM_K_BLOCK (β = 1 after the first part) is bit-identical to one call', () => {
    const k = builds[build] as Kernels;
    const [m, n, kk] = [19, 23, 3 * GEMM_K_BLOCK + 41];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const a = k.fromArray(randomMatrix(m, kk, 31));
        const b = k.fromArray(randomMatrix(kk, n, 32));
        const c0 = randomMatrix(m, n, 33);
        const whole = k.fromArray(c0);
        const parts = k.fromArray(c0);
        k.gemm({ m, n, k: kk, a, b, c: whole, alpha: 0.75, beta: 0.5, transA, transB });
        for (let p0 = 0; p0 < kk; p0 += 2 * GEMM_K_BLOCK) {
          const p = Math.min(2 * GEMM_K_BLOCK, kk - p0);
          k.gemm({
            m,
            n,
            k: p,
            a,
            b,
            c: parts,
            alpha: 0.75,
            beta: p0 === 0 ? 0.5 : 1,
            transA,
            transB,
            lda: transA ? m : kk,
            aOffset: transA ? p0 * m : p0,
            ldb: transB ? kk : n,
            bOffset: transB ? p0 : p0 * n,
          });
        }
        expect(Array.from(parts.view)).toEqual(Array.from(whole.view));
        for (const x of [a, b, whole, parts]) k.free(x);
      }
    }
  });

  it('chains through buffers without copies: (A·B)·C with out buffers', () => {
    const k = builds[build] as Kernels;
    const A = k.fromArray(randomMatrix(40, 30, 1));
    const B = k.fromArray(randomMatrix(30, 20, 2));
    const C = k.fromArray(randomMatrix(20, 10, 3));
    const AB = k.alloc(40 * 20);
    const ABC = k.alloc(40 * 10);
    k.matmul(A, 40, 30, B, 20, { out: AB });
    const got = k.matmul(AB, 40, 20, C, 10, { out: ABC });
    const expected = reference.matmulRef(
      reference.matmulRef(A.view.slice(), 40, 30, B.view.slice(), 20),
      40,
      20,
      C.view.slice(),
      10,
    );
    expect(reference.maxAbsDiffRef(got, expected)).toBeLessThanOrEqual(1e-13);
    for (const buf of [A, B, C, AB, ABC]) k.free(buf);
  });
});

it('the relaxed and SIMD128 builds agree to rounding on a 257×259×263 product', () => {
  const a = randomMatrix(257, 259, 77);
  const b = randomMatrix(259, 263, 78);
  const x = (builds.simd128 as Kernels).matmul(a, 257, 259, b, 263);
  const y = (builds.relaxed as Kernels).matmul(a, 257, 259, b, 263);
  expect(reference.maxAbsDiffRef(x, y)).toBeLessThanOrEqual(1e-12);
});
