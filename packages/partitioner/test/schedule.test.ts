import { describe, expect, it } from 'vitest';
import { validateGraph } from '@wukong/graph';
import {
  buildPlan,
  dependentsOf,
  depsOf,
  describeSchedule,
  staticSchedules,
  type ScheduleDescription,
} from '../src/index.js';
import { graphOf, renameSpec, renamings, type DagSpec } from './helpers.js';

interface Case {
  readonly name: string;
  readonly drawing: string;
  readonly spec: DagSpec;
  /** Expected schedules, one per leaf in leaf order; each step is "task>become|invoke,invoke". */
  readonly expected: Record<string, string[]>;
  /** False when the expected become choices rely on the task-index tie-break (so task order matters). */
  readonly orderFree: boolean;
}

const CASES: Case[] = [
  {
    name: 'diamond (tie on priority broken by the output-size hint)',
    drawing: `
          a
         / \\
        b   c        b: outputBytes 100, c: unknown -> become b
         \\ /
          d`,
    spec: { deps: { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] }, sizes: { b: 100 } },
    expected: { a: ['a>b|c', 'b>d|', 'd>|', 'c>d|'] },
    orderFree: true,
  },
  {
    name: 'fan-out (become the longest branch, invoke the rest by size, unknown last)',
    drawing: `
            s
         / | | \\
        p  q r  t      p: 10 bytes, r: 30 bytes, t: unknown
           |
           u`,
    spec: { deps: { s: [], p: ['s'], q: ['s'], r: ['s'], t: ['s'], u: ['q'] }, sizes: { p: 10, r: 30 } },
    expected: { s: ['s>q|r,p,t', 'q>u|', 'u>|', 'r>|', 'p>|', 't>|'] },
    orderFree: true,
  },
  {
    name: 'fan-in (three leaves share the fan-in task and everything after it)',
    drawing: `
        x  y  z
         \\ | /
           m
           |
           n`,
    spec: { deps: { x: [], y: [], z: [], m: ['x', 'y', 'z'], n: ['m'] } },
    expected: { x: ['x>m|', 'm>n|', 'n>|'], y: ['y>m|', 'm>n|', 'n>|'], z: ['z>m|', 'm>n|', 'n>|'] },
    orderFree: true,
  },
  {
    name: "two leaves' overlapping schedules",
    drawing: `
          a     b          priority: a 4, d 3, b 3, c 2, e 2, f 1
         / \\    |
        c   d   |          e: fan-in of d and b;  f: fan-in of c and e
        |    \\  |
        |     \\ |
        |      e
         \\    /
           f`,
    spec: { deps: { a: [], b: [], c: ['a'], d: ['a'], e: ['d', 'b'], f: ['c', 'e'] } },
    expected: {
      a: ['a>d|c', 'd>e|', 'e>f|', 'f>|', 'c>f|'],
      b: ['b>e|', 'e>f|', 'f>|'],
    },
    orderFree: true,
  },
  {
    name: 'diamond without hints (tie broken by task index: earlier in graph.tasks)',
    drawing: `
          a
         / \\
        b   c        b is listed before c
         \\ /
          d`,
    spec: { deps: { a: [], b: ['a'], c: ['a'], d: ['b', 'c'] } },
    expected: { a: ['a>b|c', 'b>d|', 'd>|', 'c>d|'] },
    orderFree: false,
  },
];

function compact(d: ScheduleDescription): string[] {
  return d.steps.map((s) => `${s.task}>${s.become ?? ''}|${s.invoke.join(',')}`);
}

function renameStep(step: string, rename: (k: string) => string): string {
  const [task, rest] = step.split('>') as [string, string];
  const [become, invoke] = rest.split('|') as [string, string];
  const r = (k: string) => (k === '' ? '' : rename(k));
  return `${r(task)}>${r(become)}|${invoke === '' ? '' : invoke.split(',').map(r).join(',')}`;
}

describe('static schedules on hand-drawn DAGs', () => {
  for (const c of CASES) {
    for (const { name, rename } of renamings(Object.keys(c.spec.deps))) {
      const orders = c.orderFree ? ['listed order', 'reversed task list'] : ['listed order'];
      for (const order of orders) {
        it(`${c.name} — ${name}, ${order}`, () => {
          const spec = renameSpec(c.spec, rename);
          const keys = Object.keys(spec.deps);
          const graph = graphOf(spec, order === 'listed order' ? keys : [...keys].reverse());
          validateGraph(graph, { ops: ['add'] });
          const plan = buildPlan(graph);
          const got = new Map(
            staticSchedules(plan).map((s) => {
              const d = describeSchedule(plan, s);
              return [d.leaf, compact(d)];
            }),
          );
          const want = new Map(
            Object.entries(c.expected).map(([leaf, steps]) => [
              rename(leaf),
              steps.map((s) => renameStep(s, rename)),
            ]),
          );
          expect(got).toEqual(want);
        });
      }
    }
  }

  it('the tie-break follows task order, not key spelling', () => {
    const c = CASES[4] as Case;
    const reversed = graphOf(c.spec, ['a', 'c', 'b', 'd']);
    const plan = buildPlan(reversed);
    const [s] = staticSchedules(plan);
    expect(compact(describeSchedule(plan, s!))).toEqual(['a>c|b', 'c>d|', 'd>|', 'b>d|']);
  });
});

