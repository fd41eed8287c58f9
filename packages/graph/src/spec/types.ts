/**
 * The task-graph spec (DESIGN.md §3): the shapes every other package builds against.
 *
 * A graph is a flat list of tasks. A task names an op (looked up in a registry compiled into the executor,
 * never shipped as code) and a list of arguments; an argument is either a reference to another task's output
 * or an inline value. The dependencies of a task are exactly the distinct keys it references at the top level
 * of its args, in first-appearance order (see {@link taskDependencies}).
 */

/** A task's name: unique within a graph. */
export type Key = string;

/** Element types of tensors. Little-endian, row-major. */
export type DType = 'f64' | 'f32' | 'i32' | 'u32' | 'i16' | 'u16' | 'i8' | 'u8';

export type TypedArray =
  Float64Array | Float32Array | Int32Array | Uint32Array | Int16Array | Uint16Array | Int8Array | Uint8Array;

/** A dense row-major tensor. `data.length` equals the product of `shape`. */
export interface NDArray {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

/** A reference to another task's output. Refs appear only at the top level of a task's args. */
export interface Ref {
  readonly ref: Key;
}

/** A value carried inside the graph itself. Plain objects other than NDArray are not inline values. */
export type Inline = number | string | boolean | null | TypedArray | NDArray | readonly Inline[];

export type Arg = Ref | Inline;

export interface Task {
  readonly key: Key;
  readonly op: string;
  readonly args: readonly Arg[];
  /** Size of the task's output in bytes, when the builder knows it. Used as a scheduling hint only. */
  readonly outputBytes?: number;
}

export interface Graph {
  readonly tasks: readonly Task[];
}

/** True when `a` is a reference to another task's output. */
export function isRef(a: unknown): a is Ref {
  return typeof a === 'object' && a !== null && typeof (a as { ref?: unknown }).ref === 'string';
}

/** True when `v` has the shape of an NDArray: a known dtype, a shape array and a typed array of that dtype. */
export function isNDArray(v: unknown): v is NDArray {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || ArrayBuffer.isView(v)) return false;
  const o = v as { dtype?: unknown; shape?: unknown; data?: unknown };
  return (
    typeof o.dtype === 'string' &&
    isDType(o.dtype) &&
    Array.isArray(o.shape) &&
    isTypedArray(o.data) &&
    dtypeOf(o.data) === o.dtype
  );
}

/** A typed-array constructor per dtype. */
export const DTYPE_ARRAYS = {
  f64: Float64Array,
  f32: Float32Array,
  i32: Int32Array,
  u32: Uint32Array,
  i16: Int16Array,
  u16: Uint16Array,
  i8: Int8Array,
  u8: Uint8Array,
} as const;

export const DTYPES: readonly DType[] = Object.freeze(Object.keys(DTYPE_ARRAYS) as DType[]);

export function isDType(s: string): s is DType {
  return Object.prototype.hasOwnProperty.call(DTYPE_ARRAYS, s);
}

/** True for the eight typed-array kinds of {@link TypedArray}; false for DataView, BigInt and Clamped arrays. */
export function isTypedArray(v: unknown): v is TypedArray {
  return ArrayBuffer.isView(v) && dtypeOf(v) !== undefined;
}

/** The dtype of a typed array, or undefined for kinds the spec does not carry. */
export function dtypeOf(v: ArrayBufferView): DType | undefined {
  switch (v.constructor) {
    case Float64Array:
      return 'f64';
    case Float32Array:
      return 'f32';
    case Int32Array:
      return 'i32';
    case Uint32Array:
      return 'u32';
    case Int16Array:
      return 'i16';
    case Uint16Array:
      return 'u16';
    case Int8Array:
      return 'i8';
    case Uint8Array:
      return 'u8';
    default:
      return undefined;
  }
}

/** Bytes per element of a dtype. */
export function dtypeBytes(dtype: DType): number {
  return DTYPE_ARRAYS[dtype].BYTES_PER_ELEMENT;
}

/** Element count of a shape (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/**
 * The dependencies of a task: its distinct top-level Ref keys in first-appearance order.
 * Refs nested inside inline arrays are not dependencies (validation rejects them).
 */
export function taskDependencies(task: Task): Key[] {
  const out: Key[] = [];
  for (const a of task.args) {
    if (isRef(a) && !out.includes(a.ref)) out.push(a.ref);
  }
  return out;
}
