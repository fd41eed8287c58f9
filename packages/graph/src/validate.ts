/**
 * Graph validation: everything that must hold before anything runs (DESIGN.md §3).
 *
 * Checks, in order, each throwing the first failure as a typed error naming the task at fault:
 *   1. shape: an object with a `tasks` array; each task has a non-empty string key, a string op, an args
 *      array, and a finite non-negative `outputBytes` when present          -> GraphFormatError
 *   2. `maxTasks`                                                            -> GraphLimitError
 *   3. per task: unique key, known op, arity (when the manifest gives it), every arg a Ref or a valid
 *      inline value, inline bytes and nesting depth within the limits        -> DuplicateKeyError,
 *      UnknownOpError, ArityError, InvalidArgError, GraphLimitError
 *   4. refs: every referenced key exists; distinct deps per task <= `maxFanIn`; distinct dependents per
 *      task <= `maxFanOut`                                                   -> DanglingRefError, GraphLimitError
 *   5. acyclicity                                                            -> CycleError
 *
 * Cycle detection is Kahn's algorithm over integer-indexed CSR arrays, so it is iterative and linear: a
 * 1,000,000-task chain validates without deep recursion. When tasks remain after Kahn's pass, each remaining
 * task still has an unfinished dependency, so walking from the earliest remaining task along unfinished
 * dependencies must revisit a task; the revisited stretch is the cycle that the error prints.
 */
import {
  ArityError,
  CycleError,
  DanglingRefError,
  DuplicateKeyError,
  GraphFormatError,
  GraphLimitError,
  InvalidArgError,
  UnknownOpError,
} from './errors.js';
import { KeyIndex } from './key-index.js';
import { dtypeOf, isDType, isTypedArray, shapeSize, type Graph, type Task } from './spec/types.js';

/** The ops an executor knows: a set of names, optionally with arity bounds. */
export interface OpManifest {
  has(op: string): boolean;
  /** Allowed arg counts of `op`, or undefined when the op takes any number. */
  arity?(op: string): { min: number; max: number } | undefined;
}

/** Size bounds a graph must respect. */
export interface GraphLimits {
  /**
   * Tasks in one graph.
   * @default 4_000_000
   */
  maxTasks: number;
  /**
   * Distinct dependencies of one task.
   * @default 65_536
   */
  maxFanIn: number;
  /**
   * Distinct dependents of one task.
   * @default 1_000_000
   */
  maxFanOut: number;
  /**
   * Bytes of inline values in one task's args (typed-array bytes, UTF-8 string bytes, 8 per number).
   * Inline values travel inside the Plan and invocation payloads; big data belongs in task outputs.
   * @default 1_048_576 (1 MiB: AWS Lambda's async payload limit)
   */
  maxInlineBytes: number;
  /**
   * Nesting depth of inline arrays (a flat list of numbers has depth 1).
   * @default 32
   */
  maxInlineDepth: number;
}

export const DEFAULT_GRAPH_LIMITS: Readonly<GraphLimits> = Object.freeze({
  maxTasks: 4_000_000,
  maxFanIn: 65_536,
  maxFanOut: 1_000_000,
  maxInlineBytes: 1_048_576,
  maxInlineDepth: 32,
});

export interface ValidateOptions {
  /** The op manifest, or simply the op names. */
  ops: OpManifest | Iterable<string>;
  /** Overrides of {@link DEFAULT_GRAPH_LIMITS}. */
  limits?: Partial<GraphLimits>;
}

/** Resolves limit overrides against the defaults, rejecting non-numeric or negative bounds. */
export function resolveGraphLimits(limits: Partial<GraphLimits> = {}): GraphLimits {
  const out: GraphLimits = { ...DEFAULT_GRAPH_LIMITS };
  for (const name of Object.keys(DEFAULT_GRAPH_LIMITS) as (keyof GraphLimits)[]) {
    const v = limits[name];
    if (v === undefined) continue;
    if (typeof v !== 'number' || Number.isNaN(v) || v < 0) {
      throw new RangeError(`graph limit ${name} must be a non-negative number, got ${String(v)}`);
    }
    out[name] = v;
  }
  return out;
}

function toManifest(ops: OpManifest | Iterable<string>): OpManifest {
  return typeof (ops as OpManifest).has === 'function'
    ? (ops as OpManifest)
    : new Set(ops as Iterable<string>);
}

/**
 * Validates a graph; returns normally when it may run, throws the first problem as a typed error otherwise.
 * See the module header for the checks and their order.
 */
