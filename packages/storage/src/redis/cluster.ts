// RedisCluster: the Store over a Redis Cluster, routed by ioredis `Cluster`.
//
// ioredis keeps the slot table and follows MOVED / ASK. Multi-key calls are grouped by the node set that
// serves each slot (the grouping ioredis requires of a cluster pipeline) and sent as one pipeline of
// single-key commands per node, all nodes in parallel. Blocking reads use a duplicate Cluster client from
// a small pool, so XREAD BLOCK never stalls the shared connections.
import { Cluster } from 'ioredis';
import { ShardUnreachable } from '../errors.js';
import { slotOf } from '../keys.js';
import { resolveRedisOptions, type RedisStoreOptions, type ResolvedRedisStoreOptions } from '../options.js';
import { RedisStore } from './redis-store.js';
import { toStorageError } from './errors.js';
import type { BlockingLease, CommandTarget, ShardGroup, Topology } from './topology.js';

export interface ClusterAddress {
  readonly host: string;
  readonly port: number;
}

export interface RedisClusterOptions extends RedisStoreOptions {
  /** Connect to the nodes with TLS (rediss-cluster://). @default false */
  useTls?: boolean;
}

class ClusterTopology implements Topology {
  readonly kind = 'redis-cluster' as const;
  readonly multiKeyAcrossSlots = false;
  readonly cluster: Cluster;
  readonly #target: CommandTarget;
  readonly #idleBlocking: Cluster[] = [];
  /** Every blocking client, idle or in use, so close() can end them all. */
  readonly #allBlocking = new Set<Cluster>();
  readonly #startup: string;
  readonly #options: ResolvedRedisStoreOptions;

  constructor(addresses: readonly ClusterAddress[], options: ResolvedRedisStoreOptions, useTls: boolean) {
    this.#options = options;
    this.#startup = addresses.map((a) => `${a.host}:${a.port}`).join(',');
    const tls = useTls || options.tls !== undefined ? { ...options.tls } : undefined;
    this.cluster = new Cluster(
      addresses.map((a) => ({ host: a.host, port: a.port })),
      {
        lazyConnect: true,
        enableOfflineQueue: true,
        slotsRefreshTimeout: options.connectTimeoutMs,
        clusterRetryStrategy: (attempt: number) => Math.min(100 * attempt, 1000),
        // With TLS the certificate names the host given, so keep it instead of resolving it to an address.
        ...(tls
          ? { dnsLookup: (address: string, cb: (err: null, address: string) => void) => cb(null, address) }
          : {}),
        redisOptions: {
          username: options.username,
          password: options.password,
          ...(tls ? { tls } : {}),
          connectTimeout: options.connectTimeoutMs,
          commandTimeout: options.commandTimeoutMs,
          maxRetriesPerRequest: options.retriesPerCommand,
        },
      },
    );
    this.cluster.on('error', () => undefined);
    this.#target = this.cluster as unknown as CommandTarget;
  }

  #nodeOfSlot(slot: number): string {
    return this.cluster.slots[slot]?.[0] ?? 'unknown node';
  }

  targetFor(): CommandTarget {
    return this.#target;
  }

  shardOf(key: string): string {
    const slot = slotOf(key);
    return `cluster node ${this.#nodeOfSlot(slot)} (slot ${slot})`;
  }

  groupByShard(keys: readonly string[]): ShardGroup[] {
    const byNodes = new Map<string, number[]>();
    keys.forEach((key, i) => {
      const slot = slotOf(key);
      const group = this.cluster.slots[slot]?.join(',') ?? `slot ${slot}`;
      const list = byNodes.get(group);
      if (list) list.push(i);
      else byNodes.set(group, [i]);
    });
    return [...byNodes].map(([nodes, indices]) => ({
      target: this.#target,
      shard: `cluster node ${nodes.split(',')[0]}`,
      indices,
    }));
  }

  async everyShard(): Promise<{ target: CommandTarget; shard: string }[]> {
    return this.cluster.nodes('master').map((node) => ({
      target: node as unknown as CommandTarget,
      shard: `cluster node ${node.options.host}:${node.options.port}`,
    }));
  }

  async acquireBlocking(): Promise<BlockingLease> {
    let client = this.#idleBlocking.pop();
    if (!client) {
      client = this.cluster.duplicate(undefined, {
        redisOptions: { ...this.cluster.options.redisOptions, commandTimeout: undefined },
      });
      client.on('error', () => undefined);
      this.#allBlocking.add(client);
    }
    const leased = client;
    return {
      target: leased as unknown as CommandTarget,
      release: (broken: boolean) => {
        if (broken) {
          this.#allBlocking.delete(leased);
          // After close() the connection is gone already; a second disconnect() would arm ioredis'
          // 2 s destroy timer on a socket that never closes again, keeping the process alive.
          if (leased.status !== 'end' && leased.status !== 'close') leased.disconnect();
        } else this.#idleBlocking.push(leased);
      },
    };
  }

  async connect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new ShardUnreachable(
              `cluster ${this.#startup}`,
              `not ready within ${this.#options.connectTimeoutMs} ms`,
            ),
          ),
        this.#options.connectTimeoutMs,
      );
    });
    try {
      await Promise.race([this.cluster.connect(), deadline]);
    } catch (err) {
      throw toStorageError(err, 'CONNECT', `cluster ${this.#startup}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.#idleBlocking.length = 0;
    for (const client of this.#allBlocking) client.disconnect();
    this.#allBlocking.clear();
    this.cluster.disconnect();
  }
}

/** A Store over a Redis Cluster. */
export class RedisCluster extends RedisStore {
  private constructor(topology: ClusterTopology, options: ResolvedRedisStoreOptions) {
    super(topology, options);
  }

  /** Connects through the startup nodes; ShardUnreachable when the cluster is not ready in time. */
  static async connect(
    addresses: readonly ClusterAddress[],
    opts: RedisClusterOptions = {},
  ): Promise<RedisCluster> {
    if (addresses.length === 0)
      throw new ShardUnreachable('no cluster node', 'RedisCluster needs at least one address');
    const options = resolveRedisOptions(opts);
    const topology = new ClusterTopology(addresses, options, opts.useTls ?? false);
    return RedisStore.connected(new RedisCluster(topology, options));
  }
}
