/**
 * The Plan (DESIGN.md §4): a validated graph compiled once into integer-indexed arrays, so executors never
 * touch key strings or hash maps on the hot path and the whole thing encodes as raw typed arrays.
 *
 *          a   b          task index = position in graph.tasks; keys are only labels
 *           \ / \         deps (CSR)        c: [a, b]   d: [b]      (first-appearance order in args)
 *            c   d        dependents (CSR)  a: [c]  b: [c, d]  c: [e]  d: [e]   (ascending index)
 *             \ /         leaves = in-degree 0 = [a, b];  finals = no dependents = [e]
 *              e          priority = bottom level: e 1, c 2, d 2, a 3, b 3
 *
 * Construction is linear and iterative (no recursion anywhere, so a 1,000,000-task chain is fine):
 *   1. index keys; rewrite each task's args with refs replaced by shared `{ dep: index }` objects, collecting
 *      the distinct deps of each task in first-appearance order into a growable CSR array;
 *   2. count dependents, prefix-sum, fill: filling in ascending task order makes each list ascending;
 *   3. Kahn's algorithm gives a topological order (and proves acyclicity);
 *   4. in reverse topological order: priority[v] = 1 + max(priority of v's dependents), 1 at a final;
 *   5. preferredChild[v] = the best dependent by {@link compareChildren}.
 *
 * The become rule ({@link compareChildren}), in order:
 *   1. higher priority (bottom level): keep the critical path on the executor that is already warm and holds
 *      the input, and spend invocation latency on the shorter branches;
 *   2. larger known `outputBytes` hint (a known size beats an unknown one): a heavier child stays local, the
 *      lighter ones are shipped;
 *   3. lower task index, i.e. earlier in graph.tasks.
 * Never key spelling or hash iteration order: renaming keys cannot change a plan.
 */
import { KeyIndex, isRef, type Arg, type Graph, type Inline, type Task } from '@wukong/graph';
import { PlanInputError, TaskIndexError } from './errors.js';

/** A plan argument: a dependency's output (by task index) or an inline value. */
export type PlanArg = { readonly dep: number } | Inline;

export interface Plan {
  readonly taskCount: number;
  /** index -> key */
  readonly keys: readonly string[];
  /** index -> op name */
  readonly ops: readonly string[];
  /** index -> args, refs replaced by `{ dep: taskIndex }` */
  readonly args: readonly (readonly PlanArg[])[];
  /** CSR: deps of task i are deps[depOffsets[i] .. depOffsets[i+1]), distinct, in first-appearance order */
  readonly depOffsets: Uint32Array;
  readonly deps: Uint32Array;
  /** CSR: dependents of task i, distinct, ascending task index */
  readonly dependentOffsets: Uint32Array;
  readonly dependents: Uint32Array;
  /** number of distinct deps */
  readonly inDegree: Uint32Array;
  /** tasks with in-degree 0, ascending */
  readonly leaves: Uint32Array;
  /** tasks with no dependents, ascending */
  readonly finals: Uint32Array;
  /** bottom level: tasks on the longest path from this task to a final, itself included (finals have 1) */
  readonly priority: Float64Array;
  /** the dependent to become after this task (module header), -1 for a final */
  readonly preferredChild: Int32Array;
  /** output size hint in bytes, NaN when unknown */
  readonly outputBytes: Float64Array;
}

/** True when a plan argument is a dependency reference. */
export function isDepArg(a: PlanArg): a is { readonly dep: number } {
  return typeof a === 'object' && a !== null && typeof (a as { dep?: unknown }).dep === 'number';
}

/** One `{ dep }` object per task index, shared by every arg that refers to it (plans are read-only). */
export class DepArgCache {
  private readonly cache: ({ readonly dep: number } | undefined)[];
  constructor(taskCount: number) {
    this.cache = new Array<{ readonly dep: number } | undefined>(taskCount);
  }
  get(i: number): { readonly dep: number } {
    let a = this.cache[i];
    if (a === undefined) this.cache[i] = a = { dep: i };
    return a;
  }
}