export function validateGraph(graph: Graph, opts: ValidateOptions): void {
  const limits = resolveGraphLimits(opts.limits);
  const manifest = toManifest(opts.ops);
  if (typeof graph !== 'object' || graph === null || !Array.isArray(graph.tasks)) {
    throw new GraphFormatError('a graph is an object with a "tasks" array');
  }
  const tasks = graph.tasks;
  const n = tasks.length;
  if (n > limits.maxTasks) throw new GraphLimitError('maxTasks', n, limits.maxTasks);

  const index = new KeyIndex(n);
  for (let i = 0; i < n; i++) {
    const task = tasks[i] as Task;
    checkTaskShape(task, i);
    if (index.add(task.key) < 0) throw new DuplicateKeyError(task.key);
    if (!manifest.has(task.op)) throw new UnknownOpError(task.key, task.op);
    const arity = manifest.arity?.(task.op);
    if (arity !== undefined && (task.args.length < arity.min || task.args.length > arity.max)) {
      throw new ArityError(task.key, task.op, task.args.length, arity.min, arity.max);
    }
    checkInlineArgs(task, limits);
  }

  // Refs -> CSR of distinct dependencies (first-appearance order), counting dependents on the way.
  const depOffsets = new Uint32Array(n + 1);
  let deps = new Uint32Array(Math.max(16, n * 2));
  let edges = 0;
  const seenBy = new Int32Array(n).fill(-1);
  const fanOut = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const task = tasks[i] as Task;
    const args = task.args;
    for (let j = 0; j < args.length; j++) {
      const a = args[j];
      if (typeof a !== 'object' || a === null) continue;
      const ref = (a as { ref?: unknown }).ref;
      if (typeof ref !== 'string') continue;
      const d = index.get(ref);
      if (d < 0) throw new DanglingRefError(task.key, ref);
      if (seenBy[d] === i) continue;
      seenBy[d] = i;
      if (edges === deps.length) {
        const grown = new Uint32Array(deps.length * 2);
        grown.set(deps);
        deps = grown;
      }
      deps[edges++] = d;
      fanOut[d] = (fanOut[d] as number) + 1;
    }
    depOffsets[i + 1] = edges;
    const fanIn = edges - (depOffsets[i] as number);
    if (fanIn > limits.maxFanIn) throw new GraphLimitError('maxFanIn', fanIn, limits.maxFanIn, task.key);
  }
  for (let i = 0; i < n; i++) {
    const f = fanOut[i] as number;
    if (f > limits.maxFanOut) {
      throw new GraphLimitError('maxFanOut', f, limits.maxFanOut, (tasks[i] as Task).key);
    }
  }

  const cycle = findCycle(n, depOffsets, deps.subarray(0, edges), fanOut);
  if (cycle !== undefined) throw new CycleError(cycle.map((i) => (tasks[i] as Task).key));
}

function checkTaskShape(task: Task, i: number): void {
  if (typeof task !== 'object' || task === null) {
    throw new GraphFormatError(`tasks[${i}] is not an object`);
  }
  if (typeof task.key !== 'string' || task.key.length === 0) {
    throw new GraphFormatError(`tasks[${i}] has no key: a key is a non-empty string`);
  }
  if (typeof task.op !== 'string' || task.op.length === 0) {
    throw new GraphFormatError(`task "${task.key}" has no op: an op is a non-empty string`, task.key);
  }
  if (!Array.isArray(task.args)) {
    throw new GraphFormatError(`task "${task.key}": args must be an array`, task.key);
  }
  const ob = task.outputBytes;
  if (ob !== undefined && (typeof ob !== 'number' || !Number.isFinite(ob) || ob < 0)) {
    throw new GraphFormatError(
      `task "${task.key}": outputBytes must be a finite non-negative number, got ${String(ob)}`,
      task.key,
    );
  }
}

const utf8 = new TextEncoder();

function stringBytes(s: string): number {
  // ASCII fast path; a UTF-8 encoding is at least as long as the UTF-16 length for ASCII-only strings.
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(s) ? s.length : utf8.encode(s).length;
}

/**
 * Checks every inline value of a task (iteratively: nesting is bounded by `maxInlineDepth`, not the stack)
 * and the total inline bytes.
 */
function checkInlineArgs(task: Task, limits: GraphLimits): void {
  const args = task.args;
  let bytes = 0;
  for (let j = 0; j < args.length; j++) {
    const a: unknown = args[j];
    switch (typeof a) {
      case 'number':
        bytes += 8;
        continue;
      case 'boolean':
        bytes += 1;
        continue;
      case 'string':
        bytes += stringBytes(a);
        continue;
      case 'object':
        if (a === null) {
          bytes += 1;
          continue;
        }
        if (typeof (a as { ref?: unknown }).ref === 'string') continue; // a Ref, resolved below
        if (!Array.isArray(a) && !ArrayBuffer.isView(a) && 'ref' in a) {
          throw new InvalidArgError(task.key, j, 'a Ref is { ref: <key string> }');
        }
        bytes += inlineValueBytes(a, task.key, j, limits);
        break;
      default:
        throw new InvalidArgError(task.key, j, `${typeof a} is not an inline value`);
    }
    if (bytes > limits.maxInlineBytes) {
      throw new GraphLimitError('maxInlineBytes', bytes, limits.maxInlineBytes, task.key);
    }
  }
  if (bytes > limits.maxInlineBytes) {
    throw new GraphLimitError('maxInlineBytes', bytes, limits.maxInlineBytes, task.key);
  }
}

