// The Store interface implemented once over a Topology (RedisShards or RedisCluster).
//
// Single-key calls go straight to the connection that serves the key. Multi-key calls are split per shard
// and sent together per shard (GETs written back to back, i.e. pipelined; DEL as one command on standalone
// servers, single-key DELs on a cluster, where a command may not span slots), all shards in parallel. Values above `chunkBytes` are chunked
// (chunking.ts). Scripts run by EVALSHA and fall back to EVAL once when the server does not know the SHA
// yet (NOSCRIPT: a fresh or restarted server); EVAL caches the script, so later calls hit EVALSHA again.
// Two scripts have faster equivalents here: taskBegin runs as native commands on Redis 7, and the fanIn
// calls made for one child in one turn go as one fanInBatch on the shards' RESP connections.
// Blocking event reads take a dedicated connection from the topology so they never stall other commands.
import {
  InvalidOption,
  ObjectLost,
  ScriptRejected,
  ShardUnreachable,
  StoreClosed,
  ValueTooLarge,
} from '../errors.js';
import {
  checkPlainValue,
  chunkSlice,
  decodeManifest,
  encodeManifest,
  isManifest,
  MANIFEST_BYTES,
  manifestChunkKeys,
  newWriteId,
  planChunks,
  type ChunkManifest,
} from '../chunking.js';
import { hashTag, jobKeyPattern, keys as keyOf, sameHashTag, taskKeys, type TaskRef } from '../keys.js';
import { checkTtlMs, type ResolvedRedisStoreOptions } from '../options.js';
import {
  parseReply,
  scriptSpec,
  type ScriptArg,
  type ScriptName,
  type ScriptResult,
  type ScriptSpec,
} from '../scripts/registry.js';
import type { AppendEventOptions, ReadEventsOptions, Store, StreamEvent } from '../store.js';
import { isNoScript, isReplyError, toStorageError } from './errors.js';
import type { CommandArg, CommandTarget, ShardGroup, Topology } from './topology.js';

const DEFAULT_READ_COUNT = 1000;
const EVENT_FIELD = 'd';
const SCAN_COUNT = 1000;

type PipelineReply = [Error | null, unknown][];

/** A fan-in call waiting for its turn's batch (see RedisStore.#gatherFanIn). */
interface GatheredFanIn {
  readonly keys: readonly string[];
  readonly args: readonly ScriptArg[];
  readonly resolve: (result: ScriptResult<'fanIn'>) => void;
  readonly reject: (err: Error) => void;
}

/** A fan-in call goes in the batch of `first` when only its parent, output and owner differ. */
function batchesWith(first: GatheredFanIn, keys: readonly string[], args: readonly ScriptArg[]): boolean {
  if (first.keys !== keys) {
    if (first.keys.length !== keys.length) return false;
    for (let i = 0; i < keys.length; i++) if (first.keys[i] !== keys[i]) return false;
  }
  if (first.args[1] !== args[1] || first.args[2] !== args[2]) return false;
  return keys.length === 4 || (first.args[5] === args[5] && first.args[6] === args[6]);
}

/** Children of at most this many parents are fanned in call by call. */
const MIN_GATHERED_IN_DEGREE = 2;

/** Most calls in one fanInBatch script (its arguments are unpacked onto the Lua stack). */
const MAX_FAN_IN_BATCH = 256;

/** A zero-copy Buffer view of any Uint8Array (the clients write large Buffers to the socket as they are). */
export function asBuffer(value: Uint8Array): Buffer {
  return Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
}

export class RedisStore implements Store {
  readonly kind: 'redis-shards' | 'redis-cluster';
  #closed = false;

  constructor(
    protected readonly topology: Topology,
    readonly options: ResolvedRedisStoreOptions,
  ) {
    this.kind = topology.kind;
  }

  #checkOpen(): void {
    if (this.#closed) throw new StoreClosed(this.kind);
  }

