/**
 * Blocked arrays, after dask.array: a 1-D or 2-D array of f64 cut into a grid of blocks, each block either
 * the output of a task or a generator spec (see op-names.ts) that a consuming task regenerates. An array
 * carries the tasks that produce it; combining arrays merges their task maps, so any set of results can be
 * turned into one Graph with `toGraph`. Builders only build: nothing here computes.
 *
 * Keys are `<name>:<i>` (1-D) or `<name>:<i>.<j>` (2-D) with `<name>` = `<prefix>-<n>`, n a process-wide
 * counter, so arrays built independently never collide.
 */
import { ArrayArgError } from '../errors.js';
import type { Arg, Graph, Inline, Key, NDArray, Ref, Task } from '../spec/types.js';
import { isRef } from '../spec/types.js';
import { ARRAY_OPS, GENERATORS } from './op-names.js';

/** One block of an array: a task's output, or an inline generator spec `[kind, ...params]`. */
export type BlockSource = Ref | readonly Inline[];

export interface BlockedArray {
  /** Name shared by the keys of this array's block tasks. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Block sizes along each axis (dask's `chunks`); they sum to the shape. */
  readonly chunks: readonly (readonly number[])[];
  /** Block sources in row-major order over the block grid. */
  readonly blocks: readonly BlockSource[];
  /** Every task needed to compute the blocks (keyed, so merging is idempotent). */
  readonly tasks: ReadonlyMap<Key, Task>;
}

/** A single value computed by a task (a reduction's result, a model, ...), like dask.delayed. */
export interface Delayed {
  readonly ref: Ref;
  readonly tasks: ReadonlyMap<Key, Task>;
}

let nameCounter = 0;

/** A fresh array or task name `<prefix>-<n>`. */
export function freshName(prefix: string): string {
  nameCounter += 1;
  return `${prefix}-${nameCounter}`;
}

/** The key of block (i) or (i, j) of an array named `name`. */
export function blockKey(name: string, index: readonly number[]): Key {
  return `${name}:${index.join('.')}`;
}

/** Normalises dask-style chunks: a block size per axis (the last block may be smaller) or explicit sizes. */
export function normalizeChunks(
  shape: readonly number[],
  chunks: number | readonly number[] | readonly (readonly number[])[],
  what = 'chunks',
): number[][] {
  if (shape.length < 1 || shape.length > 2)
    throw new ArrayArgError(what, `blocked arrays have 1 or 2 dimensions, got shape [${shape.join(', ')}]`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 1)
      throw new ArrayArgError(what, `shape [${shape.join(', ')}] must hold positive integers`);
  }
  const perAxis: (number | readonly number[])[] =
    typeof chunks === 'number' ? shape.map(() => chunks) : [...chunks];
  if (perAxis.length !== shape.length)
    throw new ArrayArgError(what, `${perAxis.length} chunk specs for ${shape.length} dimensions`);
  return perAxis.map((c, axis) => {
    const extent = shape[axis]!;
    if (typeof c === 'number') {
      if (!Number.isSafeInteger(c) || c < 1)
        throw new ArrayArgError(what, `block size ${c} on axis ${axis} must be a positive integer`);
      const sizes: number[] = [];
      for (let at = 0; at < extent; at += c) sizes.push(Math.min(c, extent - at));
      return sizes;
    }
    const sizes = [...c];
    if (sizes.some((s) => !Number.isSafeInteger(s) || s < 1) || sizes.reduce((a, b) => a + b, 0) !== extent)
      throw new ArrayArgError(
        what,
        `block sizes [${sizes.join(', ')}] on axis ${axis} must sum to ${extent}`,
      );
    return sizes;
  });
}

/** Blocks per axis. */
export function blockGrid(a: Pick<BlockedArray, 'chunks'>): number[] {
  return a.chunks.map((c) => c.length);
}

/** The source of block (i) / (i, j). */
export function blockAt(a: BlockedArray, i: number, j = 0): BlockSource {
  const cols = a.chunks.length === 2 ? a.chunks[1]!.length : 1;
  return a.blocks[i * cols + j]!;
}

/** Row and column counts of block (i, j) (a 1-D block is a column: rows × 1). */
export function blockShape(a: Pick<BlockedArray, 'chunks'>, i: number, j = 0): [number, number] {
  return [a.chunks[0]![i]!, a.chunks.length === 2 ? a.chunks[1]![j]! : 1];
}

export function mergeTasks(...sources: (ReadonlyMap<Key, Task> | undefined)[]): Map<Key, Task> {
  const out = new Map<Key, Task>();
  for (const s of sources) if (s) for (const [k, t] of s) out.set(k, t);
  return out;
}

/** An array's block as a task argument (a Ref or the generator spec). */
export function blockArg(source: BlockSource): Arg {
  return source as Arg;
}

export function isGeneratorSpec(source: BlockSource): source is readonly Inline[] {
  return !isRef(source);
}

/** f64 bytes of a rows × cols block: the output-size hint builders record. */
export function f64Bytes(rows: number, cols: number): number {
  return rows * cols * 8;
}

/**
 * `random(shape, chunks, seed)` — uniforms in [0, 1), like `dask.array.random.random`. Block b (row-major
 * linear index) is Philox stream `seed`, block b: independent of how the array is later used. The blocks
 * are generator specs, regenerated by whichever task consumes them.
 */
