// The conformance suite on RedisShards over three real redis-server processes, plus what only a sharded
// Redis store has: slot layout, chunks spread over shards, a lost chunk.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  keys,
  ObjectLost,
  openStore,
  RedisShards,
  slotOf,
  slotRanges,
  chunkKey,
  ScriptRejected,
  ScriptRejection,
  scriptSpec,
  TaskBeginCode,
} from '../src/index.js';
import { defineRedisConformanceSuite, redisOpener, REDIS_CHUNK_BYTES } from './harness/conformance.js';
import { startOldSetProxy } from './harness/old-set-proxy.js';
import { shardsUrl, startShards, stopAll, type RedisProcess } from '../src/testing/index.js';

let servers: RedisProcess[] = [];

beforeAll(async () => {
  servers = await startShards(3);
});
afterAll(async () => {
  await stopAll(servers);
});

const open = redisOpener(() => shardsUrl(servers));

defineRedisConformanceSuite('RedisShards (3 shards)', open);

describe('RedisShards specifics', () => {
  let store: RedisShards;
  let raw: Redis[];
  beforeAll(async () => {
    store = (await open()) as RedisShards;
    raw = servers.map((s) => new Redis({ host: s.host, port: s.port, lazyConnect: true }));
  });
  afterAll(async () => {
    await store.close();
    for (const r of raw) r.disconnect();
  });

  it('spreads the 16384 slots evenly in contiguous ranges', () => {
    const owner = slotRanges(3);
    const counts = [0, 0, 0];
    for (const s of owner) counts[s] = (counts[s] as number) + 1;
    expect(counts).toEqual([5461, 5461, 5462]);
    for (let i = 1; i < owner.length; i++)
      expect((owner[i] as number) - (owner[i - 1] as number)).toBeGreaterThanOrEqual(0);
  });

  it('stores every key of a task on the shard that owns its slot', async () => {
    const job = 'routing';
    const owner = slotRanges(3);
    for (let task = 0; task < 30; task++) {
      const key = keys.out(job, task);
      await store.set(key, new Uint8Array([task]), 60_000);
      const shard = owner[slotOf(key)] as number;
      expect(await (raw[shard] as Redis).exists(key)).toBe(1);
      for (const [i, r] of raw.entries()) if (i !== shard) expect(await r.exists(key)).toBe(0);
      expect(store.shardOf(key)).toContain(`:${(servers[shard] as RedisProcess).port}`);
    }
  });

  it('spreads the chunks of a large value over the shards, and a missing chunk is ObjectLost', async () => {
    const key = keys.out('chunky', 0);
    const value = new Uint8Array(REDIS_CHUNK_BYTES * 12).map((_, i) => i % 251);
    await store.set(key, value, 60_000);
    const perShard = await Promise.all(raw.map((r) => r.keys('wk:chunk:{chunky:0#*')));
    expect(perShard.flat()).toHaveLength(12);
    expect(perShard.filter((list) => list.length > 0).length).toBeGreaterThan(1);
    const victim = perShard.flat()[5] as string;
    const shard = perShard.findIndex((list) => list.includes(victim));
    await (raw[shard] as Redis).del(victim);
    const err = await store.get(key).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ObjectLost);
    expect((err as ObjectLost).key).toBe(victim);
    expect((err as ObjectLost).shard).toContain(`:${(servers[shard] as RedisProcess).port}`);
    // delete also removes the remaining chunks
    await store.delete([key]);
    const left = await Promise.all(raw.map((r) => r.keys('wk:chunk:{chunky:0#*')));
    expect(left.flat()).toEqual([]);
  });

  it('builds chunk keys with their own hash tag per chunk', () => {
    const a = chunkKey(keys.out('j', 1), 'w1', 0);
    const b = chunkKey(keys.out('j', 1), 'w1', 1);
    expect(a).toBe('wk:chunk:{j:1#w1.0}:out');
    expect(slotOf(a)).not.toBe(slotOf(b));
  });

  it('re-loads scripts after the server forgot them (NOSCRIPT -> EVAL)', async () => {
    const k = [keys.fanIn('noscript', 1), keys.trigger('noscript', 1)];
    expect((await store.runScript('fanIn', k, [0, 2, 60_000])).arrived).toBe(1);
    for (const r of raw) await r.script('FLUSH');
    expect(await store.runScript('fanIn', k, [1, 2, 60_000])).toMatchObject({
      holdsTrigger: true,
      arrived: 2,
    });
    const shard = slotRanges(3)[slotOf(k[0] as string)] as number;
    expect(
      await (raw[shard] as Redis).script('EXISTS', '1b240460cf3133d6402abb5d23b41fb75459f8ca'),
    ).toBeDefined();
  });
  it('begins tasks with SET NX GET and EXISTS, not a script, on Redis 7', async () => {
    const job = `jnative${Date.now().toString(36)}`;
    const lease = keys.lease(job, 3);
    const shard = raw[slotRanges(3)[slotOf(lease)] as number] as Redis;
    const calls = async (): Promise<Record<string, number>> => {
      const info = (await shard.info('commandstats')) as string;
      return Object.fromEntries(
        [...info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((m) => [m[1], Number(m[2])]),
      );
    };
    const before = await calls();
    const r = await store.runScript('taskBegin', [lease, keys.out(job, 3)], ['x', 30_000, 'done']);
    expect(r).toMatchObject({ code: TaskBeginCode.Compute, owner: 'x' });
    const after = await calls();
    expect((after.set ?? 0) - (before.set ?? 0)).toBe(1);
    expect((after.exists ?? 0) - (before.exists ?? 0)).toBe(1);
    expect(after.evalsha ?? 0).toBe(before.evalsha ?? 0);
    expect(Number(await shard.pttl(lease))).toBeGreaterThan(25_000);
    await store.deleteJob(job);
  });

  it('sends the fan-in calls for one child made in one turn as one fanInBatch script', async () => {
    const job = `jbatch${Date.now().toString(36)}`;
    const keysOf = (child: number): string[] => [
      keys.fanIn(job, child),
      keys.trigger(job, child),
      keys.hold(job, child),
      keys.inputs(job, child),
    ];
    const k = keysOf(7);
    // Script calls on every shard (each child's keys live on the shard of its hash tag).
    const scripts = async (): Promise<number> => {
      let n = 0;
      for (const r of raw) {
        const info = (await r.info('commandstats')) as string;
        n += Number(/^cmdstat_evalsha:calls=(\d+)/m.exec(info)?.[1] ?? 0);
        n += Number(/^cmdstat_eval:calls=(\d+)/m.exec(info)?.[1] ?? 0);
      }
      return n;
    };
    // Loaded beforehand: a server that does not know a script answers NOSCRIPT, then runs EVAL.
    for (const r of raw) {
      await r.script('LOAD', scriptSpec('fanInBatch').source);
      await r.script('LOAD', scriptSpec('fanIn').source);
    }
    const before = await scripts();
    // 50 parents of a child of 60, one of them twice: one script; then the last 10 in the next turn.
    const first = await Promise.all(
      [...Array.from({ length: 50 }, (_, p) => p), 3].map((p) =>
        store.runScript('fanIn', k, [p, 60, 60_000, Uint8Array.of(p)]),
      ),
    );
    expect(await scripts()).toBe(before + 1);
    expect(first.map((r) => r.arrived)).toEqual([...Array.from({ length: 50 }, (_, i) => i + 1), 50]);
    expect(first.every((r) => r.code === 0)).toBe(true);
    const last = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        store.runScript('fanIn', k, [50 + i, 60, 60_000, Uint8Array.of(50 + i)]),
      ),
    );
    expect(await scripts()).toBe(before + 2);
    const holders = last.filter((r) => r.holdsTrigger);
    expect(holders).toHaveLength(1);
    expect(holders[0]).toMatchObject({ holder: '59', arrived: 60 });
    expect(holders[0]!.carried?.map(([p]) => p).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 60 }, (_, i) => i),
    );
    // A call the batch refuses is rejected on its own, as fanIn would; the others stand.
    const k9 = keysOf(9);
    const before9 = await scripts();
    const settled = await Promise.allSettled(
      [0, 5, 1, 2].map((p) => store.runScript('fanIn', k9, [p, 3, 60_000, ''])),
    );
    expect(await scripts()).toBe(before9 + 1);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(((settled[1] as PromiseRejectedResult).reason as ScriptRejected).rejection).toBe(
      ScriptRejection.InvalidParent,
    );
    expect((settled[3] as PromiseFulfilledResult<{ holdsTrigger: boolean }>).value.holdsTrigger).toBe(true);
    // A child of two parents is fanned in call by call.
    const k10 = keysOf(10);
    const before10 = await scripts();
    await Promise.all([0, 1].map((p) => store.runScript('fanIn', k10, [p, 2, 60_000, ''])));
    expect(await scripts()).toBe(before10 + 2);
    // Calls batch by the child's keys, equal but not the same array; one whose other arguments differ
    // from the first call's (here the TTL) goes alone.
    const before11 = await scripts();
    const eleven = await Promise.all([
      ...[0, 1, 2].map((p) => store.runScript('fanIn', keysOf(11), [p, 5, 60_000, ''])),
      store.runScript('fanIn', keysOf(11), [3, 5, 30_000, '']),
    ]);
    expect(await scripts()).toBe(before11 + 2);
    expect(eleven.map((r) => r.arrived).sort()).toEqual([1, 2, 3, 4]);
    await store.deleteJob(job);
  });

  it('begins tasks with the Lua script on a server that refuses SET NX GET (before Redis 7.0)', async () => {
    const proxy = await startOldSetProxy(servers[0]!);
    const old = await openStore(`redis://127.0.0.1:${proxy.port}`);
    try {
      const job = `jold${Date.now().toString(36)}`;
      const k = [keys.lease(job, 1), keys.out(job, 1)];
      const begin = (owner: string) => old.runScript('taskBegin', k, [owner, 30_000, 'done']);
      expect(await begin('a')).toMatchObject({ code: TaskBeginCode.Compute, owner: 'a' });
      // The first call tried the native command, was refused, and switched the store to the script.
      expect(proxy.rewritten).toBe(1);
      expect(await begin('b')).toMatchObject({ code: TaskBeginCode.HeldByOther, owner: 'a' });
      await old.set(keys.out(job, 1), Uint8Array.of(1), 60_000);
      expect(await begin('a')).toMatchObject({ code: TaskBeginCode.Resume, leased: true });
      expect(proxy.rewritten).toBe(1);
      await old.deleteJob(job);
    } finally {
      await old.close();
      await proxy.close();
    }
  });
});
