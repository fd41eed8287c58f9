import { describe, expect, it } from 'vitest';
import { GraphBuilder, type NDArray, type Task } from '@wukong/graph';
import {
  buildPlan,
  decodePlan,
  decodePlanHeader,
  encodePlan,
  encodedPlanFromBytes,
  encodedPlanToBytes,
  planTask,
  PlanReader,
  type EncodedPlan,
  type Plan,
} from '../src/index.js';

/** A chain of n tasks, c0 <- c1 <- ..., each with an inline number, and a tensor on c0. */
function chainPlan(n: number): Plan {
  const tasks: Task[] = [
    {
      key: 'c0',
      op: 'identity',
      args: [{ dtype: 'f64', shape: [2, 2], data: new Float64Array([1, 2, 3, 4]) }],
    },
  ];
  for (let i = 1; i < n; i++)
    tasks.push({ key: `c${i}`, op: i % 2 ? 'add' : 'mul', args: [{ ref: `c${i - 1}` }, i] });
  return buildPlan({ tasks });
}

function countingReader(encoded: EncodedPlan): { reader: PlanReader; fetched: number[] } {
  const fetched: number[] = [];
  const reader = new PlanReader(encoded.header, async (n) => {
    fetched.push(n);
    await Promise.resolve();
    return encoded.segments[n] as Uint8Array;
  });
  return { reader, fetched };
}

describe('plan codec', () => {
  it('round-trips whole and segmented, with inline values and tensors', () => {
    const b = new GraphBuilder();
    const x = b.taskWith('x', 'identity', [{ dtype: 'f32', shape: [3], data: new Float32Array([1, 2, 3]) }], {
      outputBytes: 12,
    });
    const y = b.task('y', 'add', x, 'label', [1, [true, null]], new Int16Array([-2, 2]));
    b.task('z', 'sum', y, x, y, NaN);
    const plan = buildPlan(b.build());
    for (const segmentTasks of [undefined, 1, 2, 3, 1000]) {
      const encoded = encodePlan(plan, segmentTasks === undefined ? {} : { segmentTasks });
      const decoded = decodePlan(encoded);
      expect(decoded).toEqual(plan);
      expect((decoded.args[0]![0] as NDArray).data).toBeInstanceOf(Float32Array);
      expect(decodePlan(encodedPlanFromBytes(encodedPlanToBytes(encoded)))).toEqual(plan);
    }
    expect(encodePlan(plan).segments.length).toBe(1);
  });

  it('round-trips any well-formed Unicode key and rejects lone surrogates by key', () => {
    const keys = ['ключ', '🚀-rocket', 'a\u0000b', '', 'é'];
    const tasks: Task[] = keys.map((key, i) => ({
      key: key || 'empty',
      op: 'add',
      args: i ? [{ ref: keys[i - 1] || 'empty' }] : [],
    }));
    const plan = buildPlan({ tasks });
    for (const segmentTasks of [1, 2, 10])
      expect(decodePlan(encodePlan(plan, { segmentTasks })).keys).toEqual(plan.keys);
    const bad = buildPlan({
      tasks: [
        { key: 'ok', op: 'add', args: [] },
        { key: 'bad\uD800', op: 'add', args: [] },
      ],
    });
    expect(() => encodePlan(bad)).toThrow(
      expect.objectContaining({ code: 'PLAN_CODEC', message: expect.stringContaining('"bad\\ud800"') }),
    );
  });

  it('stores typed arrays as raw bytes, not element lists', () => {
    const plan = chainPlan(5000);
    const { segments } = encodePlan(plan);
    expect(segments.length).toBe(1);
    const segment = Buffer.from(segments[0]!);
    for (const arr of [plan.deps, plan.dependents, plan.priority, plan.preferredChild]) {
      const raw = Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
      // The raw bytes appear at an 8-aligned offset (they may also match elsewhere by coincidence).
      let at = segment.indexOf(raw);
      while (at >= 0 && at % 8 !== 0) at = segment.indexOf(raw, at + 1);
      expect(at, arr.constructor.name).toBeGreaterThan(0);
    }
    // ~60 bytes per task: 4-byte indices, 8-byte priorities and hints, short keys.
    expect(segment.byteLength / plan.taskCount).toBeLessThan(80);
  });

  it('header carries counts, ops and leaves/finals; bad bytes are typed errors', () => {
    const plan = chainPlan(10);
    const encoded = encodePlan(plan, { segmentTasks: 4 });
    const header = decodePlanHeader(encoded.header);
    expect(header).toMatchObject({ taskCount: 10, segmentTasks: 4, segmentCount: 3, edges: 9 });
    expect([...header.ops].sort()).toEqual(['add', 'identity', 'mul']);
    expect([...header.leaves]).toEqual([0]);
    expect([...header.finals]).toEqual([9]);
    expect(() => decodePlanHeader(encoded.segments[0]!)).toThrow(
      expect.objectContaining({ code: 'PLAN_CODEC' }),
    );
    expect(() => decodePlan({ header: encoded.header, segments: encoded.segments.slice(1) })).toThrow(
      /3 segments/,
    );
    expect(() =>
      decodePlan({
        header: encoded.header,
        segments: [encoded.segments[1]!, encoded.segments[0]!, encoded.segments[2]!],
      }),
    ).toThrow(expect.objectContaining({ code: 'PLAN_SEGMENT' }));
    expect(() => encodePlan(plan, { segmentTasks: 0 })).toThrow(/segmentTasks/);
  });
});

