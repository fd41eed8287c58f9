/**
 * End-to-end numerical tests of the blocked-array and ML API: graphs built by @wukong/graph, run by the
 * engine on real worker threads (memory store), compared with dense computations of the same thing
 * (the plain-TypeScript references of @wukong/kernels, or plain loops).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  accuracy,
  add,
  fromArray,
  isNDArray,
  makeClassification,
  materialize,
  matmul,
  random,
  sum,
  svcFit,
  svcPredict,
  svd,
  svdCompressed,
  toGraph,
  transpose,
  tsqr,
  type BlockedArray,
  type NDArray,
} from '@wukong/graph';
import { loadKernels, reference, type Kernels } from '@wukong/kernels';
import type { Value } from '@wukong/executor';
import { connect, type Client } from '../src/client.js';

let client: Client;
let k: Kernels;
beforeAll(async () => {
  client = await connect({ workers: 2 });
  k = await loadKernels();
});
afterAll(async () => {
  await client.close();
});

function dense(shape: [number, number], seed: number): NDArray {
  const data = reference.rngUniformRef(seed, 0, shape[0] * shape[1]);
  return { dtype: 'f64', shape, data };
}

/** Computes an array and assembles its blocks into one dense row-major matrix. */
async function gather(a: BlockedArray): Promise<Float64Array> {
  const m = materialize(a);
  const outputs = await client.compute(toGraph(m));
  const [rows, cols] = [a.shape[0]!, a.shape[1] ?? 1];
  const out = new Float64Array(rows * cols);
  const colChunks = a.chunks[1] ?? [1];
  let r0 = 0;
  a.chunks[0]!.forEach((br, i) => {
    let c0 = 0;
    colChunks.forEach((bc, j) => {
      const v = outputs.get((m.blocks[i * colChunks.length + j] as { ref: string }).ref);
      if (!isNDArray(v)) throw new Error(`block ${i},${j} missing`);
      for (let r = 0; r < br; r++)
        out.set(v.data.subarray(r * bc, (r + 1) * bc) as Float64Array, (r0 + r) * cols + c0);
      c0 += bc;
    });
    r0 += br;
  });
  return out;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
}

describe('random', () => {
  it('each block is Philox stream seed, block = its linear index', async () => {
    const a = random([7, 5], [3, 2], 11);
    const got = await gather(a);
    // block (2, 1): rows 6..6, cols 2..3, linear index 2·3 + 1 = 7
    const block = reference.rngUniformRef(11, 7, 1 * 2);
    expect([got[6 * 5 + 2], got[6 * 5 + 3]]).toEqual(Array.from(block));
    expect(got.every((v) => v >= 0 && v < 1)).toBe(true);
  });
});

describe('matmul, add, sum, transpose', () => {
  it('chain and tree GEMM match a dense product, with transposes', async () => {
    const a = dense([9, 12], 1);
    const b = dense([12, 5], 2);
    const expected = reference.matmulRef(a.data as Float64Array, 9, 12, b.data as Float64Array, 5);
    for (const strategy of ['chain', 'tree'] as const) {
      const c = matmul(fromArray(a, [4, 5]), fromArray(b, [5, 2]), { strategy });
      expect(maxDiff(await gather(c), expected)).toBeLessThan(1e-12);
    }
    // Generated operands and aᵀ·b.
    const ga = random([12, 9], [5, 4], 3);
    const gb = random([12, 5], [5, 5], 4);
    const at = reference.transposeRef(await gather(ga), 12, 9);
    const want = reference.matmulRef(at, 9, 12, await gather(gb), 5);
    expect(maxDiff(await gather(matmul(ga, gb, { transA: true })), want)).toBeLessThan(1e-12);
  });

  it('add, transpose and sum', async () => {
    const x = random([6, 7], [4, 3], 5);
    const y = random([6, 7], [4, 3], 6);
    const [dx, dy] = [await gather(x), await gather(y)];
    expect(maxDiff(await gather(add(x, y)), reference.addRef(dx, dy))).toBe(0);
    expect(maxDiff(await gather(transpose(x)), reference.transposeRef(dx, 6, 7))).toBe(0);
    const s = sum(x, { splitEvery: 2 });
    const out = await client.compute(toGraph(s));
    expect(out.get(s.ref.ref) as number).toBeCloseTo(reference.sumRef(dx), 12);
  });
});