describe('buildPlan', () => {
  it('compiles the overlapping-leaves DAG into CSR arrays, hints and rewritten args', () => {
    const spec = CASES[3]!.spec;
    const graph = graphOf(spec);
    const withInline = {
      tasks: graph.tasks.map((t) =>
        t.key === 'e' ? { ...t, args: [{ ref: 'd' }, 2.5, { ref: 'b' }, { ref: 'd' }], outputBytes: 64 } : t,
      ),
    };
    const plan = buildPlan(withInline);
    // a0 b1 c2 d3 e4 f5
    expect(plan.taskCount).toBe(6);
    expect(plan.keys).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(plan.ops).toEqual(['add', 'add', 'add', 'add', 'add', 'add']);
    expect([...plan.depOffsets]).toEqual([0, 0, 0, 1, 2, 4, 6]);
    expect([...plan.deps]).toEqual([0, 0, 3, 1, 2, 4]);
    expect([...depsOf(plan, 4)]).toEqual([3, 1]);
    expect([...plan.dependentOffsets]).toEqual([0, 2, 3, 4, 5, 6, 6]);
    expect([...dependentsOf(plan, 0)]).toEqual([2, 3]);
    expect([...dependentsOf(plan, 1)]).toEqual([4]);
    expect([...plan.inDegree]).toEqual([0, 0, 1, 1, 2, 2]);
    expect([...plan.leaves]).toEqual([0, 1]);
    expect([...plan.finals]).toEqual([5]);
    expect([...plan.priority]).toEqual([4, 3, 2, 3, 2, 1]);
    expect([...plan.preferredChild]).toEqual([3, 4, 5, 4, 5, -1]);
    expect(plan.outputBytes[4]).toBe(64);
    expect(Number.isNaN(plan.outputBytes[0])).toBe(true);
    expect(plan.args[4]).toEqual([{ dep: 3 }, 2.5, { dep: 1 }, { dep: 3 }]);
    expect(plan.args[0]).toEqual([1]);
  });

  it('builds, schedules and bounds a 1,000,000-task chain without recursion', () => {
    const n = 1_000_000;
    const tasks = new Array(n);
    tasks[0] = { key: 'c0', op: 'add', args: [0] };
    for (let i = 1; i < n; i++) tasks[i] = { key: `c${i}`, op: 'add', args: [{ ref: `c${i - 1}` }] };
    const plan = buildPlan({ tasks });
    expect([...plan.leaves]).toEqual([0]);
    expect([...plan.finals]).toEqual([n - 1]);
    expect(plan.priority[0]).toBe(n);
    expect(plan.preferredChild[n - 2]).toBe(n - 1);
    const [schedule] = staticSchedules(plan);
    expect(schedule!.tasks.length).toBe(n);
    expect(schedule!.tasks[n - 1]).toBe(n - 1);
    expect(schedule!.become[0]).toBe(1);
  });

  it('rejects graphs that were not validated, naming the key', () => {
    expect(() => buildPlan({ tasks: [{ key: 'a', op: 'add', args: [{ ref: 'x' }] }] })).toThrow(
      expect.objectContaining({ name: 'PlanInputError', code: 'PLAN_INVALID_GRAPH', key: 'a' }),
    );
    expect(() =>
      buildPlan({
        tasks: [
          { key: 'a', op: 'add', args: [] },
          { key: 'a', op: 'add', args: [] },
        ],
      }),
    ).toThrow(/duplicate task key "a"/);
    expect(() =>
      buildPlan({
        tasks: [
          { key: 'a', op: 'add', args: [{ ref: 'b' }] },
          { key: 'b', op: 'add', args: [{ ref: 'a' }] },
        ],
      }),
    ).toThrow(/cycle through task "a"/);
    expect(() => depsOf(buildPlan({ tasks: [] }), 0)).toThrow(
      expect.objectContaining({ code: 'PLAN_TASK_INDEX' }),
    );
  });
});