/** Byte size of one non-primitive inline value, validating it on the way. */
function inlineValueBytes(root: object, key: string, argIndex: number, limits: GraphLimits): number {
  let bytes = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    switch (typeof v) {
      case 'number':
        bytes += 8;
        continue;
      case 'boolean':
        bytes += 1;
        continue;
      case 'string':
        bytes += stringBytes(v);
        continue;
      case 'object':
        break;
      default:
        throw new InvalidArgError(key, argIndex, `${typeof v} is not an inline value`);
    }
    if (v === null) {
      bytes += 1;
      continue;
    }
    if (ArrayBuffer.isView(v)) {
      if (!isTypedArray(v)) {
        throw new InvalidArgError(key, argIndex, `${v.constructor.name} is not a supported typed array`);
      }
      bytes += v.byteLength;
      continue;
    }
    if (Array.isArray(v)) {
      if (depth > limits.maxInlineDepth) {
        throw new GraphLimitError('maxInlineDepth', depth, limits.maxInlineDepth, key);
      }
      for (const item of v as unknown[]) stack.push([item, depth + 1]);
      continue;
    }
    if ('ref' in v) {
      throw new InvalidArgError(key, argIndex, 'refs appear only at the top level of args');
    }
    bytes += ndarrayBytes(v, key, argIndex);
  }
  return bytes;
}

function ndarrayBytes(v: object, key: string, argIndex: number): number {
  const o = v as { dtype?: unknown; shape?: unknown; data?: unknown };
  const fields = Object.keys(v);
  if (fields.length !== 3 || !('dtype' in o) || !('shape' in o) || !('data' in o)) {
    throw new InvalidArgError(
      key,
      argIndex,
      `objects are not inline values, except NDArray { dtype, shape, data } (got fields ${fields.join(', ')})`,
    );
  }
  if (typeof o.dtype !== 'string' || !isDType(o.dtype)) {
    throw new InvalidArgError(key, argIndex, `unknown NDArray dtype ${JSON.stringify(o.dtype)}`);
  }
  if (
    !Array.isArray(o.shape) ||
    !o.shape.every((d: unknown) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
  ) {
    throw new InvalidArgError(key, argIndex, 'NDArray shape must be an array of non-negative integers');
  }
  if (!isTypedArray(o.data) || dtypeOf(o.data) !== o.dtype) {
    throw new InvalidArgError(key, argIndex, `NDArray data must be a typed array of dtype ${o.dtype}`);
  }
  const expected = shapeSize(o.shape as number[]);
  if (o.data.length !== expected) {
    throw new InvalidArgError(
      key,
      argIndex,
      `NDArray of shape [${(o.shape as number[]).join(', ')}] needs ${expected} elements, data has ${o.data.length}`,
    );
  }
  return o.data.byteLength + 8 * o.shape.length;
}

/**
 * Returns one cycle as task indices in data-flow order (first == last), or undefined when the graph is
 * acyclic. `fanOut` counts each task's distinct dependents.
 */
function findCycle(
  n: number,
  depOffsets: Uint32Array,
  deps: Uint32Array,
  fanOut: Uint32Array,
): number[] | undefined {
  // Dependents CSR, then Kahn's algorithm.
  const outOffsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) outOffsets[i + 1] = (outOffsets[i] as number) + (fanOut[i] as number);
  const cursor = outOffsets.slice(0, n);
  const dependents = new Uint32Array(deps.length);
  for (let i = 0; i < n; i++) {
    for (let e = depOffsets[i] as number, end = depOffsets[i + 1] as number; e < end; e++) {
      const d = deps[e] as number;
      dependents[cursor[d]!++] = i;
    }
  }
  const remaining = new Uint32Array(n);
  const queue = new Uint32Array(n);
  let tail = 0;
  for (let i = 0; i < n; i++) {
    remaining[i] = (depOffsets[i + 1] as number) - (depOffsets[i] as number);
    if (remaining[i] === 0) queue[tail++] = i;
  }
  for (let head = 0; head < tail; head++) {
    const v = queue[head] as number;
    for (let e = outOffsets[v] as number, end = outOffsets[v + 1] as number; e < end; e++) {
      const c = dependents[e] as number;
      if (--remaining[c]! === 0) queue[tail++] = c;
    }
  }
  if (tail === n) return undefined;

  // Every task with remaining > 0 has an unfinished dependency: walk those until a task repeats.
  let start = 0;
  while (remaining[start] === 0) start++;
  const stepOf = new Int32Array(n).fill(-1);
  const walk: number[] = [];
  let v = start;
  while (stepOf[v] === -1) {
    stepOf[v] = walk.length;
    walk.push(v);
    let next = -1;
    for (let e = depOffsets[v] as number, end = depOffsets[v + 1] as number; e < end; e++) {
      const d = deps[e] as number;
      if ((remaining[d] as number) > 0) {
        next = d;
        break;
      }
    }
    v = next;
  }
  // walk[stepOf[v]..] follows "needs" edges; reverse it into data-flow order and rotate to the earliest task.
  const needs = walk.slice(stepOf[v]);
  const flow = needs.reverse();
  let lo = 0;
  for (let k = 1; k < flow.length; k++) if ((flow[k] as number) < (flow[lo] as number)) lo = k;
  const rotated = [...flow.slice(lo), ...flow.slice(0, lo)];
  rotated.push(rotated[0] as number);
  return rotated;
}
