// The one conformance suite every Store implementation passes (RedisShards, RedisCluster, MemoryStore and
// its worker-thread client). A backend test file calls `defineConformanceSuite` with a factory; each run
// uses fresh random job ids so suites can share servers.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  keys,
  FanInCode,
  FanInHoldCode,
  LeaseCode,
  TaskBeginCode,
  ObjectLost,
  ScriptRejected,
  ScriptRejection,
  StoreClosed,
  ValueTooLarge,
  WrongKeyType,
  CommandFailed,
  InvalidOption,
  StorageError,
  openStore,
  encodeTensor,
  decodeTensor,
  type Store,
} from '../../src/index.js';

export interface ConformanceTarget {
  /** A store whose values above `chunkBytes` are chunked (Redis) and whose maxValueBytes is `maxValueBytes`. */
  readonly store: Store;
  /** A second, independent store on the same data (to prove fan-in atomicity across clients). */
  readonly peer?: Store;
  /** The configured chunk size (to exercise chunked values), if the backend chunks. */
  readonly chunkBytes?: number;
  /** The configured maxValueBytes. */
  readonly maxValueBytes: number;
  /** Opens one more store on the same data, closed by the suite (used for close semantics). */
  readonly openAnother: () => Promise<Store>;
  readonly teardown?: () => Promise<void>;
}

const TTL_MS = 60_000;

/** Sizes of the Redis stores under test: small chunks, so chunked values are exercised cheaply. */
export const REDIS_CHUNK_BYTES = 64 * 1024;
export const REDIS_MAX_VALUE_BYTES = 4 * 1024 * 1024;

/** Opens a Redis store (shards or cluster, by URL) with the sizes above. */
export function redisOpener(url: () => string): () => Promise<Store> {
  return () =>
    openStore(url(), {
      chunkBytes: REDIS_CHUNK_BYTES,
      maxValueBytes: REDIS_MAX_VALUE_BYTES,
      commandTimeoutMs: 10_000,
    });
}

/** The conformance suite on Redis stores made by `open`: the store under test and an independent peer. */
export function defineRedisConformanceSuite(name: string, open: () => Promise<Store>): void {
  defineConformanceSuite(name, async () => {
    const store = await open();
    const peer = await open();
    return {
      store,
      peer,
      chunkBytes: REDIS_CHUNK_BYTES,
      maxValueBytes: REDIS_MAX_VALUE_BYTES,
      openAnother: open,
      teardown: async () => {
        await store.close();
        await peer.close();
      },
    };
  });
}

