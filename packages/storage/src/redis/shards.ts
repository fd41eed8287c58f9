// RedisShards: N independent standalone redis-server instances with client-side routing.
//
// A key goes to the shard that owns its hash slot, computed exactly as Redis Cluster does (CRC16 of the
// hash tag mod 16384, keys.slotOf). The 16384 slots are cut into N contiguous ranges of (almost) equal size,
// the layout `redis-cli --cluster create` gives N masters: shard i owns slots [⌊16384·i/N⌋, ⌊16384·(i+1)/N⌋).
// All keys of one task share a tag, so a script never spans shards. Standalone servers accept multi-key
// commands across slots, so DEL carries one command per shard.
//
// Each shard has one command connection (RespConnection: a lean RESP2 client that batches the commands of
// one event-loop turn into one write) shared by every caller, and a small pool of blocking connections for
// XREAD BLOCK, made on demand, without a command timeout (the store bounds the blocking wait itself).
import { ShardUnreachable } from '../errors.js';
import { slotOf } from '../keys.js';
import { resolveRedisOptions, type RedisStoreOptions, type ResolvedRedisStoreOptions } from '../options.js';
import { RedisStore } from './redis-store.js';
import { toStorageError } from './errors.js';
import { RespConnection, type RespConnectionOptions } from './resp.js';
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
  readonly connection: RespConnection;
  /** Options of the shard's blocking connections: the command connection's, without a command timeout. */
  readonly blockingOptions: RespConnectionOptions;
  readonly idleBlocking: RespConnection[];
  /** Every blocking connection, idle or in use, so close() can end them all. */
  readonly allBlocking: Set<RespConnection>;
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
      const connectionOptions: RespConnectionOptions = {
        host: address.host,
        port: address.port,
        username: options.username ?? address.username,
        password: options.password ?? address.password,
        db: address.db ?? 0,
        tls,
        connectTimeoutMs: options.connectTimeoutMs,
        commandTimeoutMs: options.commandTimeoutMs,
      };
      // The connection reconnects forever with a short capped backoff: a shard that comes back serves
      // again, and callers in the meantime fail promptly with ShardUnreachable instead of hanging.
      const shard: Shard = {
        index,
        name: `shard ${index} (${address.host}:${address.port})`,
        connection: new RespConnection(connectionOptions),
        blockingOptions: { ...connectionOptions, commandTimeoutMs: undefined },
        idleBlocking: [],
        allBlocking: new Set(),
      };
      return shard;
    });
  }

  #shardOfKey(key: string): Shard {
    if (this.shards.length === 1) return this.shards[0] as Shard;
    return this.shards[this.#slotOwner[slotOf(key)] as number] as Shard;
  }

  targetFor(key: string): CommandTarget {
    return this.#shardOfKey(key).connection;
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
    return [...byShard].map(([shard, indices]) => ({ target: shard.connection, shard: shard.name, indices }));
  }

  async everyShard(): Promise<{ target: CommandTarget; shard: string }[]> {
    return this.shards.map((s) => ({ target: s.connection, shard: s.name }));
  }

  async acquireBlocking(key: string): Promise<BlockingLease> {
    const shard = this.#shardOfKey(key);
    let connection = shard.idleBlocking.pop();
    if (!connection) {
      connection = new RespConnection(shard.blockingOptions);
      shard.allBlocking.add(connection);
    }
    const leased = connection;
    return {
      target: leased,
      release: (broken: boolean) => {
        if (broken) {
          shard.allBlocking.delete(leased);
          leased.close();
        } else shard.idleBlocking.push(leased);
      },
    };
  }

  async connect(): Promise<void> {
    await Promise.all(
      this.shards.map(async (shard) => {
        try {
          await shard.connection.connect();
          await shard.connection.call('PING');
        } catch (err) {
          throw toStorageError(err, 'PING', shard.name);
        }
      }),
    );
  }

  async close(): Promise<void> {
    for (const shard of this.shards) {
      shard.idleBlocking.length = 0;
      for (const connection of shard.allBlocking) connection.close();
      shard.allBlocking.clear();
      shard.connection.close();
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
