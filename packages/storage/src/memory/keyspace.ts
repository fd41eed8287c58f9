// The data of the embedded memory store: a map from key to a typed entry with an absolute expiry, the same
// value types the engine uses in Redis (string, set, stream, hash). Expired entries are dropped lazily on
// access and by a periodic sweep. Everything here runs on the one thread that owns the store, so each
// operation (and each script in scripts.ts) is atomic, as a Lua script is in Redis.
import type { StreamEvent } from '../store.js';

export interface StringEntry {
  readonly type: 'string';
  /**
   * The bytes; or, for a token a script wrote (an owner, a parent index, the done mark), its text, whose
   * UTF-8 bytes are the value as Redis would keep them. A short string takes ~30 bytes of heap where a
   * Uint8Array takes ~200 plus its backing store, and a job leaves one or two such tokens per task (its
   * lease, its trigger) until it ends.
   */
  value: Uint8Array | string;
  expiresAt: number;
}
export interface SetEntry {
  readonly type: 'set';
  readonly members: Set<string>;
  expiresAt: number;
}
export interface StreamEntry {
  readonly type: 'stream';
  readonly events: StreamEvent[];
  lastMs: number;
  lastSeq: number;
  expiresAt: number;
}
/** A task's carried inputs (fanIn-2.lua): parent index → value. */
export interface HashEntry {
  readonly type: 'hash';
  readonly fields: Map<string, Uint8Array>;
  expiresAt: number;
}
export type Entry = StringEntry | SetEntry | StreamEntry | HashEntry;

export class Keyspace {
  readonly #entries = new Map<string, Entry>();

  /** The live entry of `key`, dropping it when expired. */
  get(key: string, now = Date.now()): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  put(key: string, entry: Entry): void {
    this.#entries.set(key, entry);
  }

  delete(key: string): boolean {
    const live = this.get(key) !== undefined;
    this.#entries.delete(key);
    return live;
  }

  /** Remaining lifetime in ms (Redis PTTL): -2 when absent, -1 without expiry. */
  pttl(key: string, now = Date.now()): number {
    const entry = this.get(key, now);
    if (entry === undefined) return -2;
    return entry.expiresAt === Infinity ? -1 : entry.expiresAt - now;
  }

  keys(): IterableIterator<string> {
    return this.#entries.keys();
  }

  /** Drops every expired entry; returns how many. */
  sweep(now = Date.now()): number {
    let dropped = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.expiresAt <= now) {
        this.#entries.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.#entries.clear();
  }
}