describe('PlanReader', () => {
  it('fetches only the segments holding the tasks it is asked for, each once', async () => {
    const plan = chainPlan(100);
    const encoded = encodePlan(plan, { segmentTasks: 10 });
    const { reader, fetched } = countingReader(encoded);
    expect(reader.taskCount).toBe(100);
    expect(reader.segmentCount).toBe(10);
    expect([...reader.leaves]).toEqual([0]);
    expect([...reader.finals]).toEqual([99]);
    expect(fetched).toEqual([]);

    const t57 = await reader.task(57);
    expect(fetched).toEqual([5]);
    expect(t57).toEqual(planTask(plan, 57));
    expect(t57).toMatchObject({
      key: 'c57',
      op: 'add',
      args: [{ dep: 56 }, 57],
      inDegree: 1,
      preferredChild: 58,
      priority: 43,
    });
    expect([...t57.deps]).toEqual([56]);
    expect([...t57.dependents]).toEqual([58]);

    await Promise.all([reader.task(50), reader.task(59), reader.task(51)]);
    expect(fetched).toEqual([5]);
    await Promise.all([reader.task(3), reader.task(4)]);
    expect(fetched).toEqual([5, 0]);
    expect(reader.loadedSegments).toEqual([0, 5]);
    const t0 = await reader.task(0);
    expect((t0.args[0] as NDArray).data).toEqual(new Float64Array([1, 2, 3, 4]));
    for (let i = 0; i < plan.taskCount; i++) expect(await reader.task(i)).toEqual(planTask(plan, i));
    expect(fetched.length).toBe(10);
  });

  it('answers without waiting for the tasks of segments it already has, and only for those', async () => {
    const plan = chainPlan(30);
    const { reader, fetched } = countingReader(encodePlan(plan, { segmentTasks: 10 }));
    expect(reader.taskIfLoaded(12)).toBeUndefined();
    expect(fetched).toEqual([]); // asking does not fetch
    await reader.task(12);
    for (let i = 10; i < 20; i++) expect(reader.taskIfLoaded(i)).toEqual(planTask(plan, i));
    expect(reader.taskIfLoaded(9)).toBeUndefined();
    expect(reader.taskIfLoaded(20)).toBeUndefined();
    expect(() => reader.taskIfLoaded(30)).toThrow(expect.objectContaining({ code: 'PLAN_TASK_INDEX' }));
    expect(fetched).toEqual([1]);
  });

  it('retries a failed fetch and rejects a wrong segment or index with typed errors', async () => {
    const encoded = encodePlan(chainPlan(20), { segmentTasks: 10 });
    let failures = 1;
    const reader = new PlanReader(encoded.header, (n) => {
      if (failures-- > 0) return Promise.reject(new Error('store unavailable'));
      return Promise.resolve(encoded.segments[n]!);
    });
    await expect(reader.task(15)).rejects.toMatchObject({ code: 'PLAN_SEGMENT', segment: 1 });
    await expect(reader.task(15)).resolves.toMatchObject({ key: 'c15' });
    const wrong = new PlanReader(encoded.header, () => Promise.resolve(encoded.segments[0]!));
    await expect(wrong.task(15)).rejects.toThrow(/plan segment 1/);
    await expect(reader.task(20)).rejects.toMatchObject({ code: 'PLAN_TASK_INDEX' });
  });
});
