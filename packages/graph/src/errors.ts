/**
 * Typed errors of @wukong/graph. Every error has a stable `name` and `code` (plain string properties, so they
 * survive JSON, structured clone and Lambda payloads via {@link GraphError.toJSON}) and, where one exists, the
 * offending task `key`; the message names it too. A graph that fails validation starts nothing.
 */

export type GraphErrorCode =
  | 'GRAPH_FORMAT'
  | 'GRAPH_FORBIDDEN_KEY'
  | 'GRAPH_INVALID_ARG'
  | 'GRAPH_DUPLICATE_KEY'
  | 'GRAPH_DANGLING_REF'
  | 'GRAPH_CYCLE'
  | 'GRAPH_UNKNOWN_OP'
  | 'GRAPH_ARITY'
  | 'GRAPH_LIMIT_EXCEEDED'
  | 'GRAPH_CODEC'
  | 'GRAPH_ARRAY_ARG';

/** The serialisable form of a graph error. */
export interface GraphErrorJson {
  readonly name: string;
  readonly code: GraphErrorCode;
  readonly message: string;
  readonly key?: string;
}

/** Base class of every error thrown by this package. */
export abstract class GraphError extends Error {
  abstract override readonly name: string;
  abstract readonly code: GraphErrorCode;
  /** The task key at fault, when there is one. */
  readonly key: string | undefined;

  constructor(message: string, key?: string) {
    super(message);
    this.key = key;
  }

  toJSON(): GraphErrorJson {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.key === undefined ? {} : { key: this.key }),
    };
  }
}

/**
 * Thrown when input does not have the shape of a graph: not valid JSON, not an object with a `tasks` array, a
 * task whose key/op/args have the wrong type, or an unknown field in the JSON file format.
 */
export class GraphFormatError extends GraphError {
  override readonly name = 'GraphFormatError';
  readonly code = 'GRAPH_FORMAT';
}

/**
 * Thrown by {@link parseGraphJson} when any object in the input has a `__proto__`, `constructor` or
 * `prototype` key. `path` locates it (e.g. `tasks[3].args[0].ndarray`).
 */
export class ForbiddenKeyError extends GraphError {
  override readonly name = 'ForbiddenKeyError';
  readonly code = 'GRAPH_FORBIDDEN_KEY';
  constructor(
    readonly property: string,
    readonly path: string,
    key?: string,
  ) {
    super(
      `forbidden property "${property}" at ${path}${key === undefined ? '' : ` (task "${key}")`}: ` +
        `__proto__, constructor and prototype are never accepted`,
      key,
    );
  }
}

/**
 * Thrown when an argument is neither a Ref nor a valid inline value: a malformed NDArray (unknown dtype, bad
 * shape, data of the wrong type or length), an unsupported object, a Ref nested inside an inline array, or
 * inline arrays nested deeper than `maxInlineDepth`.
 */
export class InvalidArgError extends GraphError {
  override readonly name = 'InvalidArgError';
  readonly code = 'GRAPH_INVALID_ARG';
  constructor(
    key: string,
    readonly argIndex: number,
    reason: string,
  ) {
    super(`task "${key}" arg ${argIndex}: ${reason}`, key);
  }
}

/** Thrown when two tasks share a key. */
export class DuplicateKeyError extends GraphError {
  override readonly name = 'DuplicateKeyError';
  readonly code = 'GRAPH_DUPLICATE_KEY';
  constructor(key: string) {
    super(`duplicate task key "${key}"`, key);
  }
}

/** Thrown when a task references a key that no task in the graph has. `key` is the referencing task. */
export class DanglingRefError extends GraphError {
  override readonly name = 'DanglingRefError';
  readonly code = 'GRAPH_DANGLING_REF';
  constructor(
    key: string,
    readonly ref: string,
  ) {
    super(`task "${key}" references "${ref}", which is not a task of this graph`, key);
  }
}

/** How many keys of a cycle path a message prints before eliding the middle. */
const CYCLE_MESSAGE_KEYS = 16;

/**
 * Thrown when the graph has a cycle. `cycle` is the full path in data-flow order (each task's output feeds the
 * next), starting and ending at the same key, rotated to start at the cycle's earliest task in the graph.
 * The message prints the path (eliding the middle of very long cycles).
 */
export class CycleError extends GraphError {
  override readonly name = 'CycleError';
  readonly code = 'GRAPH_CYCLE';
  constructor(readonly cycle: readonly string[]) {
    const shown =
      cycle.length <= CYCLE_MESSAGE_KEYS
        ? cycle.map((k) => JSON.stringify(k)).join(' -> ')
        : [
            ...cycle.slice(0, CYCLE_MESSAGE_KEYS / 2).map((k) => JSON.stringify(k)),
            `... (${cycle.length - CYCLE_MESSAGE_KEYS} more) ...`,
            ...cycle.slice(-CYCLE_MESSAGE_KEYS / 2).map((k) => JSON.stringify(k)),
          ].join(' -> ');
    super(`cycle through task ${JSON.stringify(cycle[0])}: ${shown}`, cycle[0]);
  }
}

/** Thrown when a task names an op the op manifest does not know. */
export class UnknownOpError extends GraphError {
  override readonly name = 'UnknownOpError';
  readonly code = 'GRAPH_UNKNOWN_OP';
  constructor(
    key: string,
    readonly op: string,
  ) {
    super(`task "${key}" uses unknown op "${op}"`, key);
  }
}

/** Thrown when the op manifest gives arity bounds for an op and a task's arg count is outside them. */
export class ArityError extends GraphError {
  override readonly name = 'ArityError';
  readonly code = 'GRAPH_ARITY';
  constructor(
    key: string,
    readonly op: string,
    readonly argCount: number,
    readonly min: number,
    readonly max: number,
  ) {
    super(
      `task "${key}": op "${op}" takes ${min === max ? `${min}` : `${min}..${max}`} args, got ${argCount}`,
      key,
    );
  }
}

/**
 * Thrown when a graph exceeds one of the configured {@link GraphLimits}. `limit` names the option;
 * `key` the task at fault (absent for `maxTasks`).
 */
export class GraphLimitError extends GraphError {
  override readonly name = 'GraphLimitError';
  readonly code = 'GRAPH_LIMIT_EXCEEDED';
  constructor(
    readonly limit: 'maxTasks' | 'maxFanIn' | 'maxFanOut' | 'maxInlineBytes' | 'maxInlineDepth',
    readonly value: number,
    readonly max: number,
    key?: string,
  ) {
    super(`${key === undefined ? 'graph' : `task "${key}"`} exceeds ${limit}: ${value} > ${max}`, key);
  }
}

/** Thrown by {@link decodeGraph} and the frame/inline decoders when bytes are not a valid encoding. */
export class GraphCodecError extends GraphError {
  override readonly name = 'GraphCodecError';
  readonly code = 'GRAPH_CODEC';
}

/**
 * Thrown by the blocked-array and ML builders when an argument cannot describe a valid array computation
 * (mismatched shapes or blocks, a bad chunk size, seed or option). `builder` names the function at fault.
 */
export class ArrayArgError extends GraphError {
  override readonly name = 'ArrayArgError';
  readonly code = 'GRAPH_ARRAY_ARG';
  constructor(
    readonly builder: string,
    reason: string,
  ) {
    super(`${builder}: ${reason}`);
  }
}
