/**
 * `@wukong/storage/testing`: helpers for tests and benchmarks that need real Redis. They start
 * `redis-server` processes on free ports (never 6379) and a Redis Cluster of n masters, and stop them
 * again. This entry is separate from the package's main entry so that production code never loads it.
 */
export {
  clusterUrl,
  freePort,
  shardsUrl,
  startCluster,
  startRedis,
  startShards,
  stopAll,
  stopRedis,
  type RedisProcess,
  type StartRedisOptions,
} from './redis-servers.js';
