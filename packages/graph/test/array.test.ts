/**
 * Builder-only tests of the blocked-array and ML API: graph structure, shapes, block sizes and output-size
 * hints. (The numbers these graphs compute are checked against dense references end to end in
 * tools/scheduler/test/arrays.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import {
  ARRAY_OPS,
  ARRAY_OP_NAMES,
  ArrayArgError,
  ML_OPS,
  accuracy,
  add,
  fromArray,
  makeClassification,
  materialize,
  matmul,
  random,
  sum,
  svcFit,
  svcPredict,
  svd,
  svdCompressed,
  taskDependencies,
  toGraph,
  transpose,
  tsqr,
  validateGraph,
  type Graph,
  type NDArray,
  type Task,
} from '../src/index.js';

const ops = [...ARRAY_OP_NAMES, 'getitem', 'identity'];

function byKey(g: Graph): Map<string, Task> {
  return new Map(g.tasks.map((t) => [t.key, t]));
}

describe('random and fromArray', () => {
  it('cuts a shape into dask-style chunks with a smaller last block', () => {
    const a = random([10, 7], [4, 3], 5);
    expect(a.chunks).toEqual([
      [4, 4, 2],
      [3, 3, 1],
    ]);
    expect(a.blocks).toHaveLength(9);
    // Generator specs: [kind, seed, linear block index, rows, cols]; nothing to compute yet.
    expect(a.blocks[5]).toEqual(['uniform', 5, 5, 4, 1]);
    expect(a.tasks.size).toBe(0);
  });

  it('materializes generator blocks into leaf tasks with output sizes', () => {
    const g = toGraph(random([6, 4], [3, 4], 1, 'normal'));
    expect(g.tasks.map((t) => t.op)).toEqual([ARRAY_OPS.block, ARRAY_OPS.block]);
    expect(g.tasks.map((t) => t.outputBytes)).toEqual([96, 96]);
    expect(g.tasks[1]!.args).toEqual([['normal', 1, 1, 3, 4]]);
    validateGraph(g, { ops });
  });

  it('fromArray copies each block into an inline leaf', () => {
    const data = Float64Array.from({ length: 12 }, (_, i) => i);
    const a = fromArray({ dtype: 'f64', shape: [3, 4], data }, [2, 3]);
    const g = toGraph(a);
    expect(g.tasks).toHaveLength(4);
    const b01 = g.tasks[1]!.args[0] as unknown as NDArray;
    expect(b01.shape).toEqual([2, 1]);
    expect(Array.from(b01.data)).toEqual([3, 7]);
    const b10 = g.tasks[2]!.args[0] as unknown as NDArray;
    expect(Array.from(b10.data)).toEqual([8, 9, 10]);
  });

  it('rejects bad shapes, chunks and seeds with ArrayArgError', () => {
    expect(() => random([4, 4, 4], 2, 0)).toThrow(ArrayArgError);
    expect(() => random([4, 4], 0, 0)).toThrow(/block size 0/);
    expect(() => random([4, 4], [[1, 2], [4]], 0)).toThrow(/must sum to 4/);
    expect(() => random([4, 4], 2, -1)).toThrow(/seed/);
  });
});

describe('matmul', () => {
  it('emits one accumulation chain per output block for square blocks', () => {
    const c = matmul(random([4, 6], [2, 2], 1), random([6, 4], [2, 2], 2));
    const g = toGraph(c);
    expect(c.shape).toEqual([4, 4]);
    expect(g.tasks).toHaveLength(4 * 3);
    const t = byKey(g);
    const last = t.get((c.blocks[0] as { ref: string }).ref)!;
    expect(last.op).toBe(ARRAY_OPS.matmul);
    expect(last.outputBytes).toBe(32);
    // The last link: previous link, A(0,2), B(2,0); links take operands as specs, so the only
    // dependency is the previous link.
    expect(last.args[1]).toEqual(['uniform', 1, 2, 2, 2]);
    expect(last.args[2]).toEqual(['uniform', 2, 4, 2, 2]);
    expect(taskDependencies(last)).toHaveLength(1);
    const first = t.get(taskDependencies(t.get(taskDependencies(last)[0]!)!)[0]!)!;
    expect(first.args[0]).toBeNull();
    validateGraph(g, { ops });
  });

  it('emits partial products and one combine when the output block is small', () => {
    const c = matmul(random([8, 16], [8, 8], 1), random([16, 2], [8, 2], 2));
    const g = toGraph(c);
    expect(g.tasks.map((t) => t.op).sort()).toEqual([ARRAY_OPS.combine, ARRAY_OPS.matmul, ARRAY_OPS.matmul]);
    const root = byKey(g).get((c.blocks[0] as { ref: string }).ref)!;
    expect(taskDependencies(root)).toHaveLength(2);
  });

  it('indexes transposed operands and checks inner blocks', () => {
    const q = random([6, 3], [[2, 4], [3]], 1);
    const a = random([6, 5], [[2, 4], [5]], 2);
    const c = matmul(q, a, { transA: true });
    expect(c.shape).toEqual([3, 5]);
    expect(c.chunks).toEqual([[3], [5]]);
    expect(() => matmul(q, a)).toThrow(ArrayArgError);
  });
});

describe('add, sum, transpose', () => {
  it('builds blockwise and reduction graphs', () => {
    const x = random([5, 4], [2, 4], 1);
    const y = random([5, 4], [2, 4], 2);
    expect(toGraph(add(x, y)).tasks.every((t) => t.op === ARRAY_OPS.add)).toBe(true);
    expect(() => add(x, random([5, 4], [3, 4], 2))).toThrow(ArrayArgError);
    const s = sum(random([40, 2], [2, 2], 3), { splitEvery: 4 });
    const g = toGraph(s);
    // 20 block sums, then 5 + 2 + 1 combines.
    expect(g.tasks.filter((t) => t.op === ARRAY_OPS.sum)).toHaveLength(20);
    expect(g.tasks.filter((t) => t.op === ARRAY_OPS.combine)).toHaveLength(8);
    const t = transpose(random([4, 6], [2, 3], 1));
    expect(t.shape).toEqual([6, 4]);
    expect(t.chunks).toEqual([
      [3, 3],
      [2, 2],
    ]);
    // Block (1, 0) of xᵀ is block (0, 1) of x.
    expect(t.tasks.get(`${t.name}:1.0`)!.args[0]).toEqual(['uniform', 1, 1, 2, 3]);
  });
});

describe('tsqr and svd', () => {
  it('a QR per block, one reduction, Q1·W per block', () => {
    const a = random([40, 5], [10, 5], 1);
    const { q, r } = tsqr(a);
    const g = toGraph(q, r);
    const counts = new Map<string, number>();
    for (const t of g.tasks) counts.set(t.op, (counts.get(t.op) ?? 0) + 1);
    expect(counts.get(ARRAY_OPS.qr)).toBe(4);
    expect(counts.get(ARRAY_OPS.tsqrReduce)).toBe(1);
    expect(counts.get(ARRAY_OPS.matmul)).toBe(4);
    const reduce = g.tasks.find((t) => t.op === ARRAY_OPS.tsqrReduce)!;
    expect(reduce.args[0]).toBe(false);
    expect(taskDependencies(reduce)).toHaveLength(4);
    expect(g.tasks.find((t) => t.op === ARRAY_OPS.qr)!.outputBytes).toBe((10 + 5) * 5 * 8);
    expect(q.shape).toEqual([40, 5]);
    expect(r.shape).toEqual([5, 5]);
    validateGraph(g, { ops });
  });

  it('svd returns u blocked like the rows, s and v as single blocks', () => {
    const { u, s, v } = svd(random([30, 4], [10, 4], 1));
    expect(u.chunks).toEqual([[10, 10, 10], [4]]);
    expect(s.shape).toEqual([4]);
    expect(v.shape).toEqual([4, 4]);
    const g = toGraph(u, s, v);
    expect(g.tasks.find((t) => t.op === ARRAY_OPS.tsqrReduce)!.args[0]).toBe(true);
  });

  it('toGraph culls what the requested results do not need', () => {
    const { u, s, v } = svd(random([30, 4], [10, 4], 1));
    const sv = toGraph(s, v);
    // s and v need the block QRs and the reduction, not the Q1·W products that form u.
    expect(sv.tasks.filter((t) => t.op === ARRAY_OPS.matmul)).toHaveLength(0);
    expect(sv.tasks.filter((t) => t.op === ARRAY_OPS.qr)).toHaveLength(3);
    expect(toGraph(u, s, v).tasks.filter((t) => t.op === ARRAY_OPS.matmul)).toHaveLength(3);
    validateGraph(sv, { ops });
  });

  it('svd without U: R-only block QRs, no Q1·W products', () => {
    const { u, s, v } = svd(random([30, 4], [10, 4], 1), { computeU: false });
    expect(u.blocks).toHaveLength(0);
    const g = toGraph(s, v);
    const qrs = g.tasks.filter((t) => t.op === ARRAY_OPS.qr);
    expect(qrs.map((t) => t.args[1])).toEqual([false, false, false]);
    expect(qrs[0]!.outputBytes).toBe(4 * 4 * 8);
    expect(g.tasks.filter((t) => t.op === 'getitem')).toHaveLength(2);
    validateGraph(g, { ops });
  });

  it('rejects wide blocks and several column blocks', () => {
    expect(() => tsqr(random([40, 5], [4, 5], 1))).toThrow(/fewer than the 5 columns/);
    expect(() => tsqr(random([40, 6], [10, 3], 1))).toThrow(ArrayArgError);
  });
});

describe('svdCompressed', () => {
  it('has the shapes of dask.array.linalg.svd_compressed', () => {
    const a = random([60, 40], [20, 20], 1);
    const { u, s, v } = svdCompressed(a, 3, { oversampling: 2, nPowerIter: 1, sketchStrips: false });
    expect(u.shape).toEqual([60, 3]);
    expect(u.chunks).toEqual([[20, 20, 20], [3]]);
    expect(s.shape).toEqual([3]);
    expect(v.shape).toEqual([3, 40]);
    expect(v.chunks).toEqual([[3], [20, 20]]);
    const g = toGraph(u, s, v);
    validateGraph(g, { ops });
    // Ω is Gaussian with comp = k + oversampling columns, regenerated inside the products.
    const omega = g.tasks.find(
      (t) =>
        t.op === ARRAY_OPS.matmul && Array.isArray(t.args[2]) && (t.args[2] as unknown[])[0] === 'normal',
    );
    expect((omega!.args[2] as unknown[]).slice(3)).toEqual([20, 5]);
    // one power iteration: three TSQRs (two of H, one of Bᵀ).
    expect(g.tasks.filter((t) => t.op === ARRAY_OPS.tsqrReduce)).toHaveLength(3);
    expect(() => svdCompressed(a, 0)).toThrow(ArrayArgError);
  });

  it('generated input: the last pass runs in row strips, each generating its rows of A once', () => {
    // 60×40 in blocks of 20 (J = 2 column blocks), comp = 5: ⌈2 / stripBlocks⌉ strips per block row.
    const a = random([60, 40], [20, 20], 1);
    for (const [stripBlocks, perRow] of [
      [1, 2],
      [3, 1],
    ] as const) {
      const { u, s, v } = svdCompressed(a, 3, { oversampling: 2, stripBlocks });
      expect(u.chunks).toEqual([[20, 20, 20], [3]]);
      expect(v.chunks).toEqual([[3], [20, 20]]);
      expect(s.shape).toEqual([3]);
      const g = toGraph(u, s, v);
      validateGraph(g, { ops });
      const strips = g.tasks.filter((t) => t.op === ARRAY_OPS.sketchStrip);
      expect(strips).toHaveLength(3 * perRow);
      // Rows [row0, row0 + rows) of every block of one block row, and Ω's row blocks, inline.
      const first = strips[0]!;
      expect(first.args.slice(0, 2)).toEqual([0, 20 / perRow]);
      expect(first.args.slice(2, 4)).toEqual([a.blocks[0], a.blocks[1]]);
      expect((first.args[4] as unknown[])[0]).toBe('normal');
      // Nothing reads A blockwise: no products of the input are left, and no TSQR of H as a whole.
      expect(g.tasks.filter((t) => t.op === ARRAY_OPS.matmul)).toHaveLength(0);
      expect(g.tasks.filter((t) => t.op === ARRAY_OPS.tsqrReduce)).toHaveLength(0);
      // Each u block is formed from its own block row's strips.
      const u0 = g.tasks.find((t) => t.key === (u.blocks[0] as { ref: string }).ref)!;
      expect(u0.op).toBe(ARRAY_OPS.sketchU);
      const stripRefs = u0.args.filter((x) => strips.some((t) => t.key === (x as { ref?: string })?.ref));
      expect(stripRefs).toHaveLength(perRow);
    }
    // A power iteration runs blockwise first; the last pass still runs in strips, on Y = Aᵀ·Q.
    const g = toGraph(svdCompressed(a, 3, { oversampling: 2, nPowerIter: 1 }).s);
    expect(g.tasks.filter((t) => t.op === ARRAY_OPS.tsqrReduce)).toHaveLength(1);
    expect(g.tasks.filter((t) => t.op === ARRAY_OPS.sketchStrip)).toHaveLength(6);
    expect(() => svdCompressed(a, 3, { stripBlocks: 0 })).toThrow(ArrayArgError);
  });

  it('materialized input blocks become shared leaves', () => {
    const a = materialize(random([20, 20], [10, 10], 1));
    const g = toGraph(svdCompressed(a, 2, { oversampling: 1 }).s);
    const leaves = g.tasks.filter((t) => t.op === ARRAY_OPS.block);
    expect(leaves).toHaveLength(4);
    // Each input block feeds A·Ω and Qᵀ·A.
    const users = g.tasks.filter((t) => taskDependencies(t).includes(leaves[0]!.key));
    expect(users).toHaveLength(2);
  });
});

describe('ML: makeClassification and SVC', () => {
  it('builds a fit task, blockwise predictions and an accuracy reduction', () => {
    const { x, y } = makeClassification({ nSamples: 100, chunks: 30, seed: 4 });
    expect(x.shape).toEqual([100, 20]);
    expect(x.chunks).toEqual([[30, 30, 30, 10], [20]]);
    expect(y.blocks[3]).toEqual(['classification-y', 4, 3, 10, 20, 2, 2, 0.01, 1]);
    const model = svcFit(x, y, 25);
    const pred = svcPredict(model, x);
    const acc = accuracy(y, pred, { skipRows: 25 });
    const g = toGraph({ ref: acc.ref, tasks: acc.tasks });
    validateGraph(g, { ops });
    const t = byKey(g);
    expect(g.tasks.filter((k) => k.op === ML_OPS.svcFit)).toHaveLength(1);
    expect(g.tasks.filter((k) => k.op === ML_OPS.svcPredict)).toHaveLength(4);
    const perBlock = g.tasks.filter((k) => k.op === ML_OPS.accuracy).map((k) => k.args[2]);
    expect(perBlock).toEqual([25, 0, 0, 0]);
    expect(t.get(model.ref.ref)!.args.slice(2)).toEqual([25, ['rbf', 1, 'scale', 3, 0, 0.001]]);
  });

  it('rejects a training sample beyond the first block and bad options', () => {
    const { x, y } = makeClassification({ nSamples: 100, chunks: 30 });
    expect(() => svcFit(x, y, 31)).toThrow(ArrayArgError);
    expect(() => makeClassification({ nSamples: 10, chunks: 5, nInformative: 15, nRedundant: 10 })).toThrow(
      /exceeds nFeatures/,
    );
  });
});