describe('tsqr and svd', () => {
  it('tsqr: Q·R = A, QᵀQ = I, |R| equals a dense QR', async () => {
    const a = random([60, 6], [[20, 15, 25], [6]], 7);
    const da = await gather(a);
    const { q, r } = tsqr(a);
    const [dq, dr] = [await gather(q), await gather(r)];
    expect(maxDiff(reference.matmulRef(dq, 60, 6, dr, 6), da)).toBeLessThan(1e-12);
    const qtq = reference.matmulRef(reference.transposeRef(dq, 60, 6), 6, 60, dq, 6);
    expect(
      maxDiff(
        qtq,
        Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0)),
      ),
    ).toBeLessThan(1e-12);
    const ref = reference.qrRef(da, 60, 6).r;
    expect(maxDiff(dr.map(Math.abs), ref.map(Math.abs))).toBeLessThan(1e-10);
  });

  it('svd: singular values of a dense SVD, U·diag(s)·Vᵀ = A', async () => {
    const a = random([80, 5], [20, 5], 8);
    const da = await gather(a);
    const { u, s, v } = svd(a);
    const out = await client.compute(toGraph(u, s, v));
    const sv = out.get((s.blocks[0] as { ref: string }).ref) as NDArray;
    const vt = out.get((v.blocks[0] as { ref: string }).ref) as NDArray;
    expect(maxDiff(sv.data as Float64Array, reference.svdRef(da, 80, 5).s)).toBeLessThan(1e-11);
    const du = await gather(u);
    const us = du.map((x, i) => x * (sv.data[i % 5] as number));
    expect(maxDiff(reference.matmulRef(us, 80, 5, vt.data as Float64Array, 5), da)).toBeLessThan(1e-12);
  });

  it('tall blocks: panel-wise QR inside the op, and svd without U', async () => {
    // 1,200 × 200 blocks are split into 500-row panels inside array.qr.
    const a = random([2400, 200], [1200, 200], 12);
    const da = await gather(a);
    const { q, r } = tsqr(a);
    const [dq, dr] = [await gather(q), await gather(r)];
    expect(maxDiff(k.matmul(dq, 2400, 200, dr, 200), da)).toBeLessThan(1e-11);
    const qtq = k.matmul(dq, 200, 2400, dq, 200, { transA: true });
    expect(
      maxDiff(
        qtq,
        Float64Array.from({ length: 200 * 200 }, (_, i) => (i % 201 === 0 ? 1 : 0)),
      ),
    ).toBeLessThan(1e-12);
    const { s } = svd(a, { computeU: false });
    const out = await client.compute(toGraph(s));
    const sv = out.get((s.blocks[0] as { ref: string }).ref) as NDArray;
    expect(
      maxDiff(sv.data as Float64Array, k.svd(da, 2400, 200).s) / k.svd(da, 2400, 200).s[0]!,
    ).toBeLessThan(1e-12);
  });

  it('svdCompressed recovers the singular values of a low-rank matrix', async () => {
    // A = X·Y with X 40×3, Y 3×30: rank 3, so a rank-3 sketch with oversampling is exact.
    const x = reference.rngNormalRef(1, 0, 40 * 3);
    const y = reference.rngNormalRef(1, 1, 3 * 30);
    const data = reference.matmulRef(x, 40, 3, y, 30);
    const a = fromArray({ dtype: 'f64', shape: [40, 30], data }, [10, 15]);
    const { u, s, v } = svdCompressed(a, 3, { oversampling: 4, seed: 2 });
    const out = await client.compute(toGraph(u, s, v));
    const sv = out.get((s.blocks[0] as { ref: string }).ref) as NDArray;
    const want = reference.svdRef(data, 40, 30).s.subarray(0, 3);
    expect(maxDiff(sv.data as Float64Array, want) / want[0]!).toBeLessThan(1e-10);
    // U·diag(s)·V reconstructs A.
    const du = await gather(u);
    const dv = await gather(v);
    const us = du.map((z, i) => z * (sv.data[i % 3] as number));
    expect(maxDiff(reference.matmulRef(us, 40, 3, dv, 30), data)).toBeLessThan(1e-9);
  });
});

