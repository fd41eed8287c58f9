// The message protocol between a MemoryStore (main thread) and its MemoryStoreClients (worker threads).
//
//   worker -> store   [[id, op, ...args], ...]         the Store calls a thread made in one tick
//   store -> worker   [[id, 1, value], ...]            results, batched per turn of the store's event loop
//                     [id, 0, error]                   a StorageError as JSON (rebuilt by storageErrorFromJSON)
//
// Both directions batch: a message costs a structured clone and a cross-thread wake-up (tens of µs),
// far more than a store operation, so calls issued together (an executor's parallel fetches, several
// executors sharing a thread) travel together. Order within a batch is preserved. `op` is an index into
// MEMORY_OPS, matched against a fixed list: nothing in a message is ever used as a method name.
//
// A structured clone is cheap for numbers, strings and arrays and dear for objects (every property name is
// written out) and for typed arrays (each becomes an ArrayBuffer of its own on the other side, ~1.7 µs).
// So calls and replies are flat arrays; a script's reply travels raw, as Redis sends it, and the calling
// thread parses it; and a byte string of at most INLINE_BYTES_MAX bytes (a scalar output, a carried
// input) travels as a one-byte JS string (see toWire). Larger values travel as Uint8Arrays: copied below
// SHARE_MIN_BYTES, shared (SharedArrayBuffer) from there on.
import type { MessagePort } from 'node:worker_threads';
import { StorageError, StorageErrorCode } from '../errors.js';
import type { RawReply, ScriptArg, ScriptName } from '../scripts/registry.js';
import type { Store } from '../store.js';

export const MEMORY_OPS = [
  'get',
  'getRequired',
  'mget',
  'setIfAbsent',
  'set',
  'exists',
  'delete',
  'runScript',
  'appendEvent',
  'readEvents',
  'deleteJob',
] as const;
export type MemoryOp = (typeof MEMORY_OPS)[number];
export const OP = Object.fromEntries(MEMORY_OPS.map((op, i) => [op, i])) as { [K in MemoryOp]: number };

/** A call on the wire: [id, op index, ...arguments as toWire made them]. */
export type MemoryRequest = unknown[];
/** A reply on the wire: [id, 1, value as toWire made it] or [id, 0, error as JSON]. */
export type MemoryReply =
  readonly [id: number, ok: 1, value: unknown] | readonly [id: number, ok: 0, error: Record<string, unknown>];

/** What the port serves: a Store that also hands out raw script replies. */
export interface ServedStore extends Store {
  /** `owned`: the byte arguments are the caller's to give away (fresh from a message), kept without a copy. */
  runScriptRaw(
    name: ScriptName,
    keys: readonly string[],
    args: readonly ScriptArg[],
    owned?: boolean,
  ): RawReply;
}

/** Byte strings up to this length travel as one-byte JS strings, cheaper to clone than a typed array. */
export const INLINE_BYTES_MAX = 48;
const BYTES_MARK = 1;
const ESCAPE_MARK = 2;
const ESCAPE_PREFIX = String.fromCharCode(ESCAPE_MARK);

/** Char codes of a byte string on the wire (the mark, then the bytes), reused between calls. */
const scratch: number[] = [];

function bytesToWire(bytes: Uint8Array): string {
  // One flat string from one call: building it char by char would make a chain of string pieces that the
  // structured clone has to flatten first.
  scratch.length = bytes.length + 1;
  scratch[0] = BYTES_MARK;
  for (let i = 0; i < bytes.length; i++) scratch[i + 1] = bytes[i]!;
  return String.fromCharCode.apply(null, scratch);
}

function bytesFromWire(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length - 1);
  for (let i = 0; i < bytes.length; i++) bytes[i] = s.charCodeAt(i + 1);
  return bytes;
}

/**
 * A value ready for the wire. A Uint8Array of at most INLINE_BYTES_MAX bytes becomes "\x01" followed by one
 * char per byte; a string that itself starts with \x01 or \x02 is escaped with a leading \x02; arrays are
 * encoded item by item (the array itself is returned when no item changes, as for a list of keys);
 * everything else (numbers, larger Uint8Arrays, objects) goes as is.
 */
