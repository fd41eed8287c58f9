// A shard dies mid-test: calls that need it fail promptly with ShardUnreachable naming it (never hang past
// the configured timeout), calls that do not need it keep working. Same for a cluster master.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  keys,
  openStore,
  RedisCluster,
  RedisShards,
  ShardUnreachable,
  slotOf,
  slotRanges,
  type Store,
} from '../src/index.js';
import {
  clusterUrl,
  shardsUrl,
  startCluster,
  startShards,
  stopAll,
  stopRedis,
  type RedisProcess,
} from '../src/testing/index.js';
import { HUNG, settleWithin as settle } from './harness/settle.js';

const COMMAND_TIMEOUT_MS = 1000;
const TIMEOUT_OPTIONS = { commandTimeoutMs: COMMAND_TIMEOUT_MS, connectTimeoutMs: 500 };
/** Generous bound that still proves "no hang": several times the configured timeout. */
const SETTLE_BOUND_MS = COMMAND_TIMEOUT_MS * 4;

const settleWithin = <T>(p: Promise<T>): Promise<T | unknown> => settle(p, SETTLE_BOUND_MS);

function expectUnreachable(result: unknown, port: number): void {
  expect(result).not.toBe(HUNG);
  expect(result).toBeInstanceOf(ShardUnreachable);
  expect((result as ShardUnreachable).code).toBe('SHARD_UNREACHABLE');
  expect((result as ShardUnreachable).shard).toContain(`:${port}`);
  expect((result as ShardUnreachable).message).toContain(`:${port}`);
}

/** A task index whose keys live on shard `shard` of `count`. */
function taskOnShard(job: string, shard: number, count = 3, from = 0): number {
  const owner = slotRanges(count);
  for (let t = from; ; t++) if (owner[slotOf(keys.out(job, t))] === shard) return t;
}

describe('RedisShards: a shard killed mid-test', () => {
  let servers: RedisProcess[] = [];
  let store: Store;

  beforeAll(async () => {
    servers = await startShards(3);
    store = await openStore(shardsUrl(servers), TIMEOUT_OPTIONS);
  });
  afterAll(async () => {
    await store?.close();
    await stopAll(servers);
  });

  it('fails calls on the dead shard with ShardUnreachable naming it, serves the others', async () => {
    const job = 'victim';
    const onDead = taskOnShard(job, 1);
    const onLive = taskOnShard(job, 0);
    await store.set(keys.out(job, onDead), new Uint8Array([1]), 60_000);
    await store.set(keys.out(job, onLive), new Uint8Array([2]), 60_000);
    const eventsJob = ['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7'].find(
      (j) => slotRanges(3)[slotOf(keys.events(j))] === 1,
    ) as string;
    const blockedRead = store.readEvents(eventsJob, '$', { blockMs: 30_000 });
    // It fails as soon as the shard's connection drops, which may be before it is awaited below.
    blockedRead.catch(() => undefined);
    await new Promise((r) => setTimeout(r, 50));

    const dead = servers[1] as RedisProcess;
    await stopRedis(dead);

    expectUnreachable(await settleWithin(blockedRead), dead.port);
    expectUnreachable(await settleWithin(store.get(keys.out(job, onDead))), dead.port);
    expectUnreachable(
      await settleWithin(store.mget([keys.out(job, onLive), keys.out(job, onDead)])),
      dead.port,
    );
    expectUnreachable(
      await settleWithin(
        store.runScript('fanIn', [keys.fanIn(job, onDead), keys.trigger(job, onDead)], [0, 2, 60_000]),
      ),
      dead.port,
    );
    expectUnreachable(
      await settleWithin(store.set(keys.out(job, onDead), new Uint8Array(3), 1000)),
      dead.port,
    );
    // The live shards still answer.
    expect(Array.from((await store.getRequired(keys.out(job, onLive))) as Uint8Array)).toEqual([2]);
    const other = taskOnShard(job, 2);
    await store.set(keys.out(job, other), new Uint8Array([3]), 60_000);
    expect(await store.exists(keys.out(job, other))).toBe(true);
    // A job-wide call that needs every shard fails, naming the dead one.
    expectUnreachable(await settleWithin(store.deleteJob(job)), dead.port);
  });

  it('openStore names the shard that does not answer', async () => {
    const dead = servers[1] as RedisProcess;
    const result = await settleWithin(openStore(shardsUrl(servers), TIMEOUT_OPTIONS));
    expectUnreachable(result, dead.port);
    expect(result).not.toBeInstanceOf(RedisShards);
  });
});

describe('RedisCluster: a master killed mid-test', () => {
  let nodes: RedisProcess[] = [];
  let store: RedisCluster;

  beforeAll(async () => {
    nodes = await startCluster(3);
    store = (await openStore(clusterUrl(nodes), TIMEOUT_OPTIONS)) as RedisCluster;
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await stopAll(nodes);
  });

  it('fails calls for the dead master with ShardUnreachable naming it', async () => {
    const dead = nodes[2] as RedisProcess;
    const job = 'cvictim';
    let task = 0;
    while (!store.shardOf(keys.out(job, task)).includes(`:${dead.port}`)) task++;
    const survivor = ((): number => {
      let t = 0;
      while (store.shardOf(keys.out(job, t)).includes(`:${dead.port}`)) t++;
      return t;
    })();
    await store.set(keys.out(job, task), new Uint8Array([1]), 60_000);
    await store.set(keys.out(job, survivor), new Uint8Array([2]), 60_000);
    await stopRedis(dead);
    expectUnreachable(await settleWithin(store.get(keys.out(job, task))), dead.port);
    expectUnreachable(
      await settleWithin(store.runScript('leaseAcquire', [keys.lease(job, task)], ['me', 1000])),
      dead.port,
    );
    expect(Array.from((await store.getRequired(keys.out(job, survivor))) as Uint8Array)).toEqual([2]);
  });
});
