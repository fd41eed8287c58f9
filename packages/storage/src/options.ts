// Options of the stores: documented, defaults resolved once into a frozen object, units in the names.
import type { ConnectionOptions } from 'node:tls';
import { InvalidOption } from './errors.js';

const MiB = 1024 * 1024;

/** Redis limits a single bulk string to 512 MiB by default (proto-max-bulk-len). */
export const REDIS_MAX_BULK_BYTES = 512 * MiB;

export interface RedisStoreOptions {
  /** Time to establish a connection (TCP + TLS + AUTH) to one shard. @default 5000 */
  connectTimeoutMs?: number;
  /**
   * Time a command may take from being issued to its reply, including time queued while the shard
   * reconnects; past it the call fails with ShardUnreachable. Blocking event reads get `blockMs` on top.
   * @default 5000
   */
  commandTimeoutMs?: number;
  /** Values above this size are split into chunks of this size spread over the shards. @default 67108864 (64 MiB) */
  chunkBytes?: number;
  /** Largest value `set` accepts (chunked or not); above it ValueTooLarge. @default 1073741824 (1 GiB) */
  maxValueBytes?: number;
  /** TTL of a job's event stream when `appendEvent` gets none, refreshed on append. @default 86400000 (24 h) */
  eventTtlMs?: number;
  /**
   * RedisCluster only: how many times a command is retried after its connection broke before it fails
   * (ioredis maxRetriesPerRequest). Scripts and writes are idempotent, so a retry is safe. RedisShards never
   * re-sends: a command whose connection broke fails with ShardUnreachable at once. @default 1
   */
  retriesPerCommand?: number;
  /** ACL user name; overrides the one in the URL. @default the URL's, else none */
  username?: string;
  /** Password; overrides the one in the URL. @default the URL's, else none */
  password?: string;
  /**
   * TLS options (CA, client certificate, servername, ...). TLS is on for rediss:// URLs, or whenever this
   * is given. @default undefined
   */
  tls?: ConnectionOptions;
}

export interface ResolvedRedisStoreOptions {
  readonly connectTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly chunkBytes: number;
  readonly maxValueBytes: number;
  readonly eventTtlMs: number;
  readonly retriesPerCommand: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly tls: ConnectionOptions | undefined;
}

export interface MemoryStoreOptions {
  /** Largest value `set` accepts; above it ValueTooLarge. @default 1073741824 (1 GiB) */
  maxValueBytes?: number;
  /** TTL of a job's event stream when `appendEvent` gets none, refreshed on append. @default 86400000 (24 h) */
  eventTtlMs?: number;
  /** How often expired keys are swept (they are also dropped lazily on access). @default 1000 */
  sweepIntervalMs?: number;
}

export interface ResolvedMemoryStoreOptions {
  readonly maxValueBytes: number;
  readonly eventTtlMs: number;
  readonly sweepIntervalMs: number;
}

export const DEFAULT_CHUNK_BYTES = 64 * MiB;
export const DEFAULT_MAX_VALUE_BYTES = 1024 * MiB;
export const DEFAULT_EVENT_TTL_MS = 24 * 3600 * 1000;

function positiveInt(
  option: string,
  value: number | undefined,
  fallback: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v < 1 || v > max) {
    throw new InvalidOption(option, `must be an integer in [1, ${max}], got ${String(value)}`);
  }
  return v;
}

export function resolveRedisOptions(opts: RedisStoreOptions = {}): ResolvedRedisStoreOptions {
  const retries = opts.retriesPerCommand ?? 1;
  if (!Number.isSafeInteger(retries) || retries < 0) {
    throw new InvalidOption('retriesPerCommand', `must be an integer >= 0, got ${String(retries)}`);
  }
  return Object.freeze({
    connectTimeoutMs: positiveInt('connectTimeoutMs', opts.connectTimeoutMs, 5000),
    commandTimeoutMs: positiveInt('commandTimeoutMs', opts.commandTimeoutMs, 5000),
    chunkBytes: positiveInt('chunkBytes', opts.chunkBytes, DEFAULT_CHUNK_BYTES, REDIS_MAX_BULK_BYTES),
    maxValueBytes: positiveInt('maxValueBytes', opts.maxValueBytes, DEFAULT_MAX_VALUE_BYTES, 2 ** 32 - 1),
    eventTtlMs: positiveInt('eventTtlMs', opts.eventTtlMs, DEFAULT_EVENT_TTL_MS),
    retriesPerCommand: retries,
    username: opts.username,
    password: opts.password,
    tls: opts.tls,
  });
}

export function resolveMemoryOptions(opts: MemoryStoreOptions = {}): ResolvedMemoryStoreOptions {
  return Object.freeze({
    maxValueBytes: positiveInt('maxValueBytes', opts.maxValueBytes, DEFAULT_MAX_VALUE_BYTES, 2 ** 32 - 1),
    eventTtlMs: positiveInt('eventTtlMs', opts.eventTtlMs, DEFAULT_EVENT_TTL_MS),
    sweepIntervalMs: positiveInt('sweepIntervalMs', opts.sweepIntervalMs, 1000),
  });
}

/** Validates a per-call TTL argument. */
export function checkTtlMs(ttlMs: number, key: string): number {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    throw new InvalidOption(
      'ttlMs',
      `must be a positive integer number of ms for ${key}, got ${String(ttlMs)}`,
    );
  }
  return ttlMs;
}
