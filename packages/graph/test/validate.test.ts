import { describe, expect, it } from 'vitest';
import {
  ArityError,
  CycleError,
  DanglingRefError,
  DuplicateKeyError,
  GraphBuilder,
  GraphFormatError,
  InvalidArgError,
  UnknownOpError,
  validateGraph,
  type Graph,
  type OpManifest,
  type Task,
} from '../src/index.js';

const OPS = ['add', 'sum', 'identity', 'mul'];

function chain(n: number, closeCycle = false): Graph {
  const tasks: Task[] = new Array<Task>(n);
  tasks[0] = closeCycle
    ? { key: 't0', op: 'identity', args: [{ ref: `t${n - 1}` }] }
    : { key: 't0', op: 'identity', args: [1] };
  for (let i = 1; i < n; i++) tasks[i] = { key: `t${i}`, op: 'identity', args: [{ ref: `t${i - 1}` }] };
  return { tasks };
}

function thrown(f: () => void): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected an error');
}

describe('validateGraph', () => {
  it('accepts a valid graph built with GraphBuilder', () => {
    const b = new GraphBuilder();
    const x = b.task('x', 'add', 1, 2);
    const y = b.task('y', 'mul', x, { dtype: 'f64', shape: [2], data: new Float64Array([1, 2]) });
    b.task('z', 'sum', x, y, x);
    expect(() => validateGraph(b.build(), { ops: OPS })).not.toThrow();
  });

  it('rejects duplicate keys, naming the key', () => {
    const e = thrown(() =>
      validateGraph(
        {
          tasks: [
            { key: 'a', op: 'add', args: [] },
            { key: 'a', op: 'add', args: [] },
          ],
        },
        { ops: OPS },
      ),
    );
    expect(e).toBeInstanceOf(DuplicateKeyError);
    expect(e).toMatchObject({ name: 'DuplicateKeyError', code: 'GRAPH_DUPLICATE_KEY', key: 'a' });
    expect((e as Error).message).toContain('"a"');
  });

  it('rejects dangling references, naming both keys', () => {
    const e = thrown(() =>
      validateGraph({ tasks: [{ key: 'a', op: 'add', args: [{ ref: 'ghost' }] }] }, { ops: OPS }),
    );
    expect(e).toBeInstanceOf(DanglingRefError);
    expect(e).toMatchObject({ code: 'GRAPH_DANGLING_REF', key: 'a', ref: 'ghost' });
    expect((e as Error).message).toMatch(/"a".*"ghost"/);
  });

  it('rejects unknown ops against a set, a list and a manifest object', () => {
    const g: Graph = { tasks: [{ key: 'k', op: 'launchMissiles', args: [] }] };
    for (const ops of [OPS, new Set(OPS), { has: (op: string) => OPS.includes(op) }]) {
      const e = thrown(() => validateGraph(g, { ops }));
      expect(e).toBeInstanceOf(UnknownOpError);
      expect(e).toMatchObject({ code: 'GRAPH_UNKNOWN_OP', key: 'k', op: 'launchMissiles' });
    }
  });

  it('checks arity when the manifest gives it', () => {
    const manifest: OpManifest = {
      has: (op) => op === 'add',
      arity: (op) => (op === 'add' ? { min: 2, max: 2 } : undefined),
    };
    validateGraph({ tasks: [{ key: 'ok', op: 'add', args: [1, 2] }] }, { ops: manifest });
    const e = thrown(() =>
      validateGraph({ tasks: [{ key: 'bad', op: 'add', args: [1] }] }, { ops: manifest }),
    );
    expect(e).toBeInstanceOf(ArityError);
    expect(e).toMatchObject({ code: 'GRAPH_ARITY', key: 'bad', argCount: 1 });
  });

  it('prints the cycle path in data-flow order', () => {
    // a -> b -> c -> a, plus d downstream of the cycle (listed first so the walk starts outside the cycle)
    const g: Graph = {
      tasks: [
        { key: 'd', op: 'add', args: [{ ref: 'c' }] },
        { key: 'a', op: 'add', args: [{ ref: 'c' }] },
        { key: 'b', op: 'add', args: [{ ref: 'a' }] },
        { key: 'c', op: 'add', args: [{ ref: 'b' }] },
      ],
    };
    const e = thrown(() => validateGraph(g, { ops: OPS }));
    expect(e).toBeInstanceOf(CycleError);
    expect((e as CycleError).cycle).toEqual(['a', 'b', 'c', 'a']);
    expect((e as CycleError).key).toBe('a');
    expect((e as Error).message).toContain('"a" -> "b" -> "c" -> "a"');
  });

  it('reports a self-reference as a one-task cycle', () => {
    const e = thrown(() =>
      validateGraph({ tasks: [{ key: 's', op: 'add', args: [{ ref: 's' }] }] }, { ops: OPS }),
    );
    expect((e as CycleError).cycle).toEqual(['s', 's']);
  });

  it('validates a 1,000,000-task chain and finds a 1,000,000-task cycle without deep recursion', () => {
    expect(() => validateGraph(chain(1_000_000), { ops: OPS })).not.toThrow();
    const e = thrown(() => validateGraph(chain(1_000_000, true), { ops: OPS }));
    expect(e).toBeInstanceOf(CycleError);
    const cycle = (e as CycleError).cycle;
    expect(cycle.length).toBe(1_000_001);
    expect(cycle.slice(0, 3)).toEqual(['t0', 't1', 't2']);
    expect((e as Error).message).toContain('more');
    expect((e as Error).message.length).toBeLessThan(1000);
  });

  it('enforces each limit with a typed error naming the option and the key', () => {
    const fanIn: Graph = {
      tasks: [
        { key: 'a', op: 'add', args: [] },
        { key: 'b', op: 'add', args: [] },
        { key: 'c', op: 'add', args: [] },
        { key: 'sink', op: 'sum', args: [{ ref: 'a' }, { ref: 'b' }, { ref: 'c' }, { ref: 'a' }] },
      ],
    };
    expect(() => validateGraph(fanIn, { ops: OPS, limits: { maxFanIn: 3 } })).not.toThrow();
    expect(thrown(() => validateGraph(fanIn, { ops: OPS, limits: { maxFanIn: 2 } }))).toMatchObject({
      name: 'GraphLimitError',
      code: 'GRAPH_LIMIT_EXCEEDED',
      limit: 'maxFanIn',
      key: 'sink',
      value: 3,
    });
    const fanOut: Graph = {
      tasks: [
        { key: 'src', op: 'add', args: [] },
        ...['x', 'y', 'z'].map((k) => ({ key: k, op: 'add', args: [{ ref: 'src' }, { ref: 'src' }] })),
      ],
    };
    expect(thrown(() => validateGraph(fanOut, { ops: OPS, limits: { maxFanOut: 2 } }))).toMatchObject({
      limit: 'maxFanOut',
      key: 'src',
      value: 3,
    });
    expect(thrown(() => validateGraph(fanOut, { ops: OPS, limits: { maxTasks: 3 } }))).toMatchObject({
      limit: 'maxTasks',
      value: 4,
    });
    const big: Graph = { tasks: [{ key: 'big', op: 'add', args: [new Float64Array(100), 'xyz'] }] };
    expect(thrown(() => validateGraph(big, { ops: OPS, limits: { maxInlineBytes: 802 } }))).toMatchObject({
      limit: 'maxInlineBytes',
      key: 'big',
      value: 803,
    });
    expect(() => validateGraph(big, { ops: OPS, limits: { maxInlineBytes: 803 } })).not.toThrow();
    const deep: Graph = { tasks: [{ key: 'deep', op: 'add', args: [[[[1]]]] }] };
    expect(thrown(() => validateGraph(deep, { ops: OPS, limits: { maxInlineDepth: 2 } }))).toMatchObject({
      limit: 'maxInlineDepth',
      key: 'deep',
    });
  });

  it('rejects malformed args with InvalidArgError naming key and arg index', () => {
    const cases: unknown[] = [
      { dtype: 'f64', shape: [3], data: new Float64Array(2) },
      { dtype: 'f16', shape: [1], data: new Float64Array(1) },
      { dtype: 'f32', shape: [1], data: new Float64Array(1) },
      { dtype: 'f64', shape: [-1], data: new Float64Array(0) },
      [{ ref: 'x' }],
      { some: 'object' },
      new DataView(new ArrayBuffer(8)),
      new BigInt64Array(1),
      () => 1,
      undefined,
    ];
    for (const bad of cases) {
      const g = {
        tasks: [
          { key: 'x0', op: 'add', args: [] },
          { key: 'k', op: 'add', args: [1, bad] },
        ],
      };
      const e = thrown(() => validateGraph(g as unknown as Graph, { ops: OPS }));
      expect(e, String(bad)).toBeInstanceOf(InvalidArgError);
      expect(e).toMatchObject({ code: 'GRAPH_INVALID_ARG', key: 'k', argIndex: 1 });
    }
  });

  it('rejects structurally broken input with GraphFormatError', () => {
    const cases: unknown[] = [
      null,
      { tasks: 'no' },
      { tasks: [{ op: 'add', args: [] }] },
      { tasks: [{ key: 'a', args: [] }] },
      { tasks: [{ key: 'a', op: 'add', args: 3 }] },
      { tasks: [{ key: 'a', op: 'add', args: [], outputBytes: -1 }] },
    ];
    for (const bad of cases) {
      expect(thrown(() => validateGraph(bad as Graph, { ops: OPS }))).toBeInstanceOf(GraphFormatError);
    }
  });

  it('serialises errors with a stable name and code', () => {
    const e = thrown(() => validateGraph({ tasks: [{ key: 'q', op: 'nope', args: [] }] }, { ops: OPS }));
    const json = JSON.parse(JSON.stringify(e)) as Record<string, unknown>;
    expect(json).toEqual({
      name: 'UnknownOpError',
      code: 'GRAPH_UNKNOWN_OP',
      key: 'q',
      message: 'task "q" uses unknown op "nope"',
    });
  });

  it('rejects invalid limit overrides', () => {
    expect(() => validateGraph({ tasks: [] }, { ops: OPS, limits: { maxTasks: -1 } })).toThrow(/maxTasks/);
  });
});
