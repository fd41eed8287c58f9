// The conformance suite on RedisCluster over a real 3-master cluster made by `redis-cli --cluster create`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys, openStore, RedisCluster, type Store } from '../src/index.js';
import { defineConformanceSuite } from './harness/conformance.js';
import { clusterUrl, startCluster, stopAll, type RedisProcess } from './harness/redis-servers.js';

const CHUNK_BYTES = 64 * 1024;
const MAX_VALUE_BYTES = 4 * 1024 * 1024;
let nodes: RedisProcess[] = [];

beforeAll(async () => {
  nodes = await startCluster(3);
}, 60_000);
afterAll(async () => {
  await stopAll(nodes);
});

const open = (): Promise<Store> =>
  openStore(clusterUrl(nodes), {
    chunkBytes: CHUNK_BYTES,
    maxValueBytes: MAX_VALUE_BYTES,
    commandTimeoutMs: 10_000,
  });

defineConformanceSuite('RedisCluster (3 masters)', async () => {
  const store = await open();
  const peer = await open();
  return {
    store,
    peer,
    chunkBytes: CHUNK_BYTES,
    maxValueBytes: MAX_VALUE_BYTES,
    openAnother: open,
    teardown: async () => {
      await store.close();
      await peer.close();
    },
  };
});

describe('RedisCluster specifics', () => {
  it('reports the kind and names cluster nodes in shard names', async () => {
    const store = (await open()) as RedisCluster;
    try {
      expect(store.kind).toBe('redis-cluster');
      const name = store.shardOf(keys.out('j', 1));
      expect(nodes.some((n) => name.includes(`:${n.port}`))).toBe(true);
    } finally {
      await store.close();
    }
  });
});
