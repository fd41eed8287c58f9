// MemoryStore: the embedded store of the local backend. It lives in the main thread; worker threads reach
// it through MessagePorts (`connectPort()` here, `connectMemoryStore(port)` in the worker, client.ts).
//
// Values of at least SHARE_MIN_BYTES are kept in SharedArrayBuffer-backed Uint8Arrays. Posting such a view
// through a MessagePort shares the memory instead of copying it, so a large output written by one worker and
// read by others exists once: the writer allocates the SharedArrayBuffer (or hands over one it already
// owns), the store keeps the view, every reader gets a view of the same memory. A large value given as a
// plain ArrayBuffer-backed array is copied into shared memory once on write (the one copy Redis would also
// make). Smaller values are copied on write and travel as copies (shared-bytes.ts says why). Stored values are
// immutable by contract: writers must not modify a SharedArrayBuffer after handing it to the store, and
// readers must not write into what they get.
//
// All operations run on the owning thread, one at a time, so the script twins (scripts.ts) are atomic.
// Blocking event reads register a waiter that the next append resolves (no polling); a timer only ends the
// wait when nothing arrives within blockMs.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import {
  CommandFailed,
  InvalidOption,
  ObjectLost,
  ScriptRejected,
  StoreClosed,
  ValueTooLarge,
  WrongKeyType,
} from '../errors.js';
import { isJobKey, sameHashTag, keys as keyOf, taskKeys, type TaskRef } from '../keys.js';
import {
  checkTtlMs,
  resolveMemoryOptions,
  type MemoryStoreOptions,
  type ResolvedMemoryStoreOptions,
} from '../options.js';
import {
  parseReply,
  scriptSpec,
  type RawReply,
  type ScriptArg,
  type ScriptName,
  type ScriptResult,
} from '../scripts/registry.js';
import type { AppendEventOptions, ReadEventsOptions, Store, StreamEvent } from '../store.js';
import { Keyspace, type StreamEntry } from './keyspace.js';
import { memoryScripts, utf8 } from './scripts.js';
import { servePort } from './protocol.js';
import { toStoredBytes } from './shared-bytes.js';

/** A string entry's value as bytes: a token the scripts kept as text (keyspace.ts) becomes its UTF-8. */
function storedBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? utf8(value) : value;
}

/** Shard name used in errors of the memory store. */
export const MEMORY_SHARD = 'memory';
const DEFAULT_READ_COUNT = 1000;

type StreamId = readonly [ms: number, seq: number];

function parseStreamId(key: string, id: string): StreamId {
  const match = /^(\d+)(?:-(\d+))?$/.exec(id);
  if (!match)
    throw new CommandFailed(
      key,
      MEMORY_SHARD,
      `Invalid stream ID specified as stream command argument: ${id}`,
    );
  return [Number(match[1]), Number(match[2] ?? 0)];
}

function idAfter(id: StreamId, after: StreamId): boolean {
  return id[0] > after[0] || (id[0] === after[0] && id[1] > after[1]);
}

