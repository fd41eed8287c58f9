import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { validateGraph, type Graph, type Task } from '@wukong/graph';
import { buildPlan, decodePlan, dependentsOf, encodePlan, staticSchedules, type Plan } from '../src/index.js';

/**
 * Random DAGs: task t may depend on any earlier task in a hidden topological numbering; the graph lists the
 * tasks in a random order under random key names, with random size hints and inline args.
 */
const dagArb = fc
  .integer({ min: 1, max: 40 })
  .chain((n) =>
    fc.record({
      n: fc.constant(n),
      deps: fc.array(fc.array(fc.nat(), { maxLength: 5 }), { minLength: n, maxLength: n }),
      order: fc.shuffledSubarray([...Array(n).keys()], { minLength: n, maxLength: n }),
      names: fc.uniqueArray(fc.string({ minLength: 1, maxLength: 6 }), { minLength: n, maxLength: n }),
      sizes: fc.array(fc.option(fc.integer({ min: 0, max: 1000 })), { minLength: n, maxLength: n }),
    }),
  )
  .map(({ n, deps, order, names, sizes }): Graph => {
    const tasks: Task[] = order.map((t) => {
      const refs = t === 0 ? [] : (deps[t] as number[]).map((d) => ({ ref: names[d % t] as string }));
      const size = sizes[t];
      const args = [...refs, t];
      return size === null || size === undefined
        ? { key: names[t] as string, op: 'add', args }
        : { key: names[t] as string, op: 'add', args, outputBytes: size };
    });
    return { tasks: tasks.slice(0, n) };
  });

/** Tasks reachable from `start`, by walking the graph's refs (independent of the plan's CSR arrays). */
function reachable(graph: Graph, start: string): Set<string> {
  const dependents = new Map<string, string[]>();
  for (const t of graph.tasks) {
    for (const a of t.args) {
      if (typeof a === 'object' && a !== null && 'ref' in a) {
        const list = dependents.get(a.ref) ?? [];
        list.push(t.key);
        dependents.set(a.ref, list);
      }
    }
  }
  const seen = new Set([start]);
  const todo = [start];
  while (todo.length > 0) {
    for (const c of dependents.get(todo.pop() as string) ?? []) {
      if (!seen.has(c)) {
        seen.add(c);
        todo.push(c);
      }
    }
  }
  return seen;
}

function bottomLevel(plan: Plan, i: number, memo: Map<number, number>): number {
  const known = memo.get(i);
  if (known !== undefined) return known;
  let best = 0;
  for (const c of dependentsOf(plan, i)) best = Math.max(best, bottomLevel(plan, c, memo));
  memo.set(i, best + 1);
  return best + 1;
}

describe('plans of random DAGs', () => {
  it('leaves have in-degree 0, finals have no dependents, and both are complete', () => {
    fc.assert(
      fc.property(dagArb, (graph) => {
        validateGraph(graph, { ops: ['add'] });
        const plan = buildPlan(graph);
        const noDeps = graph.tasks.flatMap((t, i) => (t.args.some((a) => typeof a === 'object') ? [] : [i]));
        expect([...plan.leaves]).toEqual(noDeps);
        for (const l of plan.leaves) expect(plan.inDegree[l]).toBe(0);
        const referenced = new Set(
          graph.tasks.flatMap((t) =>
            t.args.flatMap((a) => (typeof a === 'object' && a !== null && 'ref' in a ? [a.ref] : [])),
          ),
        );
        expect([...plan.finals].map((f) => plan.keys[f])).toEqual(
          graph.tasks.map((t) => t.key).filter((k) => !referenced.has(k)),
        );
        for (const f of plan.finals) expect(dependentsOf(plan, f).length).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('schedules cover every task, each is exactly the set reachable from its leaf, and splits are sound', () => {
    fc.assert(
      fc.property(dagArb, (graph) => {
        const plan = buildPlan(graph);
        const schedules = staticSchedules(plan);
        expect(schedules.map((s) => s.leaf)).toEqual([...plan.leaves]);
        const covered = new Set<number>();
        for (const s of schedules) {
          const keys = [...s.tasks].map((i) => plan.keys[i]);
          expect(new Set(keys).size).toBe(keys.length);
          expect(new Set(keys)).toEqual(reachable(graph, plan.keys[s.leaf] as string));
          expect(s.tasks[0]).toBe(s.leaf);
          s.tasks.forEach((t, k) => {
            covered.add(t);
            const children = [...dependentsOf(plan, t)].sort((a, b) => a - b);
            const become = s.become[k] as number;
            const invoke = [...s.invoke.subarray(s.invokeOffsets[k], s.invokeOffsets[k + 1])];
            expect(become).toBe(plan.preferredChild[t]);
            expect([...(become < 0 ? [] : [become]), ...invoke].sort((a, b) => a - b)).toEqual(children);
          });
        }
        expect(covered.size).toBe(plan.taskCount);
      }),
      { numRuns: 200 },
    );
  });

  it('priority is the bottom level and the preferred child has the highest priority', () => {
    fc.assert(
      fc.property(dagArb, (graph) => {
        const plan = buildPlan(graph);
        const memo = new Map<number, number>();
        for (let i = 0; i < plan.taskCount; i++) {
          expect(plan.priority[i]).toBe(bottomLevel(plan, i, memo));
          const children = [...dependentsOf(plan, i)];
          const p = plan.preferredChild[i] as number;
          if (children.length === 0) {
            expect(p).toBe(-1);
          } else {
            expect(children).toContain(p);
            expect(plan.priority[p]).toBe(Math.max(...children.map((c) => plan.priority[c] as number)));
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('renaming every key changes nothing but the keys', () => {
    fc.assert(
      fc.property(dagArb, fc.string({ minLength: 1, maxLength: 3 }), (graph, salt) => {
        const rename = (k: string) => `${salt}${[...k].reverse().join('')}#${k.length}`;
        const renamed: Graph = {
          tasks: graph.tasks.map((t) => ({
            ...t,
            key: rename(t.key),
            args: t.args.map((a) =>
              typeof a === 'object' && a !== null && 'ref' in a ? { ref: rename(a.ref) } : a,
            ),
          })),
        };
        const a = buildPlan(graph);
        const b = buildPlan(renamed);
        expect({ ...b, keys: [] }).toEqual({ ...a, keys: [] });
        expect(b.keys).toEqual(a.keys.map(rename));
        expect(staticSchedules(b)).toEqual(staticSchedules(a));
      }),
      { numRuns: 100 },
    );
  });

  it('round-trips through the codec at any segment size', () => {
    fc.assert(
      fc.property(dagArb, fc.integer({ min: 1, max: 50 }), (graph, segmentTasks) => {
        const plan = buildPlan(graph);
        const encoded = encodePlan(plan, { segmentTasks });
        expect(encoded.segments.length).toBe(Math.ceil(plan.taskCount / segmentTasks));
        expect(decodePlan(encoded)).toEqual(plan);
      }),
      { numRuns: 100 },
    );
  });
});