export function toWire(value: unknown): unknown {
  if (typeof value === 'string') {
    const c = value.charCodeAt(0);
    return c === BYTES_MARK || c === ESCAPE_MARK ? ESCAPE_PREFIX + value : value;
  }
  if (value instanceof Uint8Array) return value.byteLength > INLINE_BYTES_MAX ? value : bytesToWire(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const wire = toWire(item);
      if (wire !== item) (out ??= value.slice())[i] = wire;
    }
    return out ?? value;
  }
  return value;
}

/** The value toWire was given. Arrays (fresh from a structured clone) are decoded in place. */
export function fromWire(value: unknown): unknown {
  if (typeof value === 'string') {
    const c = value.charCodeAt(0);
    return c === BYTES_MARK ? bytesFromWire(value) : c === ESCAPE_MARK ? value.slice(1) : value;
  }
  if (Array.isArray(value)) fromWireItems(value, 0);
  return value;
}

/** Decodes the items of a cloned array from `start` on, in place. */
export function fromWireItems(list: unknown[], start: number): void {
  for (let i = start; i < list.length; i++) {
    const item: unknown = list[i];
    if (typeof item === 'string' || Array.isArray(item)) list[i] = fromWire(item);
  }
}

/* eslint-disable @typescript-eslint/no-explicit-any -- arguments arrive untyped from the port and are passed on
   to the typed Store method of the same name, which validates them. */
function dispatch(store: ServedStore, op: MemoryOp | undefined, a: readonly any[]): Promise<unknown> {
  switch (op) {
    case 'get':
      return store.get(a[0]);
    case 'getRequired':
      return store.getRequired(a[0]);
    case 'mget':
      return store.mget(a[0]);
    case 'setIfAbsent':
      return store.setIfAbsent(a[0], a[1], a[2]);
    case 'set':
      return store.set(a[0], a[1], a[2]);
    case 'exists':
      return store.exists(a[0]);
    case 'delete':
      return store.delete(a[0]);
    case 'appendEvent':
      return store.appendEvent(a[0], a[1], a[2]);
    case 'readEvents':
      return store.readEvents(a[0], a[1], a[2]).then((events) => events.flatMap((e) => [e.id, e.data]));
    case 'deleteJob':
      return store.deleteJob(a[0], a[1]);
    default:
      return Promise.reject(
        new StorageError('CommandFailed', StorageErrorCode.CommandFailed, `unknown operation ${String(op)}`),
      );
  }
}
/* eslint-enable @typescript-eslint/no-explicit-any */

export function errorToJSON(err: unknown): Record<string, unknown> {
  if (err instanceof StorageError) return err.toJSON();
  const e = err as { name?: unknown; message?: unknown };
  return {
    name: String(e?.name ?? 'Error'),
    code: StorageErrorCode.CommandFailed,
    message: String(e?.message ?? err),
  };
}

/**
 * Serves the requests arriving on `port`, in order, and posts their replies in batches: every reply that
 * settles within one turn of the event loop goes out in one message. Scripts, the calls of the executor's
 * hot path, run synchronously and answer raw.
 */
export function servePort(store: ServedStore, port: MessagePort): void {
  let outbox: MemoryReply[] = [];
  const flush = (): void => {
    const replies = outbox;
    outbox = [];
    port.postMessage(replies);
  };
  const reply = (r: MemoryReply): void => {
    if (outbox.push(r) === 1) setImmediate(flush);
  };
  const fail = (id: number, err: unknown): void => reply([id, 0, errorToJSON(err)]);
  port.on('message', (requests: MemoryRequest[]) => {
    if (!Array.isArray(requests)) return;
    for (const request of requests) {
      if (!Array.isArray(request)) continue;
      const id = request[0] as number;
      const op = MEMORY_OPS[request[1] as number];
      fromWireItems(request, 2);
      if (op === 'runScript') {
        try {
          const raw = store.runScriptRaw(
            request[2] as ScriptName,
            request[3] as string[],
            request[4] as ScriptArg[],
            true,
          );
          reply([id, 1, toWire(raw)]);
        } catch (err) {
          fail(id, err);
        }
        continue;
      }
      let pending: Promise<unknown>;
      try {
        pending = dispatch(store, op, request.slice(2));
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.then(
        (value) => reply([id, 1, toWire(value)]),
        (err: unknown) => fail(id, err),
      );
    }
  });
}
