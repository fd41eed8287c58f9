// What the Redis store needs to know about where keys live. RedisShards (client-side routing over
// standalone servers) and RedisCluster (ioredis Cluster) each provide one; redis-store.ts implements the
// Store interface once on top of it.

/** Argument of a raw Redis command. */
export type CommandArg = string | number | Buffer;

/**
 * Commands sent together by `exec`, which gives each command's [error, reply] in order: a command the server
 * refuses has its error in its slot; a transport failure rejects the whole exec. ioredis pipelines (used by
 * RedisCluster) have this shape as they are.
 */
export interface CommandPipeline {
  call(command: string, ...args: CommandArg[]): CommandPipeline;
  callBuffer(command: string, ...args: CommandArg[]): CommandPipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/**
 * What the store needs of a connection: raw commands and pipelines. Provided by RespConnection (one
 * standalone server) and by an ioredis Cluster.
 */
export interface CommandTarget {
  call(command: string, ...args: CommandArg[]): Promise<unknown>;
  /** The same with the arguments as one array (saves a spread on hot paths). */
  call(command: string, args: CommandArg[]): Promise<unknown>;
  callBuffer(command: string, ...args: CommandArg[]): Promise<unknown>;
  pipeline(): CommandPipeline;
  /**
   * Runs `issue` just before this turn's commands are written, its own commands included in that write.
   * Only the store's RESP connections have it (not ioredis), and calls are gathered only where it exists.
   */
  beforeWrite?(issue: () => void): void;
}

/** Keys that live on one shard (one standalone server, or the slots one cluster node serves). */
export interface ShardGroup {
  readonly target: CommandTarget;
  /** Names the shard in errors. */
  readonly shard: string;
  /** Positions of the group's keys in the caller's key list. */
  readonly indices: number[];
}

/** A connection reserved for one blocking command (XREAD BLOCK must not stall the shared connection). */
export interface BlockingLease {
  readonly target: CommandTarget;
  /** Returns the connection to the pool, or drops it when `broken` (e.g. after a client-side timeout). */
  release(broken: boolean): void;
}

export interface Topology {
  readonly kind: 'redis-shards' | 'redis-cluster';
  /**
   * Whether one multi-key command (DEL) may carry keys of different slots on the same shard.
   * True for standalone servers; false on Redis Cluster (CROSSSLOT), which gets pipelines of single-key
   * commands instead.
   */
  readonly multiKeyAcrossSlots: boolean;
  /** The connection that serves `key`. */
  targetFor(key: string): CommandTarget;
  /** The name of the shard that serves `key`, for errors (only computed on error paths). */
  shardOf(key: string): string;
  /** Splits keys per shard. */
  groupByShard(keys: readonly string[]): ShardGroup[];
  /** One connection per shard / master node (for SCAN). */
  everyShard(): Promise<{ target: CommandTarget; shard: string }[]>;
  /** A dedicated connection for a blocking read of `key`. */
  acquireBlocking(key: string): Promise<BlockingLease>;
  /** Connects and checks every shard answers; throws ShardUnreachable naming the first that does not. */
  connect(): Promise<void>;
  close(): Promise<void>;
}