/** Compiles a validated graph into a Plan. See the module header for the algorithm and the become rule. */
export function buildPlan(graph: Graph): Plan {
  const tasks = graph.tasks;
  const n = tasks.length;
  const keys = new Array<string>(n);
  const ops = new Array<string>(n);
  const index = new KeyIndex(n);
  const outputBytes = new Float64Array(n).fill(NaN);
  for (let i = 0; i < n; i++) {
    const t = tasks[i] as Task;
    const key = t.key;
    if (index.add(key) < 0) throw new PlanInputError(`duplicate task key "${key}"`, key);
    keys[i] = key;
    ops[i] = t.op;
    if (t.outputBytes !== undefined) outputBytes[i] = t.outputBytes;
  }

  // 1. args and deps
  const args = new Array<readonly PlanArg[]>(n);
  const depArgs = new DepArgCache(n);
  const depOffsets = new Uint32Array(n + 1);
  let deps = new Uint32Array(Math.max(16, 2 * n));
  let edges = 0;
  const seenBy = new Int32Array(n).fill(-1);
  for (let i = 0; i < n; i++) {
    const t = tasks[i] as Task;
    const targs = t.args;
    // Args without refs are shared with the graph (both are immutable); others get a rewritten copy.
    let out: PlanArg[] | undefined;
    for (let j = 0; j < targs.length; j++) {
      const a = targs[j] as Arg;
      if (!isRef(a)) continue;
      // A builtin copy, then refs overwritten in place: cheaper than element-wise filling of a new array.
      out ??= targs.slice() as PlanArg[];
      const d = index.get(a.ref);
      if (d < 0) throw new PlanInputError(`task "${t.key}" references missing "${a.ref}"`, t.key);
      out[j] = depArgs.get(d);
      if (seenBy[d] === i) continue;
      seenBy[d] = i;
      if (edges === deps.length) {
        const grown = new Uint32Array(deps.length * 2);
        grown.set(deps);
        deps = grown;
      }
      deps[edges++] = d;
    }
    args[i] = out ?? (targs as readonly PlanArg[]);
    depOffsets[i + 1] = edges;
  }
  deps = deps.slice(0, edges);

  // 2. dependents CSR and in-degree
  const inDegree = new Uint32Array(n);
  const dependentOffsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) inDegree[i] = (depOffsets[i + 1] as number) - (depOffsets[i] as number);
  for (let e = 0; e < edges; e++) dependentOffsets[(deps[e] as number) + 1]!++;
  for (let i = 0; i < n; i++) dependentOffsets[i + 1]! += dependentOffsets[i] as number;
  const cursor = dependentOffsets.slice(0, n);
  const dependents = new Uint32Array(edges);
  for (let i = 0; i < n; i++) {
    for (let e = depOffsets[i] as number, end = depOffsets[i + 1] as number; e < end; e++) {
      dependents[cursor[deps[e] as number]!++] = i;
    }
  }

  // 3. topological order
  const order = new Uint32Array(n);
  const remaining = inDegree.slice();
  let tail = 0;
  let leafCount = 0;
  let finalCount = 0;
  for (let i = 0; i < n; i++) {
    if (remaining[i] === 0) {
      order[tail++] = i;
      leafCount++;
    }
    if (dependentOffsets[i + 1] === dependentOffsets[i]) finalCount++;
  }
  for (let head = 0; head < tail; head++) {
    const v = order[head] as number;
    for (let e = dependentOffsets[v] as number, end = dependentOffsets[v + 1] as number; e < end; e++) {
      const c = dependents[e] as number;
      if (--remaining[c]! === 0) order[tail++] = c;
    }
  }
  if (tail !== n) {
    let stuck = 0;
    while (remaining[stuck] === 0) stuck++;
    throw new PlanInputError(`the graph has a cycle through task "${keys[stuck]}"`, keys[stuck]);
  }

  // 4. priority = bottom level
  const priority = new Float64Array(n);
  for (let k = n - 1; k >= 0; k--) {
    const v = order[k] as number;
    let best = 0;
    for (let e = dependentOffsets[v] as number, end = dependentOffsets[v + 1] as number; e < end; e++) {
      const p = priority[dependents[e] as number] as number;
      if (p > best) best = p;
    }
    priority[v] = best + 1;
  }

  // 5. preferred child; leaves and finals
  const preferredChild = new Int32Array(n).fill(-1);
  const leaves = new Uint32Array(leafCount);
  const finals = new Uint32Array(finalCount);
  let li = 0;
  let fi = 0;
  for (let v = 0; v < n; v++) {
    if (inDegree[v] === 0) leaves[li++] = v;
    const start = dependentOffsets[v] as number;
    const end = dependentOffsets[v + 1] as number;
    if (start === end) {
      finals[fi++] = v;
      continue;
    }
    let best = dependents[start] as number;
    for (let e = start + 1; e < end; e++) {
      const c = dependents[e] as number;
      if (compareChildren(priority, outputBytes, c, best) < 0) best = c;
    }
    preferredChild[v] = best;
  }

  return {
    taskCount: n,
    keys,
    ops,
    args,
    depOffsets,
    deps,
    dependentOffsets,
    dependents,
    inDegree,
    leaves,
    finals,
    priority,
    preferredChild,
    outputBytes,
  };
}

