// MemoryStoreClient: the Store a worker thread uses to reach the MemoryStore of the main thread.
//
// Every call becomes one request on the MessagePort (protocol.ts). Large values to write are made
// SharedArrayBuffer-backed here, in the writer's thread (a value that already is one is sent as is, so an
// op that computes straight into shared memory writes with no copy at all); the store keeps that very
// memory and hands views of it to readers. Errors come back as the same typed classes. The port keeps the
// worker alive only while requests are in flight.
import type { MessagePort } from 'node:worker_threads';
import { StoreClosed, storageErrorFromJSON } from '../errors.js';
import type { TaskRef } from '../keys.js';
import { parseReply, type ScriptArg, type ScriptName, type ScriptResult } from '../scripts/registry.js';
import type { AppendEventOptions, ReadEventsOptions, Store, StreamEvent } from '../store.js';
import {
  INLINE_BYTES_MAX,
  OP,
  fromWire,
  toWire,
  type MemoryOp,
  type MemoryReply,
  type MemoryRequest,
} from './protocol.js';
import { toStoredBytes } from './shared-bytes.js';

class Pending {
  constructor(
    readonly resolve: (value: unknown) => void,
    readonly reject: (err: Error) => void,
    /** A script call: its raw reply is parsed here, in the calling thread (key names it in errors). */
    readonly script: ScriptName | undefined,
    readonly key: string,
  ) {}
}

/** A value to send: small ones become strings on the wire (a copy), others a copy the caller cannot touch. */
function outgoing(value: Uint8Array): Uint8Array {
  return value.byteLength <= INLINE_BYTES_MAX ? value : toStoredBytes(value, false);
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
    const id = reply[0];
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#port.unref();
    if (reply[1] === 0) {
      pending.reject(storageErrorFromJSON(reply[2]));
      return;
    }
    const value = fromWire(reply[2]);
    if (pending.script === undefined) {
      pending.resolve(value);
      return;
    }
    try {
      pending.resolve(parseReply(pending.script, pending.key, value));
    } catch (err) {
      pending.reject(err as Error);
    }
  }

  #failAll(): void {
    this.#closed = true;
    for (const pending of this.#pending.values()) pending.reject(new StoreClosed('memory'));
    this.#pending.clear();
  }

  #call<T>(op: MemoryOp, args: unknown[], script?: ScriptName, key = '-'): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreClosed('memory'));
    const id = this.#nextId++;
    const request: MemoryRequest = [id, OP[op]];
    for (const arg of args) request.push(toWire(arg));
    return new Promise<T>((resolve, reject) => {
      if (this.#pending.size === 0) this.#port.ref();
      this.#pending.set(id, new Pending(resolve as (value: unknown) => void, reject, script, key));
      // Calls made in the same tick travel in one message (see protocol.ts).
      if (this.#outbox.push(request) === 1) queueMicrotask(this.#flush);
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
    return this.#call('setIfAbsent', [key, outgoing(value), ttlMs]);
  }
  set(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    return this.#call('set', [key, outgoing(value), ttlMs]);
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
    const out = args.map((a) => (a instanceof Uint8Array ? outgoing(a) : a));
    return this.#call('runScript', [name, keys, out], name, keys[0]);
  }
  appendEvent(job: string, event: Uint8Array, opts?: AppendEventOptions): Promise<string> {
    return this.#call('appendEvent', [job, event, opts]);
  }
  async readEvents(job: string, afterId: string, opts: ReadEventsOptions): Promise<StreamEvent[]> {
    // On the wire: [id, data, id, data, ...].
    const flat = await this.#call<(string | Uint8Array)[]>('readEvents', [job, afterId, opts]);
    const events: StreamEvent[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2)
      events.push({ id: flat[i] as string, data: flat[i + 1] as Uint8Array });
    return events;
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