interface Waiter {
  readonly after: StreamId;
  readonly count: number;
  readonly resolve: (events: StreamEvent[]) => void;
  readonly reject: (err: Error) => void;
  readonly timer: NodeJS.Timeout;
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly options: ResolvedMemoryStoreOptions;
  readonly #keyspace = new Keyspace();
  readonly #waiters = new Map<string, Set<Waiter>>();
  readonly #ports = new Set<MessagePort>();
  readonly #sweeper: NodeJS.Timeout;
  #closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.options = resolveMemoryOptions(opts);
    this.#sweeper = setInterval(() => this.#keyspace.sweep(), this.options.sweepIntervalMs);
    this.#sweeper.unref();
  }

  /**
   * A MessagePort for a worker thread: transfer it (`worker.postMessage({ port }, [port])`) and call
   * `connectMemoryStore(port)` there. The store's end does not keep the process alive on its own.
   */
  connectPort(): MessagePort {
    this.#checkOpen();
    const { port1, port2 } = new MessageChannel();
    servePort(this, port1);
    port1.on('close', () => this.#ports.delete(port1));
    port1.unref();
    this.#ports.add(port1);
    return port2;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosed('memory');
  }

  async get(key: string): Promise<Uint8Array | null> {
    this.#checkOpen();
    const entry = this.#keyspace.get(key);
    if (entry === undefined) return null;
    if (entry.type !== 'string') throw new WrongKeyType(key, MEMORY_SHARD);
    return storedBytes(entry.value);
  }

  async getRequired(key: string): Promise<Uint8Array> {
    const value = await this.get(key);
    if (value === null) throw new ObjectLost(key, MEMORY_SHARD);
    return value;
  }

  async mget(keys: readonly string[]): Promise<(Uint8Array | null)[]> {
    this.#checkOpen();
    const now = Date.now();
    return keys.map((key) => {
      const entry = this.#keyspace.get(key, now);
      if (entry === undefined) return null;
      // As on Redis, where mget is a GET per key: reading a set or stream as a value is a caller bug.
      if (entry.type !== 'string') throw new WrongKeyType(key, MEMORY_SHARD);
      return storedBytes(entry.value);
    });
  }

  async setIfAbsent(key: string, value: Uint8Array, ttlMs: number): Promise<boolean> {
    this.#checkOpen();
    const stored = this.#prepareValue(key, value, ttlMs);
    const now = Date.now();
    if (this.#keyspace.get(key, now) !== undefined) return false;
    this.#keyspace.put(key, { type: 'string', value: stored, expiresAt: now + ttlMs });
    return true;
  }

  async set(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    this.#checkOpen();
    const stored = this.#prepareValue(key, value, ttlMs);
    this.#keyspace.put(key, { type: 'string', value: stored, expiresAt: Date.now() + ttlMs });
  }

  #prepareValue(key: string, value: Uint8Array, ttlMs: number): Uint8Array {
    checkTtlMs(ttlMs, key);
    const limit = this.options.maxValueBytes;
    if (value.byteLength > limit) throw new ValueTooLarge(key, value.byteLength, limit, 'maxValueBytes');
    return toStoredBytes(value, false);
  }

  async exists(key: string): Promise<boolean> {
    this.#checkOpen();
    return this.#keyspace.get(key) !== undefined;
  }

  async delete(keys: readonly string[]): Promise<number> {
    this.#checkOpen();
    let deleted = 0;
    for (const key of new Set(keys)) if (this.#keyspace.delete(key)) deleted++;
    return deleted;
  }

  async runScript<N extends ScriptName>(
    name: N,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<ScriptResult<N>> {
    return parseReply(name, keys[0] ?? '-', this.runScriptRaw(name, keys, args));
  }

  /**
   * Runs a script twin and returns its raw reply, as Redis would send it (what `runScript` parses). The
   * port serves this, so each worker thread parses its own replies and the reply travels as plain arrays.
   * `owned` says the caller gives its byte arguments away (they arrived in a message): no copy is kept.
   */
  runScriptRaw(
    name: ScriptName,
    keys: readonly string[],
    args: readonly ScriptArg[],
    owned = false,
  ): RawReply {
    this.#checkOpen();
    const spec = scriptSpec(name);
    const first = keys[0];
    if (keys.length < spec.numKeys || keys.length > spec.maxKeys || first === undefined) {
      throw new ScriptRejected(
        name,
        first ?? '-',
        -3,
        `takes ${spec.numKeys}..${spec.maxKeys} keys, got ${keys.length}`,
      );
    }
    // The same rule as the Redis stores, so what passes here passes there.
    for (const key of keys) {
      if (!sameHashTag(first, key)) {
        throw new ScriptRejected(name, key, -3, `keys do not share the hash tag of ${first}`);
      }
    }
    // Byte arguments become what the keyspace keeps; the array is copied only when one of them changes
    // (an owned argument from the port is kept as it is: two store calls per task, no copy).
    let argv = args;
    for (let i = 0; i < args.length; i++) {
      const a = args[i];
      if (!(a instanceof Uint8Array)) continue;
      if (a.byteLength > this.options.maxValueBytes) {
        throw new ValueTooLarge(first, a.byteLength, this.options.maxValueBytes, 'maxValueBytes');
      }
      const stored = toStoredBytes(a, owned);
      if (stored === a) continue;
      if (argv === args) argv = args.slice();
      (argv as ScriptArg[])[i] = stored;
    }
    return memoryScripts[name](this.#keyspace, keys, argv, Date.now());
  }

  async appendEvent(job: string, event: Uint8Array, opts: AppendEventOptions = {}): Promise<string> {
    this.#checkOpen();
    const key = keyOf.events(job);
    const ttlMs = checkTtlMs(opts.ttlMs ?? this.options.eventTtlMs, key);
    const now = Date.now();
    const existing = this.#keyspace.get(key, now);
    if (existing !== undefined && existing.type !== 'stream') throw new WrongKeyType(key, MEMORY_SHARD);
    const stream: StreamEntry = existing ?? {
      type: 'stream',
      events: [],
      lastMs: 0,
      lastSeq: -1,
      expiresAt: 0,
    };
    // Ids as Redis makes them: <ms>-<seq>, strictly increasing even when the clock stands still or steps back.
    if (now > stream.lastMs) {
      stream.lastMs = now;
      stream.lastSeq = 0;
    } else {
      stream.lastSeq++;
    }
    const id = `${stream.lastMs}-${stream.lastSeq}`;
    stream.events.push({ id, data: new Uint8Array(event) });
    if (opts.maxLen !== undefined && stream.events.length > opts.maxLen) {
      stream.events.splice(0, stream.events.length - opts.maxLen);
    }
    stream.expiresAt = now + ttlMs;
    this.#keyspace.put(key, stream);
    this.#wake(key, stream);
    return id;
  }

  /** Resolves every waiter of the stream that now has entries after its id. */
  #wake(key: string, stream: StreamEntry): void {
    const waiters = this.#waiters.get(key);
    if (!waiters) return;
    for (const waiter of waiters) {
      const events = this.#eventsAfter(stream, waiter.after, waiter.count);
      if (events.length === 0) continue;
      waiters.delete(waiter);
      clearTimeout(waiter.timer);
      waiter.resolve(events);
    }
    if (waiters.size === 0) this.#waiters.delete(key);
  }

  #eventsAfter(stream: StreamEntry, after: StreamId, count: number): StreamEvent[] {
    const out: StreamEvent[] = [];
    // Entries are in id order; scan from the end to find the first one after `after`.
    let start = stream.events.length;
    while (start > 0 && idAfter(parseStreamId('', (stream.events[start - 1] as StreamEvent).id), after))
      start--;
    for (let i = start; i < stream.events.length && out.length < count; i++)
      out.push(stream.events[i] as StreamEvent);
    return out;
  }

  async readEvents(job: string, afterId: string, opts: ReadEventsOptions): Promise<StreamEvent[]> {
    this.#checkOpen();
    const key = keyOf.events(job);
    const count = opts.count ?? DEFAULT_READ_COUNT;
    const blockMs = opts.blockMs;
    if (!Number.isSafeInteger(blockMs) || blockMs < 0) {
      throw new InvalidOption('blockMs', `must be an integer >= 0 for ${key}, got ${String(blockMs)}`);
    }
    const entry = this.#keyspace.get(key);
    if (entry !== undefined && entry.type !== 'stream') throw new WrongKeyType(key, MEMORY_SHARD);
    const after: StreamId =
      afterId === '$' ? (entry ? [entry.lastMs, entry.lastSeq] : [0, 0]) : parseStreamId(key, afterId);
    if (entry) {
      const events = this.#eventsAfter(entry, after, count);
      if (events.length > 0) return events;
    }
    if (blockMs === 0) return [];
    return new Promise<StreamEvent[]>((resolve, reject) => {
      const waiters = this.#waiters.get(key) ?? new Set<Waiter>();
      this.#waiters.set(key, waiters);
      const waiter: Waiter = {
        after,
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          waiters.delete(waiter);
          if (waiters.size === 0 && this.#waiters.get(key) === waiters) this.#waiters.delete(key);
          resolve([]);
        }, blockMs),
      };
      waiters.add(waiter);
    });
  }

  async deleteJob(job: string, taskKeyRefs: readonly TaskRef[] = []): Promise<void> {
    this.#checkOpen();
    for (const task of taskKeyRefs) for (const key of taskKeys(job, task)) this.#keyspace.delete(key);
    for (const key of [...this.#keyspace.keys()]) if (isJobKey(job, key)) this.#keyspace.delete(key);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const waiters of this.#waiters.values()) {
      for (const waiter of waiters) {
        clearTimeout(waiter.timer);
        waiter.reject(new StoreClosed('memory'));
      }
    }
    this.#waiters.clear();
    for (const port of this.#ports) port.close();
    this.#ports.clear();
    this.#keyspace.clear();
  }
}