  /** Connects the store's topology; closes the store and rethrows when a shard does not answer. */
  protected static async connected<S extends RedisStore>(store: S): Promise<S> {
    try {
      await store.topology.connect();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** The name of the shard or node that serves `key` (as used in error messages). */
  shardOf(key: string): string {
    return this.topology.shardOf(key);
  }

  get(key: string): Promise<Uint8Array | null> {
    let reply: Promise<unknown>;
    try {
      this.#checkOpen();
      reply = this.topology.targetFor(key).callBuffer('GET', key);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return reply.then(
      (value) => {
        const v = value as Buffer | null;
        if (v !== null && v.byteLength === MANIFEST_BYTES && isManifest(v)) {
          return this.#readChunks(key, decodeManifest(key, v));
        }
        return v;
      },
      (err: unknown) => {
        throw toStorageError(err, key, this.topology.shardOf(key));
      },
    );
  }

  async getRequired(key: string): Promise<Uint8Array> {
    const value = await this.get(key);
    if (value === null) throw new ObjectLost(key, this.topology.shardOf(key));
    return value;
  }

  async mget(keys: readonly string[]): Promise<(Uint8Array | null)[]> {
    this.#checkOpen();
    const out: (Uint8Array | null)[] = new Array<Uint8Array | null>(keys.length).fill(null);
    if (keys.length === 0) return out;
    await Promise.all(
      this.topology.groupByShard(keys).map(async (group) => {
        const groupKeys = group.indices.map((i) => keys[i] as string);
        const values = await this.#getMany(group, groupKeys);
        group.indices.forEach((i, j) => (out[i] = values[j] ?? null));
      }),
    );
    const chunked: Promise<void>[] = [];
    out.forEach((value, i) => {
      if (value !== null && value.byteLength === MANIFEST_BYTES && isManifest(value)) {
        const key = keys[i] as string;
        chunked.push(
          this.#readChunks(key, decodeManifest(key, value)).then((whole) => void (out[i] = whole)),
        );
      }
    });
    if (chunked.length > 0) await Promise.all(chunked);
    return out;
  }

  /**
   * GET of many keys on one shard, all issued at once on the shard's connection: the client writes them back
   * to back without waiting for replies, so they travel as one pipeline, and each reply is parsed on its
   * own (large values are never gathered into one giant MGET reply). The same code serves cluster nodes,
   * where MGET across slots is refused.
   */
  async #getMany(group: ShardGroup, groupKeys: string[]): Promise<(Buffer | null)[]> {
    try {
      return (await Promise.all(
        groupKeys.map((key) => group.target.callBuffer('GET', key)),
      )) as (Buffer | null)[];
    } catch (err) {
      throw toStorageError(err, groupKeys[0] as string, group.shard);
    }
  }

  async setIfAbsent(key: string, value: Uint8Array, ttlMs: number): Promise<boolean> {
    return this.#write(key, value, ttlMs, true);
  }

  async set(key: string, value: Uint8Array, ttlMs: number): Promise<void> {
    await this.#write(key, value, ttlMs, false);
  }

  async #write(key: string, value: Uint8Array, ttlMs: number, onlyIfAbsent: boolean): Promise<boolean> {
    this.#checkOpen();
    checkTtlMs(ttlMs, key);
    const { chunkBytes, maxValueBytes } = this.options;
    if (value.byteLength > maxValueBytes)
      throw new ValueTooLarge(key, value.byteLength, maxValueBytes, 'maxValueBytes');
    if (value.byteLength > chunkBytes) return this.#writeChunked(key, value, ttlMs, onlyIfAbsent);
    checkPlainValue(key, value);
    return this.#setOne(key, asBuffer(value), ttlMs, onlyIfAbsent);
  }

  async #setOne(key: string, value: Buffer, ttlMs: number, onlyIfAbsent: boolean): Promise<boolean> {
    try {
      const target = this.topology.targetFor(key);
      const reply = onlyIfAbsent
        ? await target.call('SET', key, value, 'PX', ttlMs, 'NX')
        : await target.call('SET', key, value, 'PX', ttlMs);
      return reply === 'OK';
    } catch (err) {
      throw toStorageError(err, key, this.topology.shardOf(key));
    }
  }