/**
 * The become preference between two children: negative when `a` should be become rather than `b`.
 * Higher priority first, then larger known output size (known beats NaN), then lower index.
 */
export function compareChildren(
  priority: Float64Array,
  outputBytes: Float64Array,
  a: number,
  b: number,
): number {
  const pa = priority[a] as number;
  const pb = priority[b] as number;
  if (pa !== pb) return pb - pa;
  const oa = outputBytes[a] as number;
  const ob = outputBytes[b] as number;
  const ka = !Number.isNaN(oa);
  const kb = !Number.isNaN(ob);
  if (ka !== kb) return ka ? -1 : 1;
  if (ka && oa !== ob) return ob - oa;
  return a - b;
}

function checkIndex(plan: Plan, i: number): void {
  if (!Number.isInteger(i) || i < 0 || i >= plan.taskCount) throw new TaskIndexError(i, plan.taskCount);
}

/** The deps of task i (a view, first-appearance order). */
export function depsOf(plan: Plan, i: number): Uint32Array {
  checkIndex(plan, i);
  return plan.deps.subarray(plan.depOffsets[i], plan.depOffsets[i + 1]);
}

/** The dependents of task i (a view, ascending). */
export function dependentsOf(plan: Plan, i: number): Uint32Array {
  checkIndex(plan, i);
  return plan.dependents.subarray(plan.dependentOffsets[i], plan.dependentOffsets[i + 1]);
}

/** Everything about one task, as PlanReader returns it for a segmented plan. */
export interface PlanTask {
  readonly index: number;
  readonly key: string;
  readonly op: string;
  readonly args: readonly PlanArg[];
  readonly deps: Uint32Array;
  readonly dependents: Uint32Array;
  readonly inDegree: number;
  readonly priority: number;
  readonly preferredChild: number;
  readonly outputBytes: number;
}

/** Task i of an in-memory plan, in the same shape PlanReader.task returns. */
export function planTask(plan: Plan, i: number): PlanTask {
  checkIndex(plan, i);
  return {
    index: i,
    key: plan.keys[i] as string,
    op: plan.ops[i] as string,
    args: plan.args[i] as readonly PlanArg[],
    deps: depsOf(plan, i),
    dependents: dependentsOf(plan, i),
    inDegree: plan.inDegree[i] as number,
    priority: plan.priority[i] as number,
    preferredChild: plan.preferredChild[i] as number,
    outputBytes: plan.outputBytes[i] as number,
  };
}

/** Summary figures of a plan. */
export interface PlanStats {
  readonly tasks: number;
  readonly leaves: number;
  readonly finals: number;
  /** distinct dependency edges */
  readonly edges: number;
  readonly maxFanIn: number;
  readonly maxFanOut: number;
  /** tasks on the longest leaf-to-final path */
  readonly criticalPathLength: number;
}

export function planStats(plan: Plan): PlanStats {
  let maxFanIn = 0;
  let maxFanOut = 0;
  let criticalPathLength = 0;
  for (let i = 0; i < plan.taskCount; i++) {
    const fanIn = plan.inDegree[i] as number;
    const fanOut = (plan.dependentOffsets[i + 1] as number) - (plan.dependentOffsets[i] as number);
    if (fanIn > maxFanIn) maxFanIn = fanIn;
    if (fanOut > maxFanOut) maxFanOut = fanOut;
    if ((plan.priority[i] as number) > criticalPathLength) criticalPathLength = plan.priority[i] as number;
  }
  return {
    tasks: plan.taskCount,
    leaves: plan.leaves.length,
    finals: plan.finals.length,
    edges: plan.deps.length,
    maxFanIn,
    maxFanOut,
    criticalPathLength,
  };
}

/** A key -> index map of a plan (built on demand: executors work on indices). */
export function keyIndex(plan: Plan): Map<string, number> {
  const m = new Map<string, number>();
  plan.keys.forEach((k, i) => m.set(k, i));
  return m;
}
