// The message protocol between a MemoryStore (main thread) and its MemoryStoreClients (worker threads).
//
//   worker -> store   [{ id, op, args }, ...]          the Store calls a thread made in one tick
//   store -> worker   [{ id, ok: true, value }, ...]   results, batched per turn of the store's event loop
//                     { id, ok: false, error }         a StorageError as JSON (rebuilt by storageErrorFromJSON)
//
// Both directions batch: a message costs a structured clone and a cross-thread wake-up (tens of µs),
// far more than a store operation, so calls issued together (an executor's parallel fetches, several
// executors sharing a thread) travel together. Order within a batch is preserved.
//
// Byte values travel as Uint8Array views; when their buffer is a SharedArrayBuffer the structured clone of
// postMessage shares it instead of copying. `op` is matched against a fixed list: nothing in a message is
// ever used as a method name.
import type { MessagePort } from 'node:worker_threads';
import { StorageError, StorageErrorCode } from '../errors.js';
import type { Store } from '../store.js';

export type MemoryOp =
  | 'get'
  | 'getRequired'
  | 'mget'
  | 'setIfAbsent'
  | 'set'
  | 'exists'
  | 'delete'
  | 'runScript'
  | 'appendEvent'
  | 'readEvents'
  | 'deleteJob';

export interface MemoryRequest {
  readonly id: number;
  readonly op: MemoryOp;
  readonly args: readonly unknown[];
}

export type MemoryReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly error: Record<string, unknown> };

/* eslint-disable @typescript-eslint/no-explicit-any -- arguments arrive untyped from the port and are passed on
   to the typed Store method of the same name, which validates them. */
function dispatch(store: Store, op: MemoryOp, a: readonly any[]): Promise<unknown> {
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
    case 'runScript':
      return store.runScript(a[0], a[1], a[2]);
    case 'appendEvent':
      return store.appendEvent(a[0], a[1], a[2]);
    case 'readEvents':
      return store.readEvents(a[0], a[1], a[2]);
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
 * settles within one turn of the event loop goes out in one message.
 */
export function servePort(store: Store, port: MessagePort): void {
  let outbox: MemoryReply[] = [];
  const flush = (): void => {
    const replies = outbox;
    outbox = [];
    port.postMessage(replies);
  };
  const reply = (r: MemoryReply): void => {
    if (outbox.push(r) === 1) setImmediate(flush);
  };
  port.on('message', (requests: MemoryRequest[]) => {
    if (!Array.isArray(requests)) return;
    for (const request of requests) {
      let pending: Promise<unknown>;
      try {
        pending = dispatch(store, request.op, Array.isArray(request.args) ? request.args : []);
      } catch (err) {
        pending = Promise.reject(err);
      }
      pending.then(
        (value) => reply({ id: request.id, ok: true, value }),
        (err: unknown) => reply({ id: request.id, ok: false, error: errorToJSON(err) }),
      );
    }
  });
}