  /** Chunks first (in parallel, per shard), the manifest last: a reader never sees a partial value. */
  async #writeChunked(
    key: string,
    value: Uint8Array,
    ttlMs: number,
    onlyIfAbsent: boolean,
  ): Promise<boolean> {
    const manifest = planChunks(value.byteLength, this.options.chunkBytes, newWriteId());
    const chunkKeys = manifestChunkKeys(key, manifest);
    await Promise.all(
      this.topology.groupByShard(chunkKeys).map(async (group) => {
        const pipeline = group.target.pipeline();
        for (const i of group.indices) {
          pipeline.call('SET', chunkKeys[i] as string, asBuffer(chunkSlice(value, manifest, i)), 'PX', ttlMs);
        }
        try {
          unwrapPipeline((await pipeline.exec()) as PipelineReply, chunkKeys);
        } catch (err) {
          throw toStorageError(err, chunkKeys[group.indices[0] as number] as string, group.shard);
        }
      }),
    );
    const written = await this.#setOne(key, Buffer.from(encodeManifest(manifest)), ttlMs, onlyIfAbsent);
    if (!written) await this.#deleteKeys(chunkKeys);
    return written;
  }

  async #readChunks(key: string, manifest: ChunkManifest): Promise<Uint8Array> {
    const chunkKeys = manifestChunkKeys(key, manifest);
    const whole = new Uint8Array(manifest.totalBytes);
    await Promise.all(
      this.topology.groupByShard(chunkKeys).map(async (group) => {
        const groupKeys = group.indices.map((i) => chunkKeys[i] as string);
        const values = await this.#getMany(group, groupKeys);
        group.indices.forEach((i, j) => {
          const chunk = values[j];
          const expected = Math.min(manifest.chunkBytes, manifest.totalBytes - i * manifest.chunkBytes);
          if (chunk === null || chunk === undefined || chunk.byteLength !== expected) {
            throw new ObjectLost(chunkKeys[i] as string, group.shard, `chunk ${i} of ${key} is missing`);
          }
          whole.set(chunk, i * manifest.chunkBytes);
        });
      }),
    );
    return whole;
  }

  async exists(key: string): Promise<boolean> {
    this.#checkOpen();
    try {
      return (await this.topology.targetFor(key).call('EXISTS', key)) === 1;
    } catch (err) {
      throw toStorageError(err, key, this.topology.shardOf(key));
    }
  }

  /**
   * Two rounds per shard: read at most 49 bytes of each key (a manifest is exactly 48) to find chunked
   * values, then delete the keys and their chunks.
   */
  async delete(keys: readonly string[]): Promise<number> {
    this.#checkOpen();
    if (keys.length === 0) return 0;
    const chunkKeys: string[] = [];
    await Promise.all(
      this.topology.groupByShard(keys).map(async (group) => {
        const pipeline = group.target.pipeline();
        for (const i of group.indices) pipeline.callBuffer('GETRANGE', keys[i] as string, 0, MANIFEST_BYTES);
        let replies: PipelineReply;
        try {
          replies = (await pipeline.exec()) as PipelineReply;
        } catch (err) {
          throw toStorageError(err, keys[group.indices[0] as number] as string, group.shard);
        }
        replies.forEach(([err, head], j) => {
          // WRONGTYPE (a fan-in set) is expected here: such keys are plain to delete.
          if (err || !(head instanceof Uint8Array) || !isManifest(head)) return;
          const key = keys[group.indices[j] as number] as string;
          chunkKeys.push(...manifestChunkKeys(key, decodeManifest(key, head)));
        });
      }),
    );
    const [deleted] = await Promise.all([this.#deleteKeys(keys), this.#deleteKeys(chunkKeys)]);
    return deleted;
  }

  async #deleteKeys(keys: readonly string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const counts = await Promise.all(
      this.topology.groupByShard(keys).map(async (group) => {
        const groupKeys = group.indices.map((i) => keys[i] as string);
        try {
          if (this.topology.multiKeyAcrossSlots)
            return (await group.target.call('DEL', ...groupKeys)) as number;
          const pipeline = group.target.pipeline();
          for (const key of groupKeys) pipeline.call('DEL', key);
          const replies = unwrapPipeline((await pipeline.exec()) as PipelineReply, groupKeys);
          return replies.reduce<number>((sum, n) => sum + Number(n), 0);
        } catch (err) {
          throw toStorageError(err, groupKeys[0] as string, group.shard);
        }
      }),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  // Hot path of the executor (one call per dependent of every task): a plain promise chain rather than an
  // async function, so a call costs no extra promise or microtask hop over the raw client.
  runScript<N extends ScriptName>(
    name: N,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<ScriptResult<N>> {
    if (name === 'taskBegin' && this.#nativeBegin) {
      const native = this.#beginNatively(keys, args);
      if (native !== undefined) return native as Promise<ScriptResult<N>>;
    }
    if (name === 'fanIn') {
      const gathered = this.#gatherFanIn(keys, args);
      if (gathered !== undefined) return gathered as Promise<ScriptResult<N>>;
    }
    return this.#runLua(name, keys, args);
  }

  /**
   * Fan-in calls for one child made in one turn of the event loop go to Redis as one `fanInBatch` script,
   * issued just before the turn's commands are written (so in the same write, at no cost in latency), each
   * call settling with the outcome it would have had on its own (fanInBatch-4.lua). Many parents of one
   * child finishing together on a host is common — the 100 sleeps of one `add` in Figure 13's graph — and
   * each script call costs Redis several microseconds of overhead besides its work. Only where the
   * connection can say when it writes (the store's RESP connections, not ioredis), only for the plain
   * forms (no parent list), and only for children of more than two parents; a lone call goes as `fanIn`.
   */
  #gathering = new Map<CommandTarget, Map<string, GatheredFanIn[]>>();

  #gatherFanIn(
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<ScriptResult<'fanIn'>> | undefined {
    const lease = keys.length === 6;
    if (!(keys.length === 4 || lease) || args.length !== (lease ? 7 : 4)) return undefined;
    // A child of two parents gains nothing (their calls rarely meet in one turn): it goes as fanIn.
    if (!(Number(args[1]) > MIN_GATHERED_IN_DEGREE)) return undefined;
    let target: CommandTarget;
    try {
      this.#checkOpen();
      target = this.topology.targetFor(keys[0] as string);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (target.beforeWrite === undefined) return undefined;
    let groups = this.#gathering.get(target);
    if (groups === undefined) {
      const created = new Map<string, GatheredFanIn[]>();
      groups = created;
      this.#gathering.set(target, created);
      target.beforeWrite(() => {
        this.#gathering.delete(target);
        for (const calls of created.values()) this.#sendFanIns(calls);
      });
    }
    // Calls for one child (its fan-in key) batch together when everything but the parent, its output and
    // its owner is the same as in the first; one that differs (rare: another lease setting) goes alone.
    const calls = groups.get(keys[0] as string);
    if (calls === undefined) {
      return new Promise((resolve, reject) =>
        groups.set(keys[0] as string, [{ keys, args, resolve, reject }]),
      );
    }
    if (!batchesWith(calls[0] as GatheredFanIn, keys, args)) return undefined;
    return new Promise((resolve, reject) => calls.push({ keys, args, resolve, reject }));
  }

  #sendFanIns(calls: GatheredFanIn[]): void {
    for (let at = 0; at < calls.length; at += MAX_FAN_IN_BATCH) {
      const batch = calls.slice(at, at + MAX_FAN_IN_BATCH);
      const first = batch[0] as GatheredFanIn;
      if (batch.length === 1) {
        this.#runLua('fanIn', first.keys, first.args).then(first.resolve, first.reject);
        continue;
      }
      const lease = first.keys.length === 6;
      const argv: ScriptArg[] = [
        first.args[1] as ScriptArg,
        first.args[2] as ScriptArg,
        lease ? (first.args[5] as ScriptArg) : '',
        lease ? (first.args[6] as ScriptArg) : '',
      ];
      for (const c of batch)
        argv.push(c.args[0] as ScriptArg, c.args[3] as ScriptArg, lease ? (c.args[4] as ScriptArg) : '');
      this.#runLua('fanInBatch', first.keys, argv).then(
        ({ results }) =>
          batch.forEach((c, i) => {
            const r = results[i];
            if (r === undefined)
              c.reject(new ScriptRejected('fanIn', c.keys[0] as string, -3, 'no reply in the batch'));
            else if (r instanceof ScriptRejected) c.reject(r);
            else c.resolve(r);
          }),
        (err: unknown) => {
          // A refusal of the whole batch is each call's own (its arguments but the parent are shared).
          for (const c of batch)
            c.reject(
              err instanceof ScriptRejected
                ? new ScriptRejected('fanIn', c.keys[0] as string, err.rejection, '')
                : (err as Error),
            );
        },
      );
    }
  }

  /**
   * taskBegin takes its lease with one native command, `SET lease owner NX GET PX ms`, pipelined with
   * `EXISTS out`, where the server has it (Redis 7.0 and later): the Lua script spends most of its time in
   * its three redis.call()s (measured on Redis 7.0: ~15 µs of server time per script call, ~4 µs for the
   * two commands), and the executor begins every task it is invoked for. The outcome is the script's: the
   * lease taken (compute, or resume when the output exists), held by another owner, or the done mark.
   * The two commands are not one atomic step, and need not be: once SET took the lease nobody else writes
   * the lease, and an output that appears after EXISTS is one a late former owner stored — the caller's
   * own write-once store then finds it, as it would after the script. A server that refuses the syntax
   * (before 7.0) switches the store to the script for good.
   */
  #nativeBegin = true;

  #beginNatively(
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<ScriptResult<'taskBegin'>> | undefined {
    const [lease, out] = keys;
    const [owner, ms, mark] = args;
    // Anything unusual (wrong arity, byte arguments) is left to the script, which validates it.
    if (keys.length !== 2 || args.length !== 3 || lease === undefined || out === undefined) return undefined;
    if (typeof owner !== 'string' || typeof mark !== 'string' || typeof ms !== 'number') return undefined;
    let target: CommandTarget;
    try {
      this.#checkOpen();
      if (!sameHashTag(lease, out))
        throw new ScriptRejected('taskBegin', out, -3, `keys do not share the hash tag of ${lease}`);
      if (owner === '' || mark === '' || owner === mark || !Number.isSafeInteger(ms) || ms < 1)
        throw new ScriptRejected('taskBegin', lease, -3, '');
      target = this.topology.targetFor(lease);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    const pipeline = target.pipeline();
    pipeline.call('SET', lease, owner, 'NX', 'GET', 'PX', ms);
    pipeline.call('EXISTS', out);
    return pipeline.exec().then(
      (replies): Promise<ScriptResult<'taskBegin'>> | ScriptResult<'taskBegin'> => {
        const [setError, previous] = replies?.[0] ?? [new Error('pipeline discarded'), null];
        if (setError !== null) {
          if (isReplyError(setError) && /^ERR syntax error/i.test(setError.message)) {
            this.#nativeBegin = false;
            return this.#runLua('taskBegin', keys, args);
          }
          if (isReplyError(setError) && setError.message.startsWith('WRONGTYPE'))
            throw new ScriptRejected('taskBegin', lease, -4, '');
          throw toStorageError(setError, lease, this.topology.shardOf(lease));
        }
        const outputExists = replies?.[1]?.[1] === 1;
        if (previous === null) return parseReply('taskBegin', lease, [outputExists ? 2 : 1, owner]);
        const current = String(previous);
        if (current === mark) return parseReply('taskBegin', lease, [3, mark]);
        if (current !== owner) return parseReply('taskBegin', lease, [0, current]);
        // The caller held the lease already (a re-sent call): extended, as the script does.
        return this.#runLua('leaseRenew', [lease], [owner, ms]).then((renewed) =>
          renewed.ok
            ? parseReply('taskBegin', lease, [outputExists ? 2 : 1, owner])
            : parseReply('taskBegin', lease, [0, renewed.owner ?? '']),
        );
      },
      (err: unknown) => {
        throw toStorageError(err, lease, this.topology.shardOf(lease));
      },
    );
  }

  #runLua<N extends ScriptName>(
    name: N,
    keys: readonly string[],
    args: readonly ScriptArg[],
  ): Promise<ScriptResult<N>> {
    let target: CommandTarget;
    let spec: ScriptSpec;
    let evalArgs: CommandArg[];
    const first = keys[0] ?? '-';
    try {
      this.#checkOpen();
      spec = scriptSpec(name);
      evalArgs = scriptCallArgs(name, spec, keys, args, this.options.chunkBytes);
      target = this.topology.targetFor(first);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    // Replies that hand back stored values are read as bytes; the others as text.
    const binary = keys.length >= spec.valuesFromKeys;
    const send = (command: string): Promise<unknown> =>
      binary ? target.callBuffer(command, ...evalArgs) : target.call(command, evalArgs);
    return send('EVALSHA').then(
      (reply) => parseReply(name, first, reply),
      (err: unknown) => {
        if (!isNoScript(err)) throw toStorageError(err, first, this.topology.shardOf(first));
        evalArgs[0] = spec.source;
        return send('EVAL').then(
          (reply) => parseReply(name, first, reply),
          (evalErr: unknown) => {
            throw toStorageError(evalErr, first, this.topology.shardOf(first));
          },
        );
      },
    );
  }

  async appendEvent(job: string, event: Uint8Array, opts: AppendEventOptions = {}): Promise<string> {
    this.#checkOpen();
    const key = keyOf.events(job);
    if (event.byteLength > this.options.chunkBytes) {
      throw new ValueTooLarge(key, event.byteLength, this.options.chunkBytes, 'chunkBytes');
    }
    const ttlMs = checkTtlMs(opts.ttlMs ?? this.options.eventTtlMs, key);
    const trim: CommandArg[] = opts.maxLen === undefined ? [] : ['MAXLEN', opts.maxLen];
    const pipeline = this.topology.targetFor(key).pipeline();
    pipeline.call('XADD', key, ...trim, '*', EVENT_FIELD, asBuffer(event));
    pipeline.call('PEXPIRE', key, ttlMs);
    try {
      const [id] = unwrapPipeline((await pipeline.exec()) as PipelineReply, [key, key]);
      return String(id);
    } catch (err) {
      throw toStorageError(err, key, this.topology.shardOf(key));
    }
  }

  async readEvents(job: string, afterId: string, opts: ReadEventsOptions): Promise<StreamEvent[]> {
    this.#checkOpen();
    const key = keyOf.events(job);
    const count = opts.count ?? DEFAULT_READ_COUNT;
    const blockMs = opts.blockMs;
    if (!Number.isSafeInteger(blockMs) || blockMs < 0) {
      throw new InvalidOption('blockMs', `must be an integer >= 0 for ${key}, got ${String(blockMs)}`);
    }
    const from = afterId === '0' ? '0-0' : afterId;
    if (blockMs === 0) {
      if (from === '$') return [];
      try {
        return parseStreamReply(
          await this.topology.targetFor(key).callBuffer('XREAD', 'COUNT', count, 'STREAMS', key, from),
        );
      } catch (err) {
        throw toStorageError(err, key, this.topology.shardOf(key));
      }
    }
    const lease = await this.topology.acquireBlocking(key);
    // The blocking connection has no per-command timeout (it would fire during the block); this deadline
    // bounds the wait instead, and a connection that missed it is dropped, not reused.
    const deadlineMs = blockMs + this.options.commandTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new ShardUnreachable(
            this.topology.shardOf(key),
            `no reply to a ${blockMs} ms blocking read within ${deadlineMs} ms`,
          ),
        );
      }, deadlineMs);
    });
    try {
      const reply = await Promise.race([
        lease.target.callBuffer('XREAD', 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', key, from),
        expired,
      ]);
      lease.release(false);
      return parseStreamReply(reply);
    } catch (err) {
      lease.release(true);
      throw toStorageError(err, key, this.topology.shardOf(key));
    } finally {
      clearTimeout(timer);
    }
  }

  /** SCANs every shard for the job's keys (one pattern, see keys.jobKeyPattern) and deletes them. */
  async deleteJob(job: string, taskKeyRefs: readonly TaskRef[] = []): Promise<void> {
    this.#checkOpen();
    const pattern = jobKeyPattern(job);
    if (taskKeyRefs.length > 0) await this.delete(taskKeyRefs.flatMap((t) => taskKeys(job, t)));
    const shards = await this.topology.everyShard();
    await Promise.all(
      shards.map(async ({ target, shard }) => {
        let cursor = '0';
        do {
          let reply: [string, string[]];
          try {
            reply = (await target.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', SCAN_COUNT)) as [
              string,
              string[],
            ];
          } catch (err) {
            throw toStorageError(err, pattern, shard);
          }
          cursor = reply[0];
          if (reply[1].length > 0) {
            // On the node that returned the keys: one DEL for the batch on a standalone server; on a
            // cluster node one DEL per hash tag (a task's keys share one), as a multi-key command must
            // stay in one slot there.
            const groups = this.topology.multiKeyAcrossSlots ? [reply[1]] : groupByHashTag(reply[1]);
            const pipeline = target.pipeline();
            for (const group of groups) pipeline.call('DEL', ...group);
            try {
              unwrapPipeline((await pipeline.exec()) as PipelineReply, reply[1]);
            } catch (err) {
              throw toStorageError(err, pattern, shard);
            }
          }
        } while (cursor !== '0');
      }),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.topology.close();
  }
}

