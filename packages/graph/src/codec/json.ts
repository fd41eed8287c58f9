/**
 * The hand-writable JSON graph file format (documented with examples in the package README):
 *
 *   { "format": "wukong-graph", "version": 1, "description": "...",
 *     "tasks": [ { "key": "x", "op": "add", "args": [1, 2], "outputBytes": 8 },
 *                { "key": "y", "op": "mul", "args": [{ "ref": "x" }, 3] } ] }
 *
 * Only "tasks" is required; "args" defaults to []. An arg is a JSON number, string, boolean, null or array
 * (inline values), `{ "ref": "<key>" }` (top level only), or a tensor:
 *   { "ndarray":    { "dtype": "f64", "shape": [2, 2], "data": [1, 2, 3, 4] } }      row-major, flat data
 *   { "ndarray":    { "dtype": "f32", "shape": [3], "base64": "<little-endian bytes>" } }
 *   { "typedarray": { "dtype": "i32", "data": [1, 2, 3] } }                           (or "base64")
 *
 * Parsing is strict: unknown fields are errors (a typo like "arg" must not silently drop arguments), and any
 * object with a `__proto__`, `constructor` or `prototype` key is rejected with ForbiddenKeyError. Parsing
 * checks the format only; run validateGraph for keys, refs, ops, limits and cycles.
 */
import { ForbiddenKeyError, GraphFormatError, InvalidArgError } from '../errors.js';
import {
  DTYPE_ARRAYS,
  dtypeOf,
  isDType,
  isRef,
  isTypedArray,
  shapeSize,
  type Arg,
  type Graph,
  type Inline,
  type NDArray,
  type Task,
  type TypedArray,
} from '../spec/types.js';

export const GRAPH_JSON_FORMAT = 'wukong-graph';
export const GRAPH_JSON_VERSION = 1;

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const ROOT_FIELDS = new Set(['format', 'version', 'description', 'tasks']);
const TASK_FIELDS = new Set(['key', 'op', 'args', 'outputBytes']);
const NDARRAY_FIELDS = new Set(['dtype', 'shape', 'data', 'base64']);
const TYPEDARRAY_FIELDS = new Set(['dtype', 'data', 'base64']);
/** Deepest nesting of inline arrays the parser follows (validateGraph applies the configured bound). */
const MAX_JSON_INLINE_DEPTH = 100;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type JsonObject = Record<string, unknown>;

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Checks an object's own keys: forbidden keys throw ForbiddenKeyError, keys outside `allowed` throw
 * `unknownField(name)`.
 */
function checkFields(
  o: JsonObject,
  allowed: ReadonlySet<string>,
  path: string,
  key: string | undefined,
  unknownField: (name: string) => Error,
): void {
  for (const name of Object.keys(o)) {
    if (FORBIDDEN_KEYS.has(name)) throw new ForbiddenKeyError(name, path, key);
    if (!allowed.has(name)) throw unknownField(name);
  }
}

/** Parses the JSON graph file format into a Graph. Throws GraphFormatError, ForbiddenKeyError, InvalidArgError. */
export function parseGraphJson(text: string): Graph {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (e) {
    throw new GraphFormatError(`graph file is not valid JSON: ${(e as Error).message}`);
  }
  if (!isPlainObject(root)) throw new GraphFormatError('a graph file is a JSON object with a "tasks" array');
  checkFields(
    root,
    ROOT_FIELDS,
    '(root)',
    undefined,
    (f) => new GraphFormatError(`unknown top-level field "${f}"`),
  );
  if (root.format !== undefined && root.format !== GRAPH_JSON_FORMAT) {
    throw new GraphFormatError(`"format" must be "${GRAPH_JSON_FORMAT}", got ${JSON.stringify(root.format)}`);
  }
  if (root.version !== undefined && root.version !== GRAPH_JSON_VERSION) {
    throw new GraphFormatError(`unsupported graph file version ${JSON.stringify(root.version)}`);
  }
  if (!Array.isArray(root.tasks)) throw new GraphFormatError('a graph file needs a "tasks" array');
  const rawTasks = root.tasks as unknown[];
  const tasks = new Array<Task>(rawTasks.length);
  for (let i = 0; i < rawTasks.length; i++) tasks[i] = parseTask(rawTasks[i], i);
  return { tasks };
}

