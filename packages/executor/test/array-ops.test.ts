/**
 * The array and ML ops on their own (no engine): results against the kernels' plain-TypeScript
 * references, generator specs against the Philox reference, the generated-block cache under eviction,
 * and argument errors.
 */
import { describe, expect, it } from 'vitest';
import { ARRAY_OPS, ML_OPS, type NDArray } from '@wukong/graph';
import { loadKernels, reference } from '@wukong/kernels';
import { BadOpArgsError, createOpRegistry, type Value } from '../src/index.js';

const ops = createOpRegistry();
const context = { task: 't', signal: new AbortController().signal };

async function run(op: string, ...args: Value[]): Promise<Value> {
  return ops.resolve(op, 't', args.length).run(args, context);
}

function nd(shape: number[], data: Float64Array): NDArray {
  return { dtype: 'f64', shape, data };
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('array ops', () => {
  it('matmul accumulates op(a)·op(b) onto acc, operands given as arrays or specs', async () => {
    const a = reference.rngUniformRef(1, 3, 6 * 4);
    const b = reference.rngNormalRef(2, 5, 6 * 3);
    const acc = nd(
      [4, 3],
      Float64Array.from({ length: 12 }, (_, i) => i),
    );
    const out = (await run(
      ARRAY_OPS.matmul,
      acc,
      ['uniform', 1, 3, 6, 4],
      nd([6, 3], b),
      true,
      false,
    )) as NDArray;
    const want = reference.addRef(
      acc.data as Float64Array,
      reference.matmulRef(reference.transposeRef(a, 6, 4), 4, 6, b, 3),
    );
    expect(out.shape).toEqual([4, 3]);
    expect(maxDiff(out.data as Float64Array, want)).toBeLessThan(1e-13);
    await expect(run(ARRAY_OPS.matmul, null, nd([6, 3], b), nd([6, 3], b))).rejects.toBeInstanceOf(
      BadOpArgsError,
    );
  });

  it('a large operand (generated, or an array) goes through the GEMM in panels with the one-call result', async () => {
    // A generated block above the block cache's per-block limit (16 MiB: here 2100×1000) is generated a
    // panel at a time, an array above 4 MiB is copied in a panel at a time; rows of the big operand are
    // either rows/columns of C (A, Bᵀ) or terms of k (Aᵀ, B). Every case must equal one GEMM call on
    // the whole operand bit for bit (the k panels are multiples of the GEMM's k block).
    const k = await loadKernels();
    const [rows, cols] = [2100, 1000];
    const full = k.rngUniform(4, 7, rows * cols);
    const normal = k.rngNormal(4, 8, rows * cols);
    const small = (r: number, c: number, seed: number): NDArray =>
      nd([r, c], reference.rngNormalRef(seed, 0, r * c));
    const acc = (r: number, c: number): NDArray => nd([r, c], reference.rngUniformRef(99, 0, r * c));
    const cases: { big: 'a' | 'b'; trans: boolean; other: NDArray }[] = [
      { big: 'a', trans: false, other: small(cols, 3, 1) }, // rows of A = rows of C
      { big: 'a', trans: true, other: small(rows, 3, 2) }, // rows of the stored Aᵀ = terms of k
      { big: 'b', trans: false, other: small(3, rows, 3) }, // rows of B = terms of k
      { big: 'b', trans: true, other: small(3, cols, 4) }, // rows of the stored Bᵀ = columns of C
    ];
    for (const { big, trans, other } of cases) {
      for (const [spec, data] of [
        [['uniform', 4, 7, rows, cols], full],
        [['normal', 4, 8, rows, cols], normal],
        [nd([rows, cols], full), full],
      ] as [Value, Float64Array][]) {
        const [oRows, oCols] = other.shape as [number, number];
        const m = big === 'a' ? (trans ? cols : rows) : oRows;
        const n = big === 'b' ? (trans ? rows : cols) : oCols;
        const kk = big === 'a' ? (trans ? rows : cols) : oCols;
        const c0 = acc(m, n);
        const args: Value[] = big === 'a' ? [c0, spec, other, trans, false] : [c0, other, spec, false, trans];
        const out = (await run(ARRAY_OPS.matmul, ...args)) as NDArray;
        const want = k.fromArray(c0.data as Float64Array);
        k.gemm({
          m,
          n,
          k: kk,
          a: big === 'a' ? data : (other.data as Float64Array),
          b: big === 'b' ? data : (other.data as Float64Array),
          c: want,
          beta: 1,
          transA: big === 'a' && trans,
          transB: big === 'b' && trans,
        });
        expect(out.shape).toEqual([m, n]);
        expect(Array.from(out.data as Float64Array)).toEqual(Array.from(want.view));
        k.free(want);
      }
    }
    // The block op writes a large generated block out piece by piece: the same numbers.
    const block = (await run(ARRAY_OPS.block, ['uniform', 4, 7, rows, cols])) as NDArray;
    expect(block.shape).toEqual([rows, cols]);
    expect(Array.from((block.data as Float64Array).subarray(0, 5000))).toEqual(
      Array.from(full.subarray(0, 5000)),
    );
    expect(maxDiff(block.data as Float64Array, full)).toBe(0);
    const nblock = (await run(ARRAY_OPS.block, ['normal', 4, 8, rows, cols])) as NDArray;
    expect(maxDiff(nblock.data as Float64Array, normal)).toBe(0);
  });

  it('generated blocks stay right when the block cache evicts (more than its 64 MiB)', async () => {
    // 12 distinct 1000×1000 blocks (96 MB), each used twice, then the first again.
    for (let round = 0; round < 2; round++) {
      for (let block = 0; block < 12; block++) {
        const s = (await run(ARRAY_OPS.sum, ['uniform', 9, block, 1000, 1000])) as number;
        expect(s).toBeGreaterThan(499_000);
        expect(s).toBeLessThan(501_000);
      }
    }
    const first = (await run(ARRAY_OPS.block, ['uniform', 9, 0, 1000, 1000])) as NDArray;
    expect(maxDiff(first.data as Float64Array, reference.rngUniformRef(9, 0, 1_000_000))).toBe(0);
    // A row prefix (what the sampled GEMM check asks for) is a prefix of the full block.
    const err = (await run(
      ARRAY_OPS.sampledMatmulError,
      nd([2, 3], new Float64Array(6)),
      2,
      ['uniform', 9, 0, 5, 4],
      ['uniform', 9, 1, 4, 3],
    )) as number;
    const prefix = reference.matmulRef(
      reference.rngUniformRef(9, 0, 8),
      2,
      4,
      reference.rngUniformRef(9, 1, 12),
      3,
    );
    expect(err).toBeCloseTo(Math.max(...prefix.map(Math.abs)), 14);
  });

  it('qr of a tall block (panel-wise) gives Q·R = x with orthonormal Q, or R alone', async () => {
    const x = reference.rngUniformRef(4, 0, 1500 * 120); // 120 columns: 833-row panels
    const [q, r] = (await run(ARRAY_OPS.qr, nd([1500, 120], x))) as NDArray[];
    expect(
      maxDiff(reference.matmulRef(q!.data as Float64Array, 1500, 120, r!.data as Float64Array, 120), x),
    ).toBeLessThan(1e-12);
    const qtq = reference.matmulRef(
      reference.transposeRef(q!.data as Float64Array, 1500, 120),
      120,
      1500,
      q!.data as Float64Array,
      120,
    );
    expect(
      maxDiff(
        qtq,
        Float64Array.from({ length: 120 * 120 }, (_, i) => (i % 121 === 0 ? 1 : 0)),
      ),
    ).toBeLessThan(1e-12);
    const rOnly = (await run(ARRAY_OPS.qr, nd([1500, 120], x), false)) as NDArray;
    expect(maxDiff(rOnly.data as Float64Array, r!.data as Float64Array)).toBeLessThan(1e-12);
  });

  it('tsqr-reduce with SVD returns W blocks, S and Vt of the stacked R factors', async () => {
    const r0 = reference.qrRef(reference.rngUniformRef(5, 0, 30 * 4), 30, 4).r;
    const r1 = reference.qrRef(reference.rngUniformRef(5, 1, 20 * 4), 20, 4).r;
    const out = (await run(ARRAY_OPS.tsqrReduce, true, nd([4, 4], r0), nd([4, 4], r1))) as NDArray[];
    expect(out.map((v) => v.shape)).toEqual([[4, 4], [4, 4], [4], [4, 4]]);
    const stacked = new Float64Array(32);
    stacked.set(r0);
    stacked.set(r1, 16);
    expect(maxDiff(out[2]!.data as Float64Array, reference.svdRef(stacked, 8, 4).s)).toBeLessThan(1e-12);
  });

  it('slice, transpose, gram, identity and reconstruction checks', async () => {
    const x = nd(
      [3, 4],
      Float64Array.from({ length: 12 }, (_, i) => i),
    );
    const s = (await run(ARRAY_OPS.slice, x, 1, 2, 1, 2, true)) as NDArray;
    expect(s.shape).toEqual([2, 2]);
    expect(Array.from(s.data)).toEqual([5, 9, 6, 10]);
    expect(Array.from(((await run(ARRAY_OPS.transpose, x)) as NDArray).data)).toEqual(
      Array.from(reference.transposeRef(x.data as Float64Array, 3, 4)),
    );
    const eye = nd([2, 2], Float64Array.of(1, 0, 0, 1.5));
    expect(await run(ARRAY_OPS.maxAbsIdentityDiff, eye)).toBe(0.5);
    const g = (await run(ARRAY_OPS.gram, x)) as NDArray;
    expect(Array.from(g.data)).toEqual(
      Array.from(
        reference.matmulRef(
          reference.transposeRef(x.data as Float64Array, 3, 4),
          4,
          3,
          x.data as Float64Array,
          4,
        ),
      ),
    );
    const u = nd([2, 1], Float64Array.of(1, 2));
    const err = await run(
      ARRAY_OPS.reconstructionError,
      nd([2, 2], Float64Array.of(3, 3, 6, 7)),
      u,
      nd([1], Float64Array.of(3)),
      nd([1, 2], Float64Array.of(1, 1)),
    );
    expect(err).toBe(1);
    expect(await run(ARRAY_OPS.combine, 1, 2, 3)).toBe(6);
    expect(await run(ARRAY_OPS.max, 1, 7, 3)).toBe(7);
  });
});

describe('randomized SVD in strips', () => {
  // A 30×20 input in blocks of 10 (a block row has J = 2 blocks), Y 20×4 Gaussian (two 10×4 blocks),
  // cut into strips of rows [0, 6), [6, 10) of block row 0 and [0, 10) of block row 1 — against a dense
  // reference: H = A·Y, Q = qr(H).q, B = QᵀA, and the SVD of B.
  const [m, n, comp, k] = [20, 20, 4, 3];
  const aBlock = (i: number, j: number): Value => ['uniform', 5, i * 2 + j, 10, 10];
  const yBlock = (j: number): Value => ['normal', 6, j, 10, comp];
  const dense = (): Float64Array => {
    const a = new Float64Array(m * n);
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) {
        const b = reference.rngUniformRef(5, i * 2 + j, 100);
        for (let r = 0; r < 10; r++) a.set(b.subarray(r * 10, r * 10 + 10), (i * 10 + r) * n + j * 10);
      }
    return a;
  };
  const strips = [
    { i: 0, row0: 0, rows: 6 },
    { i: 0, row0: 6, rows: 4 },
    { i: 1, row0: 0, rows: 10 },
  ];
  const outputs = async (): Promise<Value[][]> =>
    Promise.all(
      strips.map(
        async (s) =>
          (await run(
            ARRAY_OPS.sketchStrip,
            s.row0,
            s.rows,
            aBlock(s.i, 0),
            aBlock(s.i, 1),
            yBlock(0),
            yBlock(1),
          )) as Value[],
      ),
    );

  it('sketch-strip: H = Q1·R over the strip, C = Q1ᵀ·A_strip, Q1 orthonormal', async () => {
    const a = dense();
    const y = new Float64Array([
      ...reference.rngNormalRef(6, 0, 10 * comp),
      ...reference.rngNormalRef(6, 1, 10 * comp),
    ]);
    const out = await outputs();
    strips.forEach((s, t) => {
      const [q1, r, c] = out[t]! as NDArray[];
      const rows = a.subarray((s.i * 10 + s.row0) * n, (s.i * 10 + s.row0 + s.rows) * n);
      const h = reference.matmulRef(rows, s.rows, n, y, comp);
      expect(q1!.shape).toEqual([s.rows, comp]);
      expect(
        maxDiff(
          reference.matmulRef(q1!.data as Float64Array, s.rows, comp, r!.data as Float64Array, comp),
          h,
        ),
      ).toBeLessThan(1e-12);
      const q1t = reference.transposeRef(q1!.data as Float64Array, s.rows, comp);
      expect(
        maxDiff(
          reference.matmulRef(q1t, comp, s.rows, q1!.data as Float64Array, comp),
          Float64Array.from({ length: comp * comp }, (_, x) => (x % (comp + 1) === 0 ? 1 : 0)),
        ),
      ).toBeLessThan(1e-12);
      expect(maxDiff(c!.data as Float64Array, reference.matmulRef(q1t, comp, s.rows, rows, n))).toBeLessThan(
        1e-12,
      );
    });
    await expect(run(ARRAY_OPS.sketchStrip, 8, 4, aBlock(0, 0), yBlock(0))).rejects.toBeInstanceOf(
      BadOpArgsError,
    );
    await expect(
      run(ARRAY_OPS.sketchStrip, 0, 4, aBlock(0, 0), aBlock(0, 1), yBlock(0)),
    ).rejects.toBeInstanceOf(BadOpArgsError);
  });

  it('sketch-svd and sketch-u give the SVD of QᵀA and Q·U[:, :k] of the whole input; svd of a sum, slice of an item', async () => {
    const a = dense();
    const y = new Float64Array([
      ...reference.rngNormalRef(6, 0, 10 * comp),
      ...reference.rngNormalRef(6, 1, 10 * comp),
    ]);
    const out = await outputs();
    const svd = (await run(ARRAY_OPS.sketchSvd, ...out)) as NDArray[];
    expect(svd).toHaveLength(3 + 3);
    // Dense: Q of H = A·Y (any orthonormal basis of its range), B = QᵀA; B's singular values do not
    // depend on the basis, and Q·Ub·diag(S)·Vt = Q·B.
    const h = reference.matmulRef(a, m, n, y, comp);
    const q = reference.qrRef(h, m, comp).q;
    const qt = reference.transposeRef(q, m, comp);
    const b = reference.matmulRef(qt, comp, m, a, n);
    expect(maxDiff(svd[1]!.data as Float64Array, reference.svdRef(b, comp, n).s)).toBeLessThan(1e-12);
    const u = [
      (await run(ARRAY_OPS.sketchU, svd, k, 0, out[0]!, out[1]!)) as NDArray,
      (await run(ARRAY_OPS.sketchU, svd, k, 2, out[2]!)) as NDArray,
    ];
    expect(u[0]!.shape).toEqual([10, k]);
    const uAll = new Float64Array([...(u[0]!.data as Float64Array), ...(u[1]!.data as Float64Array)]);
    // u = Q·Ub[:, :k]: orthonormal columns inside the range of Q, and u·diag(s)·Vt[:k] = the rank-k part of Q·B.
    const vt = (await run(ARRAY_OPS.slice, svd, 0, k, 0, n, false, 2)) as NDArray;
    const s = (await run(ARRAY_OPS.slice, svd, 0, k, 0, 1, false, 1)) as NDArray;
    expect(s.shape).toEqual([k]);
    const us = uAll.map((x, idx) => x * (s.data[idx % k] as number));
    const rankK = reference.matmulRef(us, m, k, vt.data as Float64Array, n);
    const qb = reference.matmulRef(q, m, comp, b, n);
    const full = reference.svdRef(qb, m, n);
    const sk = Float64Array.from(full.s.subarray(0, k));
    const uk = new Float64Array(m * k);
    for (let r = 0; r < m; r++)
      for (let c = 0; c < k; c++) uk[r * k + c] = full.u[r * full.s.length + c]! * sk[c]!;
    const vk = full.vt.subarray(0, k * n);
    expect(maxDiff(rankK, reference.matmulRef(uk, m, k, vk, n))).toBeLessThan(1e-10);
    await expect(run(ARRAY_OPS.sketchU, svd, k, 2, out[0]!, out[1]!)).rejects.toBeInstanceOf(BadOpArgsError);
    await expect(run(ARRAY_OPS.sketchSvd, out[0]!, out[1]![2]!)).rejects.toBeInstanceOf(BadOpArgsError);
    // svd of several blocks is the svd of their sum.
    const part = (x: number): NDArray =>
      nd(
        [2, 2],
        Float64Array.from([3, 1, 0, 2], (v) => v * x),
      );
    const sum = (await run(ARRAY_OPS.svd, part(0.25), part(0.75))) as NDArray[];
    const one = (await run(ARRAY_OPS.svd, part(1))) as NDArray[];
    expect(maxDiff(sum[1]!.data as Float64Array, one[1]!.data as Float64Array)).toBeLessThan(1e-15);
    await expect(run(ARRAY_OPS.slice, svd, 0, 1, 0, 1, false, 9)).rejects.toBeInstanceOf(BadOpArgsError);
  });
});

describe('ML ops', () => {
  it('svc fit → predict → accuracy through the model list', async () => {
    const spec = ['classification-x', 3, 0, 400, 6, 2, 1, 0, 1.5];
    const ySpec = ['classification-y', ...spec.slice(1)];
    const model = await run(ML_OPS.svcFit, spec, ySpec, 200, ['rbf', 1, 'scale', 3, 0, 0.001]);
    expect((model as Value[])[0]).toBe('svc');
    const pred = (await run(ML_OPS.svcPredict, model, spec)) as NDArray;
    expect(pred.shape).toEqual([400]);
    const counts = (await run(ML_OPS.accuracy, ySpec, pred, 200)) as NDArray;
    expect(counts.data[1]).toBe(200);
    expect((counts.data[0] as number) / 200).toBeGreaterThan(0.8);
    await expect(run(ML_OPS.svcPredict, ['not a model'], spec)).rejects.toBeInstanceOf(BadOpArgsError);
  });
});