function jobId(): string {
  return `job-${randomBytes(6).toString('hex')}`;
}

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Deterministic PRNG so a failing race reproduces. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function defineConformanceSuite(name: string, factory: () => Promise<ConformanceTarget>): void {
  describe(`Store conformance: ${name}`, () => {
    let target: ConformanceTarget;
    let store: Store;

    beforeAll(async () => {
      target = await factory();
      store = target.store;
    });

    afterAll(async () => {
      await target?.teardown?.();
    });

    it('returns null for a missing key and ObjectLost naming key and shard from getRequired', async () => {
      const key = keys.out(jobId(), 7);
      expect(await store.get(key)).toBeNull();
      expect(await store.exists(key)).toBe(false);
      const err = await store.getRequired(key).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ObjectLost);
      expect((err as ObjectLost).code).toBe('OBJECT_LOST');
      expect((err as ObjectLost).key).toBe(key);
      expect((err as ObjectLost).shard.length).toBeGreaterThan(0);
      expect((err as ObjectLost).message).toContain(key);
    });

    it('round-trips binary values byte for byte, including empty and zero bytes', async () => {
      const job = jobId();
      const values = [new Uint8Array(0), new Uint8Array([0, 0, 0]), bytes(1000, 3), bytes(70_000, 4)];
      for (const [i, value] of values.entries()) {
        await store.set(keys.out(job, i), value, TTL_MS);
      }
      for (const [i, value] of values.entries()) {
        const got = await store.getRequired(keys.out(job, i));
        expect(Buffer.from(got).equals(Buffer.from(value))).toBe(true);
        expect(await store.exists(keys.out(job, i))).toBe(true);
      }
    });

    it('set replaces, setIfAbsent writes only once', async () => {
      const key = keys.out(jobId(), 'a');
      expect(await store.setIfAbsent(key, bytes(10, 1), TTL_MS)).toBe(true);
      expect(await store.setIfAbsent(key, bytes(10, 2), TTL_MS)).toBe(false);
      expect(Buffer.from(await store.getRequired(key)).equals(Buffer.from(bytes(10, 1)))).toBe(true);
      await store.set(key, bytes(12, 5), TTL_MS);
      expect(Buffer.from(await store.getRequired(key)).equals(Buffer.from(bytes(12, 5)))).toBe(true);
    });

    it('lets exactly one of many racing setIfAbsent calls win, and keeps the winner value', async () => {
      const key = keys.out(jobId(), 'race');
      const size = target.chunkBytes ? target.chunkBytes * 2 + 17 : 5000;
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) => store.setIfAbsent(key, bytes(size, i + 1), TTL_MS)),
      );
      expect(results.filter(Boolean)).toHaveLength(1);
      const winner = results.indexOf(true);
      expect(Buffer.from(await store.getRequired(key)).equals(Buffer.from(bytes(size, winner + 1)))).toBe(
        true,
      );
    });

    it('expires values after their TTL', async () => {
      const job = jobId();
      await store.set(keys.out(job, 1), bytes(10, 1), 40);
      expect(await store.setIfAbsent(keys.out(job, 2), bytes(10, 2), 40)).toBe(true);
      await store.set(keys.out(job, 3), bytes(10, 3), TTL_MS);
      await sleep(150);
      expect(await store.get(keys.out(job, 1))).toBeNull();
      expect(await store.exists(keys.out(job, 2))).toBe(false);
      expect(await store.get(keys.out(job, 3))).not.toBeNull();
    });

    it('mget returns values in key order across shards, null for missing keys', async () => {
      const job = jobId();
      const all = Array.from({ length: 120 }, (_, i) => keys.out(job, i));
      for (let i = 0; i < all.length; i += 2) await store.set(all[i] as string, bytes(64, i + 1), TTL_MS);
      const got = await store.mget(all);
      expect(got).toHaveLength(all.length);
      got.forEach((value, i) => {
        if (i % 2 === 0)
          expect(Buffer.from(value as Uint8Array).equals(Buffer.from(bytes(64, i + 1)))).toBe(true);
        else expect(value).toBeNull();
      });
      expect(await store.mget([])).toEqual([]);
    });

    it('delete removes keys and counts those that existed', async () => {
      const job = jobId();
      const ks = [keys.out(job, 1), keys.out(job, 2), keys.out(job, 3)];
      await store.set(ks[0] as string, bytes(5, 1), TTL_MS);
      await store.set(ks[2] as string, bytes(5, 2), TTL_MS);
      expect(await store.delete(ks)).toBe(2);
      expect(await store.mget(ks)).toEqual([null, null, null]);
      expect(await store.delete([])).toBe(0);
    });

    it('stores values above the chunk size transparently (get, mget, setIfAbsent, delete)', async () => {
      const job = jobId();
      const size = (target.chunkBytes ?? 64 * 1024) * 3 + 1234;
      const big = bytes(size, 99);
      await store.set(keys.out(job, 'big'), big, TTL_MS);
      const got = await store.getRequired(keys.out(job, 'big'));
      expect(got.byteLength).toBe(size);
      expect(Buffer.from(got).equals(Buffer.from(big))).toBe(true);
      await store.set(keys.out(job, 'small'), bytes(10, 1), TTL_MS);
      const [a, b, c] = await store.mget([
        keys.out(job, 'small'),
        keys.out(job, 'big'),
        keys.out(job, 'none'),
      ]);
      expect(Buffer.from(a as Uint8Array).equals(Buffer.from(bytes(10, 1)))).toBe(true);
      expect(Buffer.from(b as Uint8Array).equals(Buffer.from(big))).toBe(true);
      expect(c).toBeNull();
      expect(await store.setIfAbsent(keys.out(job, 'big'), bytes(size, 5), TTL_MS)).toBe(false);
      expect(Buffer.from(await store.getRequired(keys.out(job, 'big'))).equals(Buffer.from(big))).toBe(true);
      expect(await store.delete([keys.out(job, 'big')])).toBe(1);
      expect(await store.get(keys.out(job, 'big'))).toBeNull();
    });

    it('rejects values above maxValueBytes with ValueTooLarge', async () => {
      const key = keys.out(jobId(), 'huge');
      const err = await store
        .set(key, new Uint8Array(target.maxValueBytes + 1), TTL_MS)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValueTooLarge);
      expect((err as ValueTooLarge).code).toBe('VALUE_TOO_LARGE');
      expect((err as ValueTooLarge).key).toBe(key);
      expect(await store.exists(key)).toBe(false);
    });

    it('round-trips an encoded tensor', async () => {
      const key = keys.out(jobId(), 't');
      const data = Float64Array.from({ length: 3 * 5 }, (_, i) => i * 0.5 - 3);
      await store.set(key, encodeTensor({ dtype: 'f64', shape: [3, 5], data }), TTL_MS);
      const nd = decodeTensor(await store.getRequired(key), key);
      expect(nd.dtype).toBe('f64');
      expect(nd.shape).toEqual([3, 5]);
      expect(Array.from(nd.data)).toEqual(Array.from(data));
    });

    describe('fanIn script', () => {
      it('records parents by position, triggers once on completion, re-tells the holder', async () => {
        const job = jobId();
        const k = [keys.fanIn(job, 9), keys.trigger(job, 9)];
        const call = (parent: number) => store.runScript('fanIn', k, [parent, 3, TTL_MS]);
        expect(await call(0)).toEqual({
          code: FanInCode.Waiting,
          holdsTrigger: false,
          arrived: 1,
          holder: null,
          wakeHolder: false,
        });
        expect(await call(0)).toEqual({
          code: FanInCode.Waiting,
          holdsTrigger: false,
          arrived: 1,
          holder: null,
          wakeHolder: false,
        });
        expect((await call(2)).arrived).toBe(2);
        expect(await call(1)).toEqual({
          code: FanInCode.Holder,
          holdsTrigger: true,
          arrived: 3,
          holder: '1',
          wakeHolder: false,
        });
        expect(await call(1)).toEqual({
          code: FanInCode.Holder,
          holdsTrigger: true,
          arrived: 3,
          holder: '1',
          wakeHolder: false,
        });
        expect(await call(0)).toEqual({
          code: FanInCode.HeldByOther,
          holdsTrigger: false,
          arrived: 3,
          holder: '1',
          wakeHolder: false,
        });
        expect(new TextDecoder().decode(await store.getRequired(keys.trigger(job, 9)))).toBe('1');
      });

      it('validates the parent against the parent list', async () => {
        const job = jobId();
        const k = [keys.fanIn(job, 4), keys.trigger(job, 4)];
        const parents = [17, 3, 250];
        const call = (
          parent: number | string,
          list: (number | string)[] = parents,
          inDegree = parents.length,
        ) => store.runScript('fanIn', k, [parent, inDegree, TTL_MS, ...list]);
        expect((await call(3)).code).toBe(FanInCode.Waiting);
        expect(await call(250)).toMatchObject({ code: FanInCode.Waiting, arrived: 2 });
        const rejected = async (p: Promise<unknown>, rejection: number) => {
          const err = await p.catch((e: unknown) => e);
          expect(err).toBeInstanceOf(ScriptRejected);
          expect((err as ScriptRejected).rejection).toBe(rejection);
          expect((err as ScriptRejected).code).toBe('SCRIPT_REJECTED');
          expect((err as ScriptRejected).key).toBe(k[0]);
        };
        await rejected(call(4), ScriptRejection.InvalidParent);
        await rejected(call(3, [17, 3]), ScriptRejection.InDegreeMismatch);
        await rejected(call(3, [], 0), ScriptRejection.InDegreeMismatch);
        await rejected(call('03'), ScriptRejection.BadArgument);
        await rejected(call(-1), ScriptRejection.BadArgument);
        await rejected(store.runScript('fanIn', k, [5, 3, TTL_MS]), ScriptRejection.InvalidParent);
        await rejected(store.runScript('fanIn', k, [1, 3, 0]), ScriptRejection.BadArgument);
        // Rejected calls changed nothing: the third listed parent completes the set.
        expect(await call(17)).toMatchObject({
          code: FanInCode.Holder,
          holdsTrigger: true,
          arrived: 3,
          holder: '17',
        });
      });

      it('rejects keys of the wrong type and calls whose keys span hash slots', async () => {
        const job = jobId();
        await store.set(keys.fanIn(job, 1), bytes(3, 1), TTL_MS);
        const wrongType = await store
          .runScript('fanIn', [keys.fanIn(job, 1), keys.trigger(job, 1)], [0, 1, TTL_MS])
          .catch((e: unknown) => e);
        expect((wrongType as ScriptRejected).rejection).toBe(ScriptRejection.WrongType);
        const crossSlot = await store
          .runScript('fanIn', [keys.fanIn(job, 1), keys.trigger(job, 2)], [0, 1, TTL_MS])
          .catch((e: unknown) => e);
        expect(crossSlot).toBeInstanceOf(ScriptRejected);
        const wrongArity = await store
          .runScript('fanIn', [keys.fanIn(job, 1)], [0, 1, TTL_MS])
          .catch((e: unknown) => e);
        expect(wrongArity).toBeInstanceOf(ScriptRejected);
      });

      it('race: 64 parents delivered 1-3 times in random order on 200 children -> one holder each', async () => {
        const job = jobId();
        const children = 200;
        const parentsPerChild = 64;
        const random = mulberry32(0x5eed);
        const calls: { child: number; parent: number }[] = [];
        for (let child = 0; child < children; child++) {
          for (let parent = 0; parent < parentsPerChild; parent++) {
            const deliveries = 1 + Math.floor(random() * 3);
            for (let d = 0; d < deliveries; d++) calls.push({ child, parent });
          }
        }
        shuffle(calls, random);
        const clients = target.peer ? [store, target.peer] : [store];
        const results = await Promise.all(
          calls.map(({ child, parent }, i) =>
            (clients[i % clients.length] as Store)
              .runScript(
                'fanIn',
                [keys.fanIn(job, child), keys.trigger(job, child)],
                [parent, parentsPerChild, TTL_MS],
              )
              .then((r) => ({ child, parent, r })),
          ),
        );
        const holders = new Map<number, Set<number>>();
        const holderCalls = new Map<number, number>();
        for (const { child, parent, r } of results) {
          if (!r.holdsTrigger) continue;
          const set = holders.get(child) ?? new Set<number>();
          set.add(parent);
          holders.set(child, set);
          holderCalls.set(child, (holderCalls.get(child) ?? 0) + 1);
        }
        expect(holders.size).toBe(children);
        for (const set of holders.values()) expect(set.size).toBe(1);
        // Every call after completion agrees on the holder.
        for (const { child, r } of results) {
          if (r.code !== FanInCode.Waiting)
            expect(Number(r.holder)).toBe([...(holders.get(child) as Set<number>)][0]);
        }
        // A retried holder is told it holds the trigger again.
        for (let child = 0; child < children; child++) {
          const holder = [...(holders.get(child) as Set<number>)][0] as number;
          const again = await store.runScript(
            'fanIn',
            [keys.fanIn(job, child), keys.trigger(job, child)],
            [holder, parentsPerChild, TTL_MS],
          );
          expect(again).toMatchObject({
            holdsTrigger: true,
            holder: String(holder),
            arrived: parentsPerChild,
          });
          const other = (holder + 1) % parentsPerChild;
          const loser = await store.runScript(
            'fanIn',
            [keys.fanIn(job, child), keys.trigger(job, child)],
            [other, parentsPerChild, TTL_MS],
          );
          expect(loser.holdsTrigger).toBe(false);
        }
        // Some holders were delivered more than once during the race and were told both times.
        expect([...holderCalls.values()].some((n) => n > 1)).toBe(true);
      });
    });

    describe('delayed I/O: fanIn with a hold key, fanInHold', () => {
      const k = (job: string, child: number) => [
        keys.fanIn(job, child),
        keys.trigger(job, child),
        keys.hold(job, child),
      ];

      it('a holder waits, the parent that leaves only the holder missing is told to wake it, the holder wins', async () => {
        const job = jobId();
        const hold = (p: number) => store.runScript('fanInHold', k(job, 1), [p, 3, TTL_MS]);
        const fan = (p: number) => store.runScript('fanIn', k(job, 1), [p, 3, TTL_MS]);
        expect(await hold(2)).toEqual({
          code: FanInHoldCode.Wait,
          holdsTrigger: false,
          arrived: 0,
          holder: '2',
        });
        expect(await hold(2)).toMatchObject({ code: FanInHoldCode.Wait, holder: '2' });
        expect(await fan(0)).toMatchObject({ code: FanInCode.Waiting, arrived: 1, wakeHolder: false });
        // A second parent with a large input is told to persist and fan in normally.
        expect(await hold(1)).toMatchObject({ code: FanInHoldCode.Conflict, holder: '2' });
        expect(await fan(1)).toMatchObject({ code: FanInCode.Waiting, arrived: 2, wakeHolder: true });
        expect(await fan(1)).toMatchObject({ wakeHolder: true });
        expect(await hold(2)).toEqual({
          code: FanInHoldCode.Won,
          holdsTrigger: true,
          arrived: 3,
          holder: '2',
        });
        expect(await fan(0)).toMatchObject({ code: FanInCode.HeldByOther, holder: '2', wakeHolder: false });
        expect(await hold(2)).toMatchObject({ code: FanInHoldCode.Won, holdsTrigger: true });
      });

      it('a holder that registers after everyone else arrived wins at once; a late other parent is told so', async () => {
        const job = jobId();
        await store.runScript('fanIn', k(job, 2), [0, 2, TTL_MS]);
        expect(await store.runScript('fanInHold', k(job, 2), [1, 2, TTL_MS])).toMatchObject({
          code: FanInHoldCode.Won,
          holdsTrigger: true,
          arrived: 2,
        });
        const job2 = jobId();
        await store.runScript('fanIn', k(job2, 3), [0, 2, TTL_MS]);
        await store.runScript('fanIn', k(job2, 3), [1, 2, TTL_MS]);
        expect(await store.runScript('fanInHold', k(job2, 3), [1, 2, TTL_MS])).toMatchObject({
          code: FanInHoldCode.Won,
        });
        expect(await store.runScript('fanInHold', k(job2, 3), [0, 2, TTL_MS])).toMatchObject({
          code: FanInHoldCode.HeldByOther,
          holdsTrigger: false,
        });
      });

      it('rejects invalid holds', async () => {
        const job = jobId();
        const reject = async (args: (number | string)[], rejection: number) => {
          const err = await store.runScript('fanInHold', k(job, 4), args).catch((e: unknown) => e);
          expect((err as ScriptRejected).rejection).toBe(rejection);
        };
        await reject([3, 3, TTL_MS], ScriptRejection.InvalidParent);
        await reject([0, 1, TTL_MS], ScriptRejection.InDegreeMismatch);
        await reject(['x', 3, TTL_MS], ScriptRejection.BadArgument);
        await reject([0, 3, 0], ScriptRejection.BadArgument);
      });
    });

    it('taskBegin leases a task, reports an existing output, and stops at the done mark', async () => {
      const job = jobId();
      const k = [keys.lease(job, 5), keys.out(job, 5)];
      const begin = (owner: string) => store.runScript('taskBegin', k, [owner, 30_000, 'done']);
      expect(await begin('a')).toEqual({
        code: TaskBeginCode.Compute,
        leased: true,
        outputExists: false,
        owner: 'a',
      });
      expect(await begin('b')).toEqual({
        code: TaskBeginCode.HeldByOther,
        leased: false,
        outputExists: false,
        owner: 'a',
      });
      await store.set(keys.out(job, 5), bytes(4, 1), TTL_MS);
      expect(await begin('a')).toMatchObject({
        code: TaskBeginCode.Resume,
        leased: true,
        outputExists: true,
      });
      await store.set(keys.lease(job, 5), new TextEncoder().encode('done'), TTL_MS);
      expect(await begin('c')).toEqual({
        code: TaskBeginCode.Done,
        leased: false,
        outputExists: false,
        owner: 'done',
      });
      const bad = await store.runScript('taskBegin', k, ['done', 30_000, 'done']).catch((e: unknown) => e);
      expect((bad as ScriptRejected).rejection).toBe(ScriptRejection.BadArgument);
    });

    describe('lease scripts', () => {
      it('a token a script wrote reads back through get and mget as its UTF-8 bytes', async () => {
        const job = jobId();
        const owner = 'exécuteur-α';
        const lease = keys.lease(job, 5);
        expect((await store.runScript('leaseAcquire', [lease], [owner, 30_000])).owner).toBe(owner);
        const utf8 = Uint8Array.from(Buffer.from(owner, 'utf8'));
        const got = await store.get(lease);
        expect(got).toBeInstanceOf(Uint8Array);
        expect(Uint8Array.from(got!)).toEqual(utf8);
        const [viaMget] = await store.mget([lease]);
        expect(viaMget).toBeInstanceOf(Uint8Array);
        expect(Uint8Array.from(viaMget!)).toEqual(utf8);
        // The token compares as text again: its owner renews and releases it, nobody else does.
        expect((await store.runScript('leaseRenew', [lease], ['executeur-a', 30_000])).ok).toBe(false);
        expect((await store.runScript('leaseRenew', [lease], [owner, 30_000])).ok).toBe(true);
        expect((await store.runScript('leaseRelease', [lease], [owner])).ok).toBe(true);
        expect(await store.get(lease)).toBeNull();

        // The trigger of a completed fan-in holds the winning parent's index; the done mark, the text given.
        const child = 6;
        const k3 = [keys.fanIn(job, child), keys.trigger(job, child), keys.hold(job, child)];
        await store.runScript('fanIn', k3, [0, 1, TTL_MS]);
        const trigger = await store.get(keys.trigger(job, child));
        expect(trigger).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(trigger!).toString()).toBe('0');
        const out = keys.out(job, 7);
        await store.runScript('writeOnce', [out, keys.lease(job, 7)], [bytes(3, 1), TTL_MS, 'fertig-✓']);
        const mark = await store.get(keys.lease(job, 7));
        expect(mark).toBeInstanceOf(Uint8Array);
        expect(Uint8Array.from(mark!)).toEqual(Uint8Array.from(Buffer.from('fertig-✓', 'utf8')));
      });

      it('acquire, renew and release only by the owner', async () => {
        const key = keys.lease(jobId(), 3);
        const a = await store.runScript('leaseAcquire', [key], ['exec-a', 30_000]);
        expect(a).toEqual({ code: LeaseCode.Done, ok: true, owner: 'exec-a', remainingMs: 30_000 });
        const b = await store.runScript('leaseAcquire', [key], ['exec-b', 30_000]);
        expect(b.ok).toBe(false);
        expect(b.code).toBe(LeaseCode.HeldByOther);
        expect(b.owner).toBe('exec-a');
        expect(b.remainingMs).toBeGreaterThan(0);
        expect(await store.runScript('leaseAcquire', [key], ['exec-a', 40_000])).toMatchObject({
          code: LeaseCode.AlreadyOwner,
          ok: true,
        });
        expect(await store.runScript('leaseRenew', [key], ['exec-b', 30_000])).toMatchObject({
          ok: false,
          owner: 'exec-a',
        });
        expect(await store.runScript('leaseRenew', [key], ['exec-a', 30_000])).toMatchObject({
          ok: true,
          owner: 'exec-a',
        });
        expect(await store.runScript('leaseRelease', [key], ['exec-b'])).toMatchObject({
          ok: false,
          owner: 'exec-a',
        });
        expect(await store.runScript('leaseRelease', [key], ['exec-a'])).toMatchObject({
          ok: true,
          code: LeaseCode.Done,
        });
        expect(await store.runScript('leaseRenew', [key], ['exec-a', 30_000])).toEqual({
          code: LeaseCode.NotHeld,
          ok: false,
          owner: null,
          remainingMs: 0,
        });
        expect(await store.runScript('leaseRelease', [key], ['exec-a'])).toMatchObject({
          code: LeaseCode.NotHeld,
        });
        expect((await store.runScript('leaseAcquire', [key], ['exec-b', 30_000])).ok).toBe(true);
      });

      it('a lease expires and can then be taken by another owner', async () => {
        const key = keys.lease(jobId(), 'x');
        expect((await store.runScript('leaseAcquire', [key], ['a', 40])).ok).toBe(true);
        await sleep(150);
        expect(await store.runScript('leaseAcquire', [key], ['b', 30_000])).toMatchObject({
          ok: true,
          code: LeaseCode.Done,
        });
      });

      it('rejects an empty owner and a bad duration', async () => {
        const key = keys.lease(jobId(), 1);
        const e1 = await store.runScript('leaseAcquire', [key], ['', 100]).catch((e: unknown) => e);
        expect((e1 as ScriptRejected).rejection).toBe(ScriptRejection.BadArgument);
        const e2 = await store.runScript('leaseRenew', [key], ['a', 'soon']).catch((e: unknown) => e);
        expect((e2 as ScriptRejected).rejection).toBe(ScriptRejection.BadArgument);
      });
    });

    it('fanIn carries small outputs to the parent that completes the set; readInputs returns them', async () => {
      const job = jobId();
      const k4 = [keys.fanIn(job, 9), keys.trigger(job, 9), keys.hold(job, 9), keys.inputs(job, 9)];
      const v0 = bytes(5, 1);
      const v2 = bytes(300, 2);
      const r0 = await store.runScript('fanIn', k4, [0, 3, TTL_MS, v0]);
      expect(r0.holdsTrigger).toBe(false);
      expect(r0.carried).toBeUndefined();
      await store.runScript('fanIn', k4, [1, 3, TTL_MS, '']); // its output is stored elsewhere
      const r2 = await store.runScript('fanIn', k4, [2, 3, TTL_MS, v2]);
      expect(r2.holdsTrigger).toBe(true);
      const carried = new Map(r2.carried!.map(([p, v]) => [p, Buffer.from(v)]));
      expect([...carried.keys()].sort()).toEqual([0, 2]);
      expect(carried.get(0)!.equals(Buffer.from(v0))).toBe(true);
      expect(carried.get(2)!.equals(Buffer.from(v2))).toBe(true);
      // A duplicate of the holder is told again, with the same inputs; readInputs sees them too.
      const again = await store.runScript('fanIn', k4, [2, 3, TTL_MS, v2]);
      expect(again.carried?.length).toBe(2);
      const read = await store.runScript('readInputs', [keys.inputs(job, 9)], []);
      expect(read.carried.map(([p]) => p).sort()).toEqual([0, 2]);
      expect((await store.runScript('readInputs', [keys.inputs(job, 10)], [])).carried).toEqual([]);
    });

    it('fanInBatch gives each call the outcome it has as its own fanIn, in order (random batches)', async () => {
      const job = jobId();
      const random = mulberry32(0xba7c4);
      const keysOf = (child: number, lease: boolean): string[] => [
        keys.fanIn(job, child),
        keys.trigger(job, child),
        keys.hold(job, child),
        keys.inputs(job, child),
        ...(lease ? [keys.lease(job, child), keys.out(job, child)] : []),
      ];
      const outcome = (r: unknown): unknown => {
        if (r instanceof ScriptRejected) return { rejected: r.rejection };
        const f = r as { code: number; arrived: number; holder: string | null; wakeHolder: boolean };
        const c = r as { carried?: readonly (readonly [number, Uint8Array])[]; lease?: number };
        return {
          code: f.code,
          arrived: f.arrived,
          holder: f.holder,
          wake: f.wakeHolder,
          carried: c.carried?.map(([p, v]) => `${p}:${Buffer.from(v).toString('hex')}`).sort(),
          lease: c.lease,
        };
      };
      let batches = 0;
      for (let trial = 0; trial < 40; trial++) {
        const inDegree = 1 + Math.floor(random() * 6);
        const lease = random() < 0.5;
        // A parent carries its output or stores it elsewhere, the same way in every delivery of it.
        const carries = Array.from({ length: inDegree }, () => random() < 0.7);
        const holdBy = inDegree >= 2 && random() < 0.3 ? Math.floor(random() * inDegree) : -1;
        const calls = Array.from({ length: 2 + Math.floor(random() * (inDegree * 2)) }, (_, i) => {
          // Now and then an invalid parent, or (with the lease keys) an invalid owner.
          const parent = random() < 0.05 ? inDegree : Math.floor(random() * inDegree);
          return { parent, owner: random() < 0.05 ? 'done' : `o${trial}.${i % 3}` };
        }).filter((c) => c.parent !== holdBy);
        const argsOf = (c: { parent: number }): [number, Uint8Array | ''] => [
          c.parent,
          carries[c.parent] ? bytes(3, c.parent + 1) : '',
        ];
        const one = 2 * trial;
        const many = 2 * trial + 1;
        if (holdBy >= 0) {
          for (const child of [one, many])
            await store.runScript('fanInHold', keysOf(child, false), [holdBy, inDegree, TTL_MS]);
        }
        const expected: unknown[] = [];
        for (const c of calls) {
          const [parent, carry] = argsOf(c);
          const args = lease
            ? [parent, inDegree, TTL_MS, carry, c.owner, 30_000, 'done']
            : [parent, inDegree, TTL_MS, carry];
          expected.push(
            outcome(await store.runScript('fanIn', keysOf(one, lease), args).catch((e: unknown) => e)),
          );
        }
        const got: unknown[] = [];
        for (let at = 0; at < calls.length;) {
          const size = 1 + Math.floor(random() * 4);
          const chunk = calls.slice(at, at + size);
          at += chunk.length;
          const argv: (string | number | Uint8Array)[] = [
            inDegree,
            TTL_MS,
            lease ? 30_000 : '',
            lease ? 'done' : '',
          ];
          for (const c of chunk) argv.push(...argsOf(c), lease ? c.owner : '');
          const r = await store.runScript('fanInBatch', keysOf(many, lease), argv);
          batches++;
          got.push(...r.results.map(outcome));
        }
        expect(got).toEqual(expected);
      }
      expect(batches).toBeGreaterThan(40);
      // Refusals of the whole batch: bad arguments, and a key of another type (nothing written).
      const k4 = keysOf(999, false);
      const bad = await store
        .runScript('fanInBatch', k4, [0, TTL_MS, '', '', 0, '', ''])
        .catch((e: unknown) => e);
      expect((bad as ScriptRejected).rejection).toBe(ScriptRejection.InDegreeMismatch);
      await store.set(keys.inputs(job, 999), bytes(2, 1), TTL_MS);
      const wrong = await store
        .runScript('fanInBatch', k4, [2, TTL_MS, '', '', 0, '', '', 1, bytes(3, 2), ''])
        .catch((e: unknown) => e);
      expect((wrong as ScriptRejected).rejection).toBe(ScriptRejection.WrongType);
      await store.delete([keys.inputs(job, 999)]);
      // Nothing of the refused batch was written: this parent is the first to arrive.
      expect(await store.runScript('fanIn', k4, [1, 2, TTL_MS, ''])).toMatchObject({ code: 0, arrived: 1 });
    });

    it('fanIn refuses an inputs key of another type only when it would write or read it, writing nothing', async () => {
      const job = jobId();
      const k4 = [keys.fanIn(job, 12), keys.trigger(job, 12), keys.hold(job, 12), keys.inputs(job, 12)];
      await store.set(keys.inputs(job, 12), bytes(3, 1), TTL_MS);
      // A carrier would write the hash: refused, and its arrival is not recorded.
      const carrier = await store
        .runScript('fanIn', k4, [0, 2, TTL_MS, bytes(4, 2)])
        .catch((e: unknown) => e);
      expect((carrier as ScriptRejected).rejection).toBe(ScriptRejection.WrongType);
      // A waiting parent whose output is stored elsewhere does not touch it.
      expect(await store.runScript('fanIn', k4, [1, 2, TTL_MS, ''])).toMatchObject({ code: 0, arrived: 1 });
      // The parent that completes the set would read it: refused, and the set is as it was.
      const completing = await store.runScript('fanIn', k4, [0, 2, TTL_MS, '']).catch((e: unknown) => e);
      expect((completing as ScriptRejected).rejection).toBe(ScriptRejection.WrongType);
      await store.delete([keys.inputs(job, 12)]);
      const done = await store.runScript('fanIn', k4, [0, 2, TTL_MS, bytes(4, 2)]);
      expect(done).toMatchObject({ holdsTrigger: true, arrived: 2, holder: '0' });
      expect(done.carried?.map(([p]) => p)).toEqual([0]);
    });

    it('fanIn with the lease keys starts the child for the trigger holder only, as taskBegin would', async () => {
      const job = jobId();
      const child = 11;
      const k6 = [
        keys.fanIn(job, child),
        keys.trigger(job, child),
        keys.hold(job, child),
        keys.inputs(job, child),
        keys.lease(job, child),
        keys.out(job, child),
      ];
      const call = (parent: number, owner: string) =>
        store.runScript('fanIn', k6, [parent, 2, TTL_MS, bytes(4, parent), owner, TTL_MS, 'done']);
      const first = await call(0, 'exec-a');
      expect(first.holdsTrigger).toBe(false);
      expect(first.lease).toBeUndefined();
      expect(await store.get(keys.lease(job, child))).toBeNull();
      const won = await call(1, 'exec-b');
      expect(won.holdsTrigger).toBe(true);
      expect(won.lease).toBe(TaskBeginCode.Compute);
      expect(won.carried?.map(([p]) => p).sort()).toEqual([0, 1]);
      expect(Buffer.from((await store.get(keys.lease(job, child)))!).toString()).toBe('exec-b');
      // A duplicate of the winning parent (another executor) wins the trigger again but not the lease.
      const duplicate = await call(1, 'exec-c');
      expect(duplicate.holdsTrigger).toBe(true);
      expect(duplicate.lease).toBe(TaskBeginCode.HeldByOther);
      // The owner itself asking again (a re-sent command) keeps its lease.
      expect((await call(1, 'exec-b')).lease).toBe(TaskBeginCode.Compute);
      // Once the output exists the holder resumes; once the child is done, nobody starts it again.
      await store.runScript('writeOnce', [keys.out(job, child)], [bytes(3, 9), TTL_MS]);
      expect((await call(1, 'exec-b')).lease).toBe(TaskBeginCode.Resume);
      await store.set(keys.lease(job, child), new TextEncoder().encode('done'), TTL_MS);
      expect((await call(1, 'exec-d')).lease).toBe(TaskBeginCode.Done);
      // The non-holder never touches the lease.
      expect((await call(0, 'exec-e')).lease).toBeUndefined();
    });

    it('fanIn rejects five keys, bad lease arguments and a lease key of another type', async () => {
      const job = jobId();
      const refused = async (call: Promise<unknown>, rejection: number): Promise<void> => {
        const error = await call.then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ScriptRejected);
        expect((error as ScriptRejected).rejection).toBe(rejection);
      };
      const k = [keys.fanIn(job, 1), keys.trigger(job, 1), keys.hold(job, 1), keys.inputs(job, 1)];
      const withLease = [...k, keys.lease(job, 1), keys.out(job, 1)];
      const bad = ScriptRejection.BadArgument;
      await refused(store.runScript('fanIn', [...k, keys.lease(job, 1)], [0, 1, TTL_MS, '']), bad);
      await refused(store.runScript('fanIn', withLease, [0, 1, TTL_MS, '', '', TTL_MS, 'done']), bad);
      await refused(store.runScript('fanIn', withLease, [0, 1, TTL_MS, '', 'me', 0, 'done']), bad);
      await refused(store.runScript('fanIn', withLease, [0, 1, TTL_MS, '', 'done', TTL_MS, 'done']), bad);
      expect(await store.exists(keys.fanIn(job, 1))).toBe(false); // nothing recorded
      // The child's `in` set given as its lease key: refused before anything is written.
      await store.runScript('fanIn', [keys.fanIn(job, 3), keys.trigger(job, 3)], [0, 2, TTL_MS]);
      const wrong = [
        ...k.map((key) => key.replace(`${job}:1}`, `${job}:3}`)),
        keys.fanIn(job, 3),
        keys.out(job, 3),
      ];
      await refused(
        store.runScript('fanIn', wrong, [1, 2, TTL_MS, '', 'me', TTL_MS, 'done']),
        ScriptRejection.WrongType,
      );
      expect(await store.exists(keys.trigger(job, 3))).toBe(false);
      // ... and the refused arrival was not recorded: a re-sent arrival of parent 0 still finds only itself.
      const again = await store.runScript(
        'fanIn',
        [keys.fanIn(job, 3), keys.trigger(job, 3)],
        [0, 2, TTL_MS],
      );
      expect(again.arrived).toBe(1);

      // A holder key of another type is read (and refused) only when the arrival leaves the holder last.
      const hold4 = keys.hold(job, 4);
      await store.runScript('fanIn', [hold4, keys.trigger(job, 4)], [0, 1, TTL_MS]); // hold4 is now a set
      const k4 = [keys.fanIn(job, 4), keys.trigger(job, 4), hold4];
      expect((await store.runScript('fanIn', k4, [0, 3, TTL_MS])).arrived).toBe(1);
      await refused(store.runScript('fanIn', k4, [1, 3, TTL_MS]), ScriptRejection.WrongType);
      expect((await store.runScript('fanIn', k4, [0, 3, TTL_MS])).arrived).toBe(1);
    });

    it('writeOnce writes the first value only', async () => {
      const key = keys.out(jobId(), 'w');
      expect(await store.runScript('writeOnce', [key], [bytes(100, 1), TTL_MS])).toEqual({
        written: true,
        existed: false,
      });
      expect(await store.runScript('writeOnce', [key], [bytes(100, 2), TTL_MS])).toEqual({
        written: false,
        existed: true,
      });
      expect(Buffer.from(await store.getRequired(key)).equals(Buffer.from(bytes(100, 1)))).toBe(true);
    });

    it('writeOnce with the lease key also sets the done mark, and taskBegin then stops duplicates', async () => {
      const job = jobId();
      const out = keys.out(job, 'd');
      const lease = keys.lease(job, 'd');
      expect(await store.runScript('taskBegin', [lease, out], ['owner-1', TTL_MS, 'done'])).toMatchObject({
        leased: true,
        outputExists: false,
      });
      expect(await store.runScript('writeOnce', [out, lease], [bytes(10, 3), TTL_MS, 'done'])).toEqual({
        written: true,
        existed: false,
      });
      expect(Buffer.from((await store.get(lease))!).toString()).toBe('done');
      expect(await store.runScript('taskBegin', [lease, out], ['owner-2', TTL_MS, 'done'])).toMatchObject({
        leased: false,
      });
      await expect(store.runScript('writeOnce', [out, lease], [bytes(10, 3), TTL_MS])).rejects.toMatchObject({
        code: 'SCRIPT_REJECTED',
      });
    });

    describe('event stream', () => {
      it('appends and reads in order, after an id, with count and maxLen', async () => {
        const job = jobId();
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) ids.push(await store.appendEvent(job, bytes(20, i + 1)));
        const all = await store.readEvents(job, '0', { blockMs: 0 });
        expect(all.map((e) => e.id)).toEqual(ids);
        all.forEach((e, i) => expect(Buffer.from(e.data).equals(Buffer.from(bytes(20, i + 1)))).toBe(true));
        expect((await store.readEvents(job, ids[2] as string, { blockMs: 0 })).map((e) => e.id)).toEqual(
          ids.slice(3),
        );
        expect((await store.readEvents(job, '0', { blockMs: 0, count: 2 })).map((e) => e.id)).toEqual(
          ids.slice(0, 2),
        );
        expect(await store.readEvents(job, ids[4] as string, { blockMs: 0 })).toEqual([]);
        await store.appendEvent(job, bytes(3, 9), { maxLen: 2 });
        expect(await store.readEvents(job, '0', { blockMs: 0 })).toHaveLength(2);
      });

      it('a blocking read returns when an event is appended, and [] on timeout', async () => {
        const job = jobId();
        const first = await store.appendEvent(job, bytes(4, 1));
        expect(await store.readEvents(job, first, { blockMs: 60 })).toEqual([]);
        const reading = store.readEvents(job, first, { blockMs: 20_000 });
        await sleep(30);
        const second = await store.appendEvent(job, bytes(4, 2));
        const got = await reading;
        expect(got.map((e) => e.id)).toEqual([second]);
        expect(Buffer.from((got[0] as { data: Uint8Array }).data).equals(Buffer.from(bytes(4, 2)))).toBe(
          true,
        );
      });

      it("'$' reads only events appended after the call", async () => {
        const job = jobId();
        await store.appendEvent(job, bytes(4, 1));
        const reading = store.readEvents(job, '$', { blockMs: 20_000 });
        await sleep(30);
        const id = await store.appendEvent(job, bytes(4, 7));
        expect((await reading).map((e) => e.id)).toEqual([id]);
      });

      it('a blocking read on a job without a stream waits for its first event', async () => {
        const job = jobId();
        const reading = store.readEvents(job, '0', { blockMs: 20_000 });
        await sleep(30);
        const id = await store.appendEvent(job, bytes(4, 3));
        expect((await reading).map((e) => e.id)).toEqual([id]);
      });
    });

    it('deleteJob removes every key of the job and nothing of other jobs', async () => {
      const job = jobId();
      const other = `${job}x`;
      const write = async (j: string) => {
        await store.set(keys.plan(j), bytes(10, 1), TTL_MS);
        await store.set(keys.planSegment(j, 0), bytes(10, 2), TTL_MS);
        await store.appendEvent(j, bytes(5, 3));
        for (let t = 0; t < 20; t++) {
          await store.set(
            keys.out(j, t),
            bytes(t === 0 ? (target.chunkBytes ?? 1000) * 2 + 5 : 10, t),
            TTL_MS,
          );
          await store.runScript('fanIn', [keys.fanIn(j, t), keys.trigger(j, t)], [0, 1, TTL_MS]);
          await store.runScript('leaseAcquire', [keys.lease(j, t)], ['me', TTL_MS]);
        }
      };
      await write(job);
      await write(other);
      await store.deleteJob(job, [0, 1]);
      const jobKeys = [keys.plan(job), keys.planSegment(job, 0), keys.events(job)];
      for (let t = 0; t < 20; t++)
        jobKeys.push(keys.out(job, t), keys.fanIn(job, t), keys.trigger(job, t), keys.lease(job, t));
      for (const key of jobKeys) expect(await store.exists(key)).toBe(false);
      expect(await store.exists(keys.plan(other))).toBe(true);
      expect(await store.exists(keys.trigger(other, 19))).toBe(true);
      expect((await store.getRequired(keys.out(other, 0))).byteLength).toBe(
        (target.chunkBytes ?? 1000) * 2 + 5,
      );
      await store.deleteJob(other);
      expect(await store.exists(keys.out(other, 0))).toBe(false);
    });

    it('reports a key of another type as WrongKeyType and a bad stream id as CommandFailed', async () => {
      const job = jobId();
      await store.runScript('fanIn', [keys.fanIn(job, 1), keys.trigger(job, 1)], [0, 2, TTL_MS]);
      const wrong = await store.get(keys.fanIn(job, 1)).catch((e: unknown) => e);
      expect(wrong).toBeInstanceOf(WrongKeyType);
      expect((wrong as WrongKeyType).key).toBe(keys.fanIn(job, 1));
      const wrongMany = await store.mget([keys.out(job, 1), keys.fanIn(job, 1)]).catch((e: unknown) => e);
      expect(wrongMany).toBeInstanceOf(WrongKeyType);
      await store.appendEvent(job, bytes(2, 1));
      const badId = await store.readEvents(job, 'not-an-id', { blockMs: 0 }).catch((e: unknown) => e);
      expect(badId).toBeInstanceOf(CommandFailed);
    });

    it('rejects a negative blockMs naming the option', async () => {
      const err = await store.readEvents(jobId(), '0', { blockMs: -1 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidOption);
      expect((err as InvalidOption).option).toBe('blockMs');
    });

    it('close ends a pending blocking read instead of leaving it hanging', async () => {
      const another = await target.openAnother();
      const reading = another.readEvents(jobId(), '$', { blockMs: 30_000 }).then(
        () => 'resolved',
        (e: unknown) => e,
      );
      await sleep(30);
      await another.close();
      const hung = new Promise((r) => setTimeout(() => r('hung'), 5_000));
      const outcome = await Promise.race([reading, hung]);
      expect(outcome).not.toBe('hung');
      expect(outcome).toBeInstanceOf(StorageError);
    });

    it('throws StoreClosed after close', async () => {
      const another = await target.openAnother();
      await another.set(keys.out(jobId(), 1), bytes(3, 1), TTL_MS);
      await another.close();
      await another.close();
      const err = await another.get(keys.out(jobId(), 1)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreClosed);
      expect((err as StoreClosed).code).toBe('STORE_CLOSED');
    });
  });
}