function parseTask(raw: unknown, i: number): Task {
  const path = `tasks[${i}]`;
  if (!isPlainObject(raw)) throw new GraphFormatError(`${path} is not an object`);
  const key = typeof raw.key === 'string' ? raw.key : undefined;
  checkFields(
    raw,
    TASK_FIELDS,
    path,
    key,
    (f) => new GraphFormatError(`${describe(path, key)}: unknown field "${f}"`, key),
  );
  if (key === undefined || key.length === 0) {
    throw new GraphFormatError(`${path}: "key" must be a non-empty string`);
  }
  if (typeof raw.op !== 'string' || raw.op.length === 0) {
    throw new GraphFormatError(`${describe(path, key)}: "op" must be a non-empty string`, key);
  }
  const rawArgs = raw.args ?? [];
  if (!Array.isArray(rawArgs))
    throw new GraphFormatError(`${describe(path, key)}: "args" must be an array`, key);
  const args = new Array<Arg>(rawArgs.length);
  for (let j = 0; j < rawArgs.length; j++) {
    args[j] = parseArg(rawArgs[j], `${path}.args[${j}]`, key, j);
  }
  if (raw.outputBytes === undefined) return { key, op: raw.op, args };
  if (typeof raw.outputBytes !== 'number' || raw.outputBytes < 0) {
    throw new GraphFormatError(`${describe(path, key)}: "outputBytes" must be a non-negative number`, key);
  }
  return { key, op: raw.op, args, outputBytes: raw.outputBytes };
}

function describe(path: string, key: string | undefined): string {
  return key === undefined ? path : `${path} (task "${key}")`;
}

function parseArg(raw: unknown, path: string, key: string, argIndex: number): Arg {
  if (isPlainObject(raw) && 'ref' in raw) {
    checkFields(
      raw,
      new Set(['ref']),
      path,
      key,
      (f) => new InvalidArgError(key, argIndex, `a ref has no field "${f}"`),
    );
    if (typeof raw.ref !== 'string')
      throw new InvalidArgError(key, argIndex, '"ref" must be a task key string');
    return { ref: raw.ref };
  }
  return parseInline(raw, path, key, argIndex, 1);
}

function parseInline(raw: unknown, path: string, key: string, argIndex: number, depth: number): Inline {
  if (typeof raw !== 'object' || raw === null) return raw as Inline;
  if (Array.isArray(raw)) {
    if (depth > MAX_JSON_INLINE_DEPTH) {
      throw new InvalidArgError(key, argIndex, `inline arrays nested deeper than ${MAX_JSON_INLINE_DEPTH}`);
    }
    let out: Inline[] | undefined;
    for (let k = 0; k < raw.length; k++) {
      const item: unknown = raw[k];
      if (typeof item !== 'object' || item === null) continue;
      const parsed = parseInline(item, `${path}[${k}]`, key, argIndex, depth + 1);
      if (parsed !== item) (out ??= [...(raw as Inline[])])[k] = parsed;
    }
    return out ?? (raw as Inline[]);
  }
  const o = raw as JsonObject;
  checkFields(
    o,
    new Set(['ndarray', 'typedarray', 'ref']),
    path,
    key,
    (f) =>
      new InvalidArgError(
        key,
        argIndex,
        `unknown object field "${f}" (expected "ref", "ndarray" or "typedarray")`,
      ),
  );
  if ('ref' in o) throw new InvalidArgError(key, argIndex, 'refs appear only at the top level of args');
  const fields = Object.keys(o);
  if (fields.length !== 1) throw new InvalidArgError(key, argIndex, 'a tensor object has exactly one field');
  if ('ndarray' in o) {
    const spec = o.ndarray;
    const where = `${path}.ndarray`;
    if (!isPlainObject(spec)) throw new InvalidArgError(key, argIndex, '"ndarray" must be an object');
    checkFields(
      spec,
      NDARRAY_FIELDS,
      where,
      key,
      (f) => new InvalidArgError(key, argIndex, `ndarray has no field "${f}"`),
    );
    const shape = spec.shape;
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
    ) {
      throw new InvalidArgError(key, argIndex, 'ndarray "shape" must be an array of non-negative integers');
    }
    const data = parseTensorData(spec, key, argIndex);
    const expected = shapeSize(shape as number[]);
    if (data.length !== expected) {
      throw new InvalidArgError(
        key,
        argIndex,
        `ndarray of shape [${(shape as number[]).join(', ')}] needs ${expected} elements, got ${data.length}`,
      );
    }
    return { dtype: dtypeOf(data), shape: shape as number[], data } as NDArray;
  }
  const spec = o.typedarray;
  if (!isPlainObject(spec)) throw new InvalidArgError(key, argIndex, '"typedarray" must be an object');
  checkFields(
    spec,
    TYPEDARRAY_FIELDS,
    `${path}.typedarray`,
    key,
    (f) => new InvalidArgError(key, argIndex, `typedarray has no field "${f}"`),
  );
  return parseTensorData(spec, key, argIndex);
}