/** Keys grouped by hash tag, in first-seen order. */
function groupByHashTag(keys: readonly string[]): string[][] {
  const groups = new Map<string, string[]>();
  for (const key of keys) {
    const tag = hashTag(key);
    const group = groups.get(tag);
    if (group === undefined) groups.set(tag, [key]);
    else group.push(key);
  }
  return [...groups.values()];
}

/**
 * Validates a script call and builds the EVALSHA arguments: SHA1, numkeys, keys, args (the EVAL fallback
 * swaps the SHA1 for the source). Every key must
 * share the first key's hash tag (one slot: one shard, one cluster node), so a caller mixing tasks gets a
 * typed error rather than CROSSSLOT from a cluster or a silent split on shards.
 */
function scriptCallArgs(
  name: ScriptName,
  spec: ScriptSpec,
  keys: readonly string[],
  args: readonly ScriptArg[],
  maxArgBytes: number,
): CommandArg[] {
  const first = keys[0];
  if (keys.length < spec.numKeys || keys.length > spec.maxKeys || first === undefined) {
    throw new ScriptRejected(
      name,
      first ?? '-',
      -3,
      `takes ${spec.numKeys}..${spec.maxKeys} keys, got ${keys.length}`,
    );
  }
  const argv: CommandArg[] = [spec.sha1, keys.length, first];
  for (let i = 1; i < keys.length; i++) {
    const key = keys[i] as string;
    if (!sameHashTag(first, key)) {
      throw new ScriptRejected(name, key, -3, `keys do not share the hash tag of ${first}`);
    }
    argv.push(key);
  }
  for (const a of args) {
    if (typeof a === 'number' || typeof a === 'string') argv.push(a);
    else if (a.byteLength > maxArgBytes)
      throw new ValueTooLarge(first, a.byteLength, maxArgBytes, 'chunkBytes');
    else argv.push(asBuffer(a));
  }
  return argv;
}

