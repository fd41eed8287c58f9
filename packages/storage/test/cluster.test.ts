// The conformance suite on RedisCluster over a real 3-master cluster made by `redis-cli --cluster create`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { keys, ObjectLost, RedisCluster } from '../src/index.js';
import { defineRedisConformanceSuite, redisOpener, REDIS_CHUNK_BYTES } from './harness/conformance.js';
import { clusterUrl, startCluster, stopAll, type RedisProcess } from '../src/testing/index.js';

let nodes: RedisProcess[] = [];

beforeAll(async () => {
  nodes = await startCluster(3);
}, 60_000);
afterAll(async () => {
  await stopAll(nodes);
});

const open = redisOpener(() => clusterUrl(nodes));

defineRedisConformanceSuite('RedisCluster (3 masters)', open);

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

  it('spreads chunks over the masters; a missing chunk is ObjectLost naming its node', async () => {
    const store = (await open()) as RedisCluster;
    const raw = nodes.map((n) => new Redis({ host: n.host, port: n.port }));
    try {
      const key = keys.out('cchunky', 0);
      const value = new Uint8Array(REDIS_CHUNK_BYTES * 9).map((_, i) => (i * 13) % 256);
      await store.set(key, value, 60_000);
      expect(Buffer.from(await store.getRequired(key)).equals(Buffer.from(value))).toBe(true);
      const perNode = await Promise.all(raw.map((r) => r.keys('wk:chunk:{cchunky:0#*')));
      expect(perNode.flat()).toHaveLength(9);
      expect(perNode.filter((list) => list.length > 0).length).toBeGreaterThan(1);
      const node = perNode.findIndex((list) => list.length > 0);
      const victim = (perNode[node] as string[])[0] as string;
      await (raw[node] as Redis).del(victim);
      const err = await store.get(key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectLost);
      expect((err as ObjectLost).key).toBe(victim);
      expect((err as ObjectLost).shard).toContain(`:${(nodes[node] as RedisProcess).port}`);
    } finally {
      raw.forEach((r) => r.disconnect());
      await store.close();
    }
  });
});