function parseTensorData(spec: JsonObject, key: string, argIndex: number): TypedArray {
  const dtype = spec.dtype;
  if (typeof dtype !== 'string' || !isDType(dtype)) {
    throw new InvalidArgError(key, argIndex, `unknown dtype ${JSON.stringify(dtype)}`);
  }
  const ctor = DTYPE_ARRAYS[dtype];
  if ((spec.data === undefined) === (spec.base64 === undefined)) {
    throw new InvalidArgError(key, argIndex, 'a tensor has exactly one of "data" and "base64"');
  }
  if (spec.base64 !== undefined) {
    const b64 = spec.base64;
    if (typeof b64 !== 'string' || b64.length % 4 !== 0 || !BASE64.test(b64)) {
      throw new InvalidArgError(key, argIndex, '"base64" is not valid base64');
    }
    const bytes = Buffer.from(b64, 'base64');
    if (bytes.length % ctor.BYTES_PER_ELEMENT !== 0) {
      throw new InvalidArgError(
        key,
        argIndex,
        `${bytes.length} bytes is not a whole number of ${dtype} elements`,
      );
    }
    const out = new ctor(bytes.length / ctor.BYTES_PER_ELEMENT);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const data = spec.data;
  if (!Array.isArray(data))
    throw new InvalidArgError(key, argIndex, '"data" must be a flat array of numbers');
  const out = new ctor(data.length);
  const exact = dtype !== 'f32';
  for (let k = 0; k < data.length; k++) {
    const x: unknown = data[k];
    if (typeof x !== 'number') throw new InvalidArgError(key, argIndex, `data[${k}] is not a number`);
    out[k] = x;
    if (exact && out[k] !== x) {
      throw new InvalidArgError(key, argIndex, `data[${k}] = ${x} does not fit dtype ${dtype}`);
    }
  }
  return out;
}

/**
 * Writes a graph in the JSON file format: one task per line, tensors as base64 (exact, compact).
 * Throws GraphFormatError for values JSON cannot carry (NaN, ±Infinity): use the binary codec for those.
 */
export function graphToJson(graph: Graph): string {
  const lines = graph.tasks.map((t) => {
    const args = t.args.map((a, j) => (isRef(a) ? { ref: a.ref } : inlineToJson(a, t.key, j)));
    const task: JsonObject = { key: t.key, op: t.op, args };
    if (t.outputBytes !== undefined) task.outputBytes = t.outputBytes;
    return `    ${JSON.stringify(task)}`;
  });
  return (
    `{\n  "format": "${GRAPH_JSON_FORMAT}",\n  "version": ${GRAPH_JSON_VERSION},\n  "tasks": [\n` +
    `${lines.join(',\n')}${lines.length > 0 ? '\n' : ''}  ]\n}\n`
  );
}

function tensorBase64(t: TypedArray): string {
  return Buffer.from(t.buffer, t.byteOffset, t.byteLength).toString('base64');
}

function inlineToJson(v: Inline, key: string, argIndex: number): unknown {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) {
      throw new GraphFormatError(
        `task "${key}" arg ${argIndex}: JSON cannot carry ${v}; use the binary codec`,
        key,
      );
    }
    return v;
  }
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) return (v as readonly Inline[]).map((x) => inlineToJson(x, key, argIndex));
  if (isTypedArray(v)) return { typedarray: { dtype: dtypeOf(v), base64: tensorBase64(v) } };
  const nd = v as NDArray;
  return { ndarray: { dtype: nd.dtype, shape: [...nd.shape], base64: tensorBase64(nd.data) } };
}