/** The replies of a pipeline, throwing the first command error. */
function unwrapPipeline(replies: PipelineReply | null, keys: readonly string[]): unknown[] {
  if (replies === null) throw new Error(`pipeline over ${keys[0] ?? '?'} was discarded`);
  return replies.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/**
 * XREAD reply, buffers, or null on timeout. RESP2 gives [[key, entries], ...]; RESP3 (ioredis 6's default)
 * gives a map, which ioredis flattens to [key, entries, key, entries, ...]. Entries are [id, [field, value, ...]].
 */
function parseStreamReply(reply: unknown): StreamEvent[] {
  if (!Array.isArray(reply) || reply.length === 0) return [];
  const entryLists: [Buffer, Buffer[]][][] = [];
  if (Buffer.isBuffer(reply[0])) {
    for (let i = 1; i < reply.length; i += 2) entryLists.push(reply[i] as [Buffer, Buffer[]][]);
  } else {
    for (const stream of reply as [Buffer, [Buffer, Buffer[]][]][]) entryLists.push(stream[1]);
  }
  const events: StreamEvent[] = [];
  for (const entries of entryLists) {
    for (const [id, fields] of entries) {
      let data: Buffer | undefined;
      for (let i = 0; i + 1 < fields.length; i += 2) {
        if ((fields[i] as Buffer).toString() === EVENT_FIELD) data = fields[i + 1];
      }
      events.push({ id: id.toString(), data: data ?? new Uint8Array(0) });
    }
  }
  return events;
}

export type { CommandTarget };