export function random(
  shape: readonly number[],
  chunks: number | readonly number[] | readonly (readonly number[])[],
  seed: number,
  distribution: 'uniform' | 'normal' = 'uniform',
): BlockedArray {
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new ArrayArgError('random', `seed must be a non-negative safe integer, got ${seed}`);
  const c = normalizeChunks(shape, chunks, 'random');
  const kind = distribution === 'normal' ? GENERATORS.normal : GENERATORS.uniform;
  const blocks: BlockSource[] = [];
  const cols = c[1] ?? [1];
  for (let i = 0; i < c[0]!.length; i++)
    for (let j = 0; j < cols.length; j++) blocks.push([kind, seed, i * cols.length + j, c[0]![i]!, cols[j]!]);
  return { name: freshName(distribution), shape: [...shape], chunks: c, blocks, tasks: new Map() };
}

/**
 * `fromArray(x, chunks)` — a dense NDArray (f64, 1-D or 2-D) cut into blocks; each block becomes a leaf
 * task (`array.block` over the inline block) so the data enters the graph once.
 */
export function fromArray(
  x: NDArray,
  chunks: number | readonly number[] | readonly (readonly number[])[],
): BlockedArray {
  if (x.dtype !== 'f64' || !(x.data instanceof Float64Array))
    throw new ArrayArgError('fromArray', `blocked arrays hold f64 data, got ${x.dtype}`);
  const c = normalizeChunks(x.shape, chunks, 'fromArray');
  const name = freshName('array');
  const tasks = new Map<Key, Task>();
  const blocks: BlockSource[] = [];
  const totalCols = x.shape[1] ?? 1;
  const cols = c[1] ?? [1];
  let r0 = 0;
  for (let i = 0; i < c[0]!.length; i++) {
    const rows = c[0]![i]!;
    let c0 = 0;
    for (let j = 0; j < cols.length; j++) {
      const w = cols[j]!;
      const data = new Float64Array(rows * w);
      for (let r = 0; r < rows; r++)
        data.set(x.data.subarray((r0 + r) * totalCols + c0, (r0 + r) * totalCols + c0 + w), r * w);
      const block: NDArray = { dtype: 'f64', shape: x.shape.length === 2 ? [rows, w] : [rows], data };
      const key = blockKey(name, x.shape.length === 2 ? [i, j] : [i]);
      tasks.set(key, { key, op: ARRAY_OPS.block, args: [block], outputBytes: data.byteLength });
      blocks.push({ ref: key });
      c0 += w;
    }
    r0 += rows;
  }
  return { name, shape: [...x.shape], chunks: c, blocks, tasks };
}

/**
 * Turns generator blocks into tasks (`array.block(spec)`), so the array is computed once and stored or
 * returned like any other; blocks that already are tasks are kept.
 */
export function materialize(a: BlockedArray): BlockedArray {
  if (!a.blocks.some(isGeneratorSpec)) return a;
  const name = freshName(`${a.name.split('-')[0]}-block`);
  const tasks = mergeTasks(a.tasks);
  const grid = blockGrid(a);
  const blocks = a.blocks.map((source, b) => {
    if (!isGeneratorSpec(source)) return source;
    const index = grid.length === 2 ? [Math.floor(b / grid[1]!), b % grid[1]!] : [b];
    const key = blockKey(name, index);
    const [rows, cols] = blockShape(a, index[0]!, index[1] ?? 0);
    tasks.set(key, { key, op: ARRAY_OPS.block, args: [source as Inline], outputBytes: f64Bytes(rows, cols) });
    return { ref: key };
  });
  return { ...a, name, blocks, tasks };
}

/** A task's output as a Delayed value. */
export function delayedTask(task: Task, ...deps: (ReadonlyMap<Key, Task> | undefined)[]): Delayed {
  const tasks = mergeTasks(...deps);
  tasks.set(task.key, task);
  return { ref: { ref: task.key }, tasks };
}

/**
 * One Graph computing the given results and nothing else (like dask's culling: tasks no result depends
 * on are left out). Arrays with generator blocks are materialized first. Tasks keep the order in which
 * they were built, which is a topological order.
 */
export function toGraph(...results: (BlockedArray | Delayed)[]): Graph {
  const all = new Map<Key, Task>();
  const wanted: Key[] = [];
  for (const r of results) {
    if ('blocks' in r) {
      const m = materialize(r);
      for (const [k, t] of m.tasks) all.set(k, t);
      for (const b of m.blocks) wanted.push((b as Ref).ref);
    } else {
      for (const [k, t] of r.tasks) all.set(k, t);
      wanted.push(r.ref.ref);
    }
  }
  const needed = new Set<Key>();
  while (wanted.length > 0) {
    const key = wanted.pop()!;
    if (needed.has(key)) continue;
    const task = all.get(key);
    if (task === undefined) throw new ArrayArgError('toGraph', `no task computes '${key}'`);
    needed.add(key);
    for (const a of task.args) if (isRef(a) && !needed.has(a.ref)) wanted.push(a.ref);
  }
  return { tasks: [...all.values()].filter((t) => needed.has(t.key)) };
}
