// MemoryStoreClient: the Store a worker thread uses to reach the MemoryStore of the main thread.
//
// Every call becomes one request on the MessagePort (protocol.ts). Values to write are made
// SharedArrayBuffer-backed here, in the writer's thread (a value that already is one is sent as is, so an
// op that computes straight into shared memory writes with no copy at all); the store keeps that very
// memory and hands views of it to readers. Errors come back as the same typed classes. The port keeps the
// worker alive only while requests are in flight.
import type { MessagePort } from 'node:worker_threads';
import { StoreClosed, storageErrorFromJSON } from '../errors.js';
import type { TaskRef } from '../keys.js';
import type { ScriptArg, ScriptName, ScriptResult } from '../scripts/registry.js';
import type { AppendEventOptions, ReadEventsOptions, Store, StreamEvent } from '../store.js';
import type { MemoryOp, MemoryReply, MemoryRequest } from './protocol.js';
import { toStoredBytes } from './shared-bytes.js';

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: Error) => void;
}

export class MemoryStoreClient implements Store {
  readonly kind = 'memory' as const;
  readonly #port: MessagePort;
  readonly #pending = new Map<number, Pending>();
  #nextId = 1;
  #outbox: MemoryRequest[] = [];
  #closed = false;

  constructor(port: MessagePort) {
    this.#port = port;
    port.on('message', (replies: MemoryReply[]) => this.#settleAll(replies));
    port.on('close', () => this.#failAll());
    port.unref();
  }

  #settleAll(replies: MemoryReply[]): void {
    for (const reply of replies) this.#settle(reply);
  }

  #settle(reply: MemoryReply): void {
    const pending = this.#pending.get(reply.id);
    if (!pending) return;
    this.#pending.delete(reply.id);
    if (this.#pending.size === 0) this.#port.unref();
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(storageErrorFromJSON(reply.error));
  }

  #failAll(): void {
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.reject(new StoreClosed('memory'));
    this.#pending.clear();
  }

  #call<T>(op: MemoryOp, args: unknown[]): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosed('memory'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      if (this.#pending.size === 0) this.#port.ref();
      this.#pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      // Calls made in the same tick travel in one message (see protocol.ts).
      if (this.#outbox.push({ id, op, args }) === 1) queueMicrotask(this.#flush);
    });
  }

  readonly #flush = (): void => {
    const requests = this.#outbox;
    this.#outbox = [];
    if (!this.#closed) this.#port.postMessage(requests);
  };

  get(key: string): Promise<Uint8Array | null> {
    return this.#call('get', [key]);
  }
  getRequired(key: string): Promise<Uint8Array> {
    return this.#call('getRequired', [key]);
  }
  mget(keys: readonly string[]): Promise<(Uint8Array | null)[]> {
    return this.#call('mget', [keys]);
  }
  setIfAbsent(key: string, value: Uint8Array, ttlMs: number): Promise<boolean> {
    return this.#call('setIfAbsent', [key, toStoredBytes(value, false), ttlMs]);
  }
  set(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    return this.#call('set', [key, toStoredBytes(value, false), ttlMs]);
  }
  exists(key: string): Promise<boolean> {
    return this.#call('exists', [key]);
  }
  delete(keys: readonly string[]): Promise<number> {
    return this.#call('delete', [keys]);
  }
  runScript<N extends ScriptName>(
    name: N,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<ScriptResult<N>> {
    const shared = args.map((a) => (a instanceof Uint8Array ? toStoredBytes(a, false) : a));
    return this.#call('runScript', [name, keys, shared]);
  }
  appendEvent(job: string, event: Uint8Array, opts?: AppendEventOptions): Promise<string> {
    return this.#call('appendEvent', [job, event, opts]);
  }
  readEvents(job: string, afterId: string, opts: ReadEventsOptions): Promise<StreamEvent[]> {
    return this.#call('readEvents', [job, afterId, opts]);
  }
  deleteJob(job: string, taskKeys?: readonly TaskRef[]): Promise<void> {
    return this.#call('deleteJob', [job, taskKeys]);
  }

  /** Closes this thread's port; the MemoryStore itself stays open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#failAll();
    this.#port.close();
  }
}

/** In a worker thread: the Store behind a port made by `MemoryStore.connectPort()` in the main thread. */
export function connectMemoryStore(port: MessagePort): Store {
  return new MemoryStoreClient(port);
}
