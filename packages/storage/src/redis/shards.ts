// RedisShards: N independent standalone redis-server instances with client-side routing.
//
// A key goes to the shard that owns its hash slot, computed exactly as Redis Cluster does (CRC16 of the
// hash tag mod 16384, keys.slotOf). The 16384 slots are cut into N contiguous ranges of (almost) equal size,
// the layout `redis-cli --cluster create` gives N masters: shard i owns slots [⌊16384·i/N⌋, ⌊16384·(i+1)/N⌋).
// All keys of one task share a tag, so a script never spans shards. Standalone servers accept multi-key
// commands across slots, so DEL carries one command per shard.
import { BatchingTarget } from './batching.js';
import { Redis } from 'ioredis';
import { ShardUnreachable } from '../errors.js';
import { slotOf } from '../keys.js';
import { resolveRedisOptions, type RedisStoreOptions, type ResolvedRedisStoreOptions } from '../options.js';
import { RedisStore } from './redis-store.js';
import { toStorageError } from './errors.js';
import type { BlockingLease, CommandTarget, ShardGroup, Topology } from './topology.js';

export const SLOT_COUNT = 16384;

/** Address of one standalone server. Credentials and TLS here override the store options. */
export interface ShardAddress {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  /** Logical database index. @default 0 */
  readonly db?: number;
  /** Use TLS (rediss://). @default false */
  readonly tls?: boolean;
}

interface Shard {
  readonly index: number;
  readonly name: string;
  readonly client: Redis;
  readonly target: CommandTarget;
  readonly idleBlocking: Redis[];
  /** Every blocking connection, idle or in use, so close() can end them all. */
  readonly allBlocking: Set<Redis>;
  lastError: Error | undefined;
}

/** Owner shard of every slot: contiguous, even ranges. */
export function slotRanges(shardCount: number): Uint16Array {
  const owner = new Uint16Array(SLOT_COUNT);
  for (let i = 0; i < shardCount; i++) {
    const start = Math.floor((SLOT_COUNT * i) / shardCount);
    const end = Math.floor((SLOT_COUNT * (i + 1)) / shardCount);
    owner.fill(i, start, end);
  }
  return owner;
}

class ShardsTopology implements Topology {
  readonly kind = 'redis-shards' as const;
  readonly multiKeyAcrossSlots = true;
  readonly shards: Shard[];
  readonly #slotOwner: Uint16Array;

  constructor(addresses: readonly ShardAddress[], options: ResolvedRedisStoreOptions) {
    this.#slotOwner = slotRanges(addresses.length);
    this.shards = addresses.map((address, index) => {
      const tls = address.tls || options.tls !== undefined ? { ...options.tls } : undefined;
      const client = new Redis({
        host: address.host,
        port: address.port,
        username: options.username ?? address.username,
        password: options.password ?? address.password,
        db: address.db ?? 0,
        ...(tls ? { tls } : {}),
        connectTimeout: options.connectTimeoutMs,
        commandTimeout: options.commandTimeoutMs,
        maxRetriesPerRequest: options.retriesPerCommand,
        enableOfflineQueue: true,
        lazyConnect: true,
        // Reconnect forever with a short capped backoff: a shard that comes back serves again, and callers
        // in the meantime fail after `commandTimeoutMs` / `retriesPerCommand` instead of hanging.
        retryStrategy: (attempt: number) => Math.min(50 * attempt, 1000),
      });
      const shard: Shard = {
        index,
        name: `shard ${index} (${address.host}:${address.port})`,
        client,
        target: new BatchingTarget(client),
        idleBlocking: [],
        allBlocking: new Set(),
        lastError: undefined,
      };
      // ioredis emits connection errors as events; callers see them as typed errors on their commands.
      client.on('error', (err: Error) => (shard.lastError = err));
      return shard;
    });
  }

  #shardOfKey(key: string): Shard {
    if (this.shards.length === 1) return this.shards[0] as Shard;
    return this.shards[this.#slotOwner[slotOf(key)] as number] as Shard;
  }

  targetFor(key: string): CommandTarget {
    return this.#shardOfKey(key).target;
  }

  shardOf(key: string): string {
    return this.#shardOfKey(key).name;
  }

  groupByShard(keys: readonly string[]): ShardGroup[] {
    const byShard = new Map<Shard, number[]>();
    keys.forEach((key, i) => {
      const shard = this.#shardOfKey(key);
      const list = byShard.get(shard);
      if (list) list.push(i);
      else byShard.set(shard, [i]);
    });
    return [...byShard].map(([shard, indices]) => ({ target: shard.target, shard: shard.name, indices }));
  }

  async everyShard(): Promise<{ target: CommandTarget; shard: string }[]> {
    return this.shards.map((s) => ({ target: s.target, shard: s.name }));
  }

  async acquireBlocking(key: string): Promise<BlockingLease> {
    const shard = this.#shardOfKey(key);
    let client = shard.idleBlocking.pop();
    if (!client) {
      client = shard.client.duplicate({ commandTimeout: undefined });
      client.on('error', () => undefined);
      shard.allBlocking.add(client);
    }
    const leased = client;
    return {
      target: leased as unknown as CommandTarget,
      release: (broken: boolean) => {
        if (broken) {
          shard.allBlocking.delete(leased);
          // After close() the connection is gone already; a second disconnect() would arm ioredis'
          // 2 s destroy timer on a socket that never closes again, keeping the process alive.
          if (leased.status !== 'end' && leased.status !== 'close') leased.disconnect();
        } else shard.idleBlocking.push(leased);
      },
    };
  }

  async connect(): Promise<void> {
    await Promise.all(
      this.shards.map(async (shard) => {
        try {
          await shard.client.call('PING');
        } catch (err) {
          throw toStorageError(err, 'PING', shard.name);
        }
      }),
    );
  }

  async close(): Promise<void> {
    for (const shard of this.shards) {
      shard.idleBlocking.length = 0;
      for (const client of shard.allBlocking) client.disconnect();
      shard.allBlocking.clear();
      shard.client.disconnect();
    }
  }
}

/** A Store over N standalone redis-server instances with client-side routing by hash slot. */
export class RedisShards extends RedisStore {
  readonly shardNames: readonly string[];

  private constructor(topology: ShardsTopology, options: ResolvedRedisStoreOptions) {
    super(topology, options);
    this.shardNames = topology.shards.map((s) => s.name);
  }

  /** Connects to every shard and checks that each answers; ShardUnreachable names the first that does not. */
  static async connect(
    addresses: readonly ShardAddress[],
    opts: RedisStoreOptions = {},
  ): Promise<RedisShards> {
    if (addresses.length === 0)
      throw new ShardUnreachable('no shard', 'RedisShards needs at least one address');
    const options = resolveRedisOptions(opts);
    const topology = new ShardsTopology(addresses, options);
    return RedisStore.connected(new RedisShards(topology, options));
  }
}
