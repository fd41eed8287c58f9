// The one narrow storage interface of the engine (DESIGN.md §5). Three implementations pass one
// conformance suite: RedisShards (client-side routing over standalone servers), RedisCluster (ioredis
// Cluster) and MemoryStore (embedded, shared with worker threads through MemoryStoreClient).
import type { ScriptArg, ScriptName, ScriptResult } from './scripts/registry.js';
import type { TaskRef } from './keys.js';

export type StoreKind = 'memory' | 'redis-shards' | 'redis-cluster';

export interface AppendEventOptions {
  /** Keep at most this many entries in the stream (exact trim). Absent: no trimming. */
  readonly maxLen?: number;
  /** TTL of the stream, refreshed on every append. Absent: the store's `eventTtlMs`. */
  readonly ttlMs?: number;
}

export interface ReadEventsOptions {
  /**
   * Wait up to this many ms for an entry after `afterId` when none is there yet; 0 returns at once.
   * Waiting is event-driven (XREAD BLOCK on Redis, a waiter resolved on append in memory), never polling.
   */
  readonly blockMs: number;
  /** At most this many entries. @default 1000 */
  readonly count?: number;
}

export interface StreamEvent {
  /** Stream id `<ms>-<seq>`, strictly increasing within a job. */
  readonly id: string;
  readonly data: Uint8Array;
}

export interface Store {
  readonly kind: StoreKind;
  /** The value of `key`, or null when absent. Values above `chunkBytes` are reassembled transparently. */
  get(key: string): Promise<Uint8Array | null>;
  /** The value of `key`; throws ObjectLost (naming key and shard) when it is absent. */
  getRequired(key: string): Promise<Uint8Array>;
  /** Values of many keys in order; split per shard and fetched in parallel pipelines. */
  mget(keys: readonly string[]): Promise<(Uint8Array | null)[]>;
  /** SET NX with a TTL: true when this call wrote the value. */
  setIfAbsent(key: string, value: Uint8Array, ttlMs: number): Promise<boolean>;
  /** SET with a TTL, replacing any value. */
  set(key: string, value: Uint8Array, ttlMs: number): Promise<void>;
  exists(key: string): Promise<boolean>;
  /** Deletes the keys (and the chunks of chunked values); returns how many of `keys` existed. */
  delete(keys: readonly string[]): Promise<number>;
  /** Runs a named script (scripts/registry.ts); rejections are thrown as ScriptRejected. */
  runScript<N extends ScriptName>(
    name: N,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<ScriptResult<N>>;
  /** Appends to the job's event stream; returns the entry id. */
  appendEvent(job: string, event: Uint8Array, opts?: AppendEventOptions): Promise<string>;
  /**
   * Entries after `afterId` (`'0'` reads from the start, `'$'` only entries appended from now on), blocking
   * up to `blockMs` when there are none; [] on timeout.
   */
  readEvents(job: string, afterId: string, opts: ReadEventsOptions): Promise<StreamEvent[]>;
  /** Removes every key of the job (plan, segments, events, task keys, chunks). `taskKeys` are deleted too. */
  deleteJob(job: string, taskKeys?: readonly TaskRef[]): Promise<void>;
  /** Closes connections / ports; later calls throw StoreClosed. Idempotent. */
  close(): Promise<void>;
}
