/**
 * The standard op library: the ops people write by hand in graph files. Arithmetic ops work on numbers
 * and elementwise on typed arrays / NDArrays of equal shape (a number broadcasts against an array).
 * Array workloads add their own ops beside these.
 */

import { onAbort } from '../abort.js';
import { BadOpArgsError } from '../errors.js';
import { isNDArray, isTypedArray, type NDArray, type TypedArray } from '@wukong/graph';
import type { Value } from '../values.js';
import type { OpContext, OpDefinition } from './registry.js';

type Binary = (a: number, b: number) => number;

/** Folds `combine` over the arguments, elementwise when any argument is an array. */
function fold(op: string, args: readonly Value[], combine: Binary): Value {
  const terms = args.length === 1 && Array.isArray(args[0]) ? (args[0] as readonly Value[]) : args;
  if (terms.length === 0) throw new BadOpArgsError(op, 'needs at least one term');
  let acc: Value = terms[0]!;
  for (let i = 1; i < terms.length; i++) acc = combinePair(op, acc, terms[i]!, combine);
  return acc;
}

function arrayOf(op: string, v: Value): { data: TypedArray; shape: readonly number[] | null } | null {
  if (isNDArray(v)) return { data: v.data, shape: v.shape };
  if (isTypedArray(v)) return { data: v, shape: null };
  if (typeof v === 'number') return null;
  throw new BadOpArgsError(op, `expects numbers or numeric arrays, got ${describeType(v)}`);
}

function combinePair(op: string, a: Value, b: Value, combine: Binary): Value {
  const x = arrayOf(op, a);
  const y = arrayOf(op, b);
  if (x === null && y === null) return combine(a as number, b as number);
  const shapeSource = x ?? y!;
  const n = shapeSource.data.length;
  if (x && y) {
    if (x.data.length !== y.data.length || !sameShape(x.shape, y.shape)) {
      throw new BadOpArgsError(
        op,
        `shape mismatch: [${x.shape ?? x.data.length}] vs [${y.shape ?? y.data.length}]`,
      );
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = combine(x ? x.data[i]! : (a as number), y ? y.data[i]! : (b as number));
  }
  if (shapeSource.shape === null) return out;
  const result: NDArray = { dtype: 'f64', shape: [...shapeSource.shape], data: out };
  return result;
}

function sameShape(a: readonly number[] | null, b: readonly number[] | null): boolean {
  if (a === null || b === null) return true;
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function describeType(v: Value): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  return typeof v;
}

function numberArg(op: string, v: Value | undefined, what: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new BadOpArgsError(op, `${what} must be a finite number`);
  return v;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      unsubscribe();
      resolve();
    }, ms);
    const unsubscribe = onAbort(signal, () => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    });
  });
}

/** The error a `fail` task throws; its message is the task's first argument. */
export class DeliberateFailure extends Error {
  override readonly name = 'DeliberateFailure';
  readonly code = 'DELIBERATE_FAILURE';
}

export const standardOps: readonly OpDefinition[] = [
  {
    name: 'add',
    doc: 'add(x, y, ...) — sum of the terms; a single list argument sums its items. Elementwise on arrays.',
    minArgs: 1,
    maxArgs: Infinity,
    run: (args) => fold('add', args, (a, b) => a + b),
  },
  {
    name: 'sum',
    doc: 'sum(x, y, ...) — alias of add.',
    minArgs: 1,
    maxArgs: Infinity,
    run: (args) => fold('sum', args, (a, b) => a + b),
  },
  {
    name: 'mul',
    doc: 'mul(x, y, ...) — product of the terms. Elementwise on arrays.',
    minArgs: 1,
    maxArgs: Infinity,
    run: (args) => fold('mul', args, (a, b) => a * b),
  },
  {
    name: 'min',
    doc: 'min(x, y, ...) — smallest term. Elementwise on arrays.',
    minArgs: 1,
    maxArgs: Infinity,
    run: (args) => fold('min', args, Math.min),
  },
  {
    name: 'max',
    doc: 'max(x, y, ...) — largest term. Elementwise on arrays.',
    minArgs: 1,
    maxArgs: Infinity,
    run: (args) => fold('max', args, Math.max),
  },
  {
    name: 'mod',
    doc: 'mod(x, m) — x modulo m with the sign of m (floored). Elementwise on arrays.',
    minArgs: 2,
    maxArgs: 2,
    run: (args) =>
      fold('mod', args, (a, m) => {
        if (m === 0) throw new BadOpArgsError('mod', 'modulo by zero');
        return a - m * Math.floor(a / m);
      }),
  },
  {
    name: 'identity',
    doc: 'identity(x) — x itself (an alias of another task’s output).',
    minArgs: 1,
    maxArgs: 1,
    run: (args) => args[0]!,
  },
  {
    name: 'getitem',
    doc: 'getitem(list, i) — item i of a list output (negative i counts from the end).',
    minArgs: 2,
    maxArgs: 2,
    run: (args) => {
      const list = args[0];
      const i = numberArg('getitem', args[1], 'index');
      if (!Array.isArray(list))
        throw new BadOpArgsError(
          'getitem',
          `first argument must be a list, got ${describeType(list as Value)}`,
        );
      const at = i < 0 ? list.length + i : i;
      if (!Number.isInteger(at) || at < 0 || at >= list.length) {
        throw new BadOpArgsError('getitem', `index ${i} out of range for a list of ${list.length}`);
      }
      return list[at] as Value;
    },
  },
  {
    name: 'sleep',
    doc: 'sleep(ms, x, ...) — waits ms milliseconds, then returns the sum of the terms (ms itself when there are none).',
    minArgs: 1,
    maxArgs: Infinity,
    run: async (args, context: OpContext) => {
      const ms = numberArg('sleep', args[0], 'ms');
      if (ms < 0) throw new BadOpArgsError('sleep', 'ms must not be negative');
      await sleep(ms, context.signal);
      return args.length > 1 ? fold('sleep', args.slice(1), (a, b) => a + b) : ms;
    },
  },
  {
    name: 'fail',
    doc: 'fail(message?, ...) — always throws DeliberateFailure (for testing failure handling).',
    minArgs: 0,
    maxArgs: Infinity,
    run: (args, context) => {
      const message = typeof args[0] === 'string' ? args[0] : `task '${context.task}' failed deliberately`;
      throw new DeliberateFailure(message);
    },
  },
];