describe('ML', () => {
  it('makeClassification: binary labels, two informative and two redundant features', async () => {
    const { x, y } = makeClassification({ nSamples: 400, chunks: 150, seed: 9 });
    const [dx, dy] = [await gather(x), await gather(y)];
    expect(dy.every((v) => v === 0 || v === 1)).toBe(true);
    const ones = dy.reduce((s, v) => s + v, 0);
    expect(ones).toBeGreaterThan(120);
    expect(ones).toBeLessThan(280);
    // Columns 0..3 span a 2-D space (redundant = informative·M): the 3rd singular value vanishes.
    const firstFour = new Float64Array(400 * 4);
    for (let r = 0; r < 400; r++) firstFour.set(dx.subarray(r * 20, r * 20 + 4), r * 4);
    const s4 = reference.svdRef(firstFour, 400, 4).s;
    expect(s4[2]! / s4[0]!).toBeLessThan(1e-12);
    // Same seed, same data: blocks are pure functions of (seed, block).
    expect(maxDiff(await gather(makeClassification({ nSamples: 400, chunks: 150, seed: 9 }).x), dx)).toBe(0);
  });

  it('SVC: fit on a sample, blockwise predict and accuracy equal a dense run of the kernels', async () => {
    const { x, y } = makeClassification({ nSamples: 900, chunks: 300, seed: 10 });
    const [dx, dy] = [await gather(x), await gather(y)];
    const model = svcFit(x, y, 120);
    const pred = svcPredict(model, x);
    const acc = accuracy(y, pred, { skipRows: 120 });
    // Predictions feed the accuracy tasks (so they are not finals there): compute them on their own too.
    const counts = (await client.compute(toGraph(acc))).get(acc.ref.ref) as NDArray;
    const m = materialize(pred);
    const out = await client.compute(toGraph(m));
    const engine = new Float64Array(900);
    m.blocks.forEach((b, i) =>
      engine.set((out.get((b as { ref: string }).ref) as NDArray).data as Float64Array, i * 300),
    );
    const local = k.svcFit(dx.slice(0, 120 * 20), dy.slice(0, 120), 120, 20);
    const want = k.svcPredict(local, dx, 900);
    expect(maxDiff(engine, want)).toBe(0);
    let correct = 0;
    for (let i = 120; i < 900; i++) if (want[i] === dy[i]) correct++;
    expect(Array.from(counts.data as Float64Array)).toEqual([correct, 780]);
    expect(correct / 780).toBeGreaterThan(0.7);
  });
});

describe('op errors', () => {
  it('a shape mismatch inside an op rejects compute with an error naming the op and the task', async () => {
    const a = fromArray(dense([4, 4], 1), 4);
    const graph = toGraph(a);
    const key = graph.tasks[0]!.key;
    const bad = {
      tasks: [
        ...graph.tasks,
        {
          key: 'bad',
          op: 'array.matmul',
          args: [null, { ref: key }, dense([3, 2], 2), false, false] as Value[],
        },
      ],
    };
    await expect(client.compute(bad)).rejects.toMatchObject({
      name: 'TaskFailedError',
      message: expect.stringMatching(/'bad'.*array\.matmul.*inner dimensions differ/s) as unknown,
    });
  });
});
