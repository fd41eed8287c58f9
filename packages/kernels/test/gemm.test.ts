// gemm and matmul against the naive reference on odd and rectangular shapes, every transpose
// combination, alpha/beta, both builds. Tolerance: |C − C_ref| ≤ 1e-14·k·max|A|·max|B| + 1e-15
// (inputs in [-1, 1), so this bounds the accumulated rounding of a length-k dot product).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, reference, type Kernels } from '../src/index.js';
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
