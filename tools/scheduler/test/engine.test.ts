/**
 * End-to-end tests of the engine on the local backend: real worker threads, the embedded memory store.
 * (The same scenarios on real Redis shards are in engine-redis.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, type Graph } from '@wukong/graph';
import {
  crashPoints,
  decodeEvent,
  decodeValue,
  LocalPool,
  PAYLOAD_VERSION,
  PayloadEncoder,
  storePlan,
  type LocalPoolOptions,
} from '@wukong/executor';
import { buildPlan, encodePlan, type EncodedPlan, type Plan } from '@wukong/partitioner';
import { keys, MemoryStore } from '@wukong/storage';
import { connect, type Client } from '../src/client.js';
import {
  checkClustering,
  checkCrashRecovery,
  checkDelayedIo,
  checkDoneMarks,
  checkLineageRecompute,
  checkRetriesExhausted,
  checkTwoHolders,
} from './scenarios.js';
import { treeReduction } from '../src/workloads/tree-reduction.js';
import { shapesGraph, sleepSum } from './graphs.js';

const fast = { leaseMs: 400 };

let client: Client;
beforeAll(async () => {
  client = await connect({ workers: 2, eventFlushMs: 20, executorOptions: fast });
});
afterAll(async () => {
  await client.close();
});

describe('tree reduction', () => {
  it('sums 1,024 leaves correctly, computing each task once', async () => {
    const { graph, expected, finalKey } = treeReduction({ leaves: 1024 });
    const { outputs, report } = await client.run(graph);
    expect(outputs.get(finalKey)).toBe(expected);
    expect(report.tasks).toBe(1023);
    expect(report.leaves).toBe(512);
    expect(report.counters.tasksExecuted).toBe(1023);
    expect(report.retries).toBe(0);
  });

  it('handles odd sizes (carried items)', async () => {
    for (const leaves of [2, 3, 7, 100]) {
      const { graph, expected, finalKey } = treeReduction({ leaves });
      expect((await client.compute(graph)).get(finalKey)).toBe(expected);
    }
  });
});

describe('hand-made shapes', () => {
  // The graph is drawn in graphs.ts.
  it('fan-out 1→64, fan-in 64→1, a diamond and a long chain', async () => {
    const { graph, finalKey, expected } = shapesGraph();
    const outputs = await client.compute(graph);
    expect(outputs.get(finalKey)).toBe(expected);
    expect(outputs.size).toBe(1);
  });

  it('returns every final of a graph with several', async () => {
    const b = new GraphBuilder();
    const x = b.task('x', 'add', 2, 3);
    b.task('y', 'mul', x, 10);
    b.task('z', 'getitem', [7, 8, 9], -1);
    const outputs = await client.compute(b.build());
    expect(Object.fromEntries(outputs)).toEqual({ y: 50, z: 9 });
  });
});

describe('locality: clustering and delayed I/O', () => {
  it('runs the children of a large output where it is (nothing invoked, nothing stored but finals)', async () => {
    await checkClustering(client);
  });

  it('holds a large input in memory until the other parent is done, then runs the child here', async () => {
    await checkDelayedIo(client);
  });

  it('never lets two holders of one child wait on each other', async () => {
    const t0 = Date.now();
    await checkTwoHolders(client);
    expect(Date.now() - t0).toBeLessThan(30_000);
  });
});

describe('the local pool', () => {
  it("holds a burst beyond its threads' slots and prefetch in its own queue, and runs all of it", async () => {
    // 2 threads × 2 executors, prefetch 8 each: 20 invocations out at once. A root fanning out to 64
    // sleeps invokes 63 of them at once: the rest wait in the pool and go to whichever thread frees a
    // slot first.
    const small = await connect({ workers: 2, executorsPerWorker: 2, executorOptions: fast });
    try {
      const b = new GraphBuilder();
      const root = b.task('root', 'add', 1, 1);
      const parts = Array.from({ length: 64 }, (_, i) => b.task(`c${i}`, 'sleep', 5, root));
      b.task('total', 'add', ...parts);
      const { outputs, report } = await small.run(b.build());
      expect(outputs.get('total')).toBe(128);
      expect(report.counters.tasksExecuted).toBe(66);
      expect(small.backendStats.maxQueued).toBeGreaterThan(0);
      expect(small.backendStats.maxQueued).toBeLessThanOrEqual(63);
    } finally {
      await small.close();
    }
  });

  it("reads a job's leaves as threads have room, so none waits in the pool", async () => {
    const small = await connect({ workers: 2, executorsPerWorker: 2, executorOptions: fast });
    try {
      const { outputs, report } = await small.run(sleepSum(64, 5));
      expect(outputs.get('total')).toBe(64);
      expect(report.counters.tasksExecuted).toBe(65);
      expect(small.backendStats.maxQueued).toBe(0);
    } finally {
      await small.close();
    }
  });
});

/**
 * A job driven without the client, on a pool of `options` over a fresh memory store: its plan (stored
 * unless `store: false`) and an encoder of its leaf invocations (a minute's deadline and TTL). Closes the
 * pool and the store after `body`.
 */
async function withPoolJob(
  options: Partial<LocalPoolOptions> & { graph: Graph; job: string; storePlan?: boolean },
  body: (job: {
    pool: LocalPool;
    store: MemoryStore;
    plan: Plan;
    encoded: EncodedPlan;
    payloads: PayloadEncoder;
  }) => Promise<void>,
): Promise<void> {
  const { graph, job, storePlan: stored = true, ...poolOptions } = options;
  const store = new MemoryStore();
  const pool = await LocalPool.start({ ...poolOptions, store: { memory: store } });
  try {
    const plan = buildPlan(graph);
    const encoded = encodePlan(plan);
    if (stored) await storePlan(store, job, encoded, 60_000);
    const payloads = new PayloadEncoder(
      { v: PAYLOAD_VERSION, job, deadlineMs: Date.now() + 60_000, config: { keyTtlMs: 60_000 } },
      262_144,
    );
    await body({ pool, store, plan, encoded, payloads });
  } finally {
    await pool.close();
    await store.close();
  }
}

describe('the local pool, invoke()', () => {
  it('resolves once a thread has taken the invocation, and rejects what is queued when it closes', async () => {
    // 1 thread × 1 executor, prefetch 8: the first 9 invocations are taken at once, the 10th when the
    // first sleep ends, the 11th and 12th wait behind it; closing the pool rejects those two.
    const job = { workers: 1, executorsPerWorker: 1, graph: sleepSum(12, 300), job: 'jpool1' };
    await withPoolJob(job, async ({ pool, plan, payloads }) => {
      const taken: number[] = [];
      const outcomes = Array.from(plan.leaves, (leaf, i) =>
        pool.invoke(payloads.encode([leaf], [], 1)).then(
          () => void taken.push(i),
          (e: Error) => e,
        ),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
      await outcomes[9];
      expect(taken).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      await pool.close();
      for (const rejected of await Promise.all(outcomes.slice(10)))
        expect(rejected).toMatchObject({ message: 'local pool is closed' });
    });
  });

  it('reads a feed only as threads have room, and rejects it when the pool closes first', async () => {
    // 1 thread × 1 executor, prefetch 8: 9 read at once, the 10th when the first sleep ends.
    const job = { workers: 1, executorsPerWorker: 1, graph: sleepSum(12, 300), job: 'jfeed1' };
    await withPoolJob(job, async ({ pool, plan, payloads }) => {
      let read = 0;
      const fed = pool.invokeFrom(() =>
        read < plan.leaves.length ? payloads.encode([plan.leaves[read++]!], [], 1) : undefined,
      );
      const outcome = fed.then(
        () => 'resolved',
        (e: Error) => e.message,
      );
      expect(read).toBe(9);
      await new Promise((resolve) => setTimeout(resolve, 450));
      expect(read).toBe(10);
      await pool.close();
      expect(await outcome).toBe('local pool is closed');
      expect(read).toBe(10);
    });
  });

  it('serves feeds in turns, and rejects one that throws or gives a payload over the limit', async () => {
    const job = {
      workers: 1,
      executorsPerWorker: 1,
      payloadLimitBytes: 1_000,
      graph: sleepSum(40, 20),
      job: 'jfeed2',
    };
    await withPoolJob(job, async ({ pool, plan, payloads }) => {
      const order: string[] = [];
      let next = 0;
      const feed = (name: string, count: number) => {
        let left = count;
        return () => {
          if (left === 0) return undefined;
          left--;
          order.push(name);
          return payloads.encode([plan.leaves[next++]!], [], 1);
        };
      };
      const a = pool.invokeFrom(feed('a', 14));
      const b = pool.invokeFrom(feed('b', 5));
      await Promise.all([a, b]);
      // a took the 9 places there were; then each freed place went to the feeds in turn.
      expect(order.join('')).toBe('aaaaaaaaa' + 'ababababab');
      await expect(
        pool.invokeFrom(() => {
          throw new Error('no more');
        }),
      ).rejects.toThrow('no more');
      let gave = 0;
      await expect(
        pool.invokeFrom(() => (gave++ === 0 ? new Uint8Array(2_000) : undefined)),
      ).rejects.toMatchObject({ name: 'PayloadTooLargeError' });
      expect(gave).toBe(1);
    });
  });

  it('runs a job from a plan shared with its threads, without the plan in storage', async () => {
    // The plan goes to the threads only: an executor that read it from storage would fail.
    const job = {
      workers: 2,
      executorsPerWorker: 4,
      graph: sleepSum(8, 1),
      job: 'jshared1',
      storePlan: false,
    };
    await withPoolJob(job, async ({ pool, store, plan, encoded, payloads }) => {
      pool.sharePlan(job.job, { header: encoded.header, segments: encoded.segments });
      for (const leaf of plan.leaves) await pool.invoke(payloads.encode([leaf], [], 1));
      let total: unknown;
      let cursor = '0';
      const until = Date.now() + 10_000;
      while (total === undefined && Date.now() < until) {
        for (const { id, data } of await store.readEvents(job.job, cursor, { blockMs: 200, count: 100 })) {
          cursor = id;
          const event = decodeEvent(data);
          if (event.type === 'error') throw new Error(`${event.key}: ${event.message}`);
          if (event.type === 'final') total = decodeValue(event.value!);
        }
      }
      expect(total).toBe(8);
      expect(await store.exists(keys.plan(job.job))).toBe(false);
    });
  });

  it("sizes its threads' young generation by their executor slots, and refuses a size below 1 MiB", async () => {
    const store = new MemoryStore();
    const started: LocalPool[] = [];
    try {
      await expect(LocalPool.start({ youngGenerationMb: 0, store: { memory: store } })).rejects.toThrow(
        'youngGenerationMb must be at least 1',
      );
      const sized = async (options: Partial<LocalPoolOptions>): Promise<number | undefined> => {
        const pool = await LocalPool.start({ workers: 1, store: { memory: store }, ...options });
        started.push(pool);
        return pool.youngGenerationMb;
      };
      expect(await sized({})).toBe(48); // 128 slots: V8's own default
      expect(await sized({ executorsPerWorker: 500 })).toBe(188);
      expect(await sized({ executorsPerWorker: 5000 })).toBe(256);
      expect(await sized({ executorsPerWorker: 500, youngGenerationMb: 4 })).toBe(4);
      // A small young generation works, it only collects more often.
      const client = await connect({ workers: 1, youngGenerationMb: 4 });
      try {
        expect((await client.compute(sleepSum(64, 0))).get('total')).toBe(64);
      } finally {
        await client.close();
      }
    } finally {
      await Promise.all(started.map((p) => p.close()));
      await store.close();
    }
  });
});

describe('the watchdog and a full pool', () => {
  it('does not retry tasks that wait for a free executor while others run longer than stallMs', async () => {
    // 1 thread × 1 executor: 6 leaves of 700 ms run one after another, and for 700 ms at a time nothing
    // completes. The leaves still waiting in the pool (or not yet invoked) have no lease, yet they are
    // not lost: the job completes with no retry, well inside the retry budget.
    const small = await connect({ workers: 1, executorsPerWorker: 1, executorOptions: fast });
    try {
      const { outputs, report } = await small.run(sleepSum(6, 700), { stallMs: 300 });
      expect(outputs.get('total')).toBe(6);
      expect(report.retries).toBe(0);
      expect(report.counters.tasksExecuted).toBe(7);
    } finally {
      await small.close();
    }
  });
});

describe('the local pool, rebalancing', () => {
  it('hands invocations a busy thread has not started to a thread with an idle slot', async () => {
    // 2 threads × 1 executor, prefetch 8: each thread is sent 9 leaves. The thread that got `long` has
    // 8 short sleeps queued behind it; the other runs its 9 and then takes those 8 over.
    const small = await connect({ workers: 2, executorsPerWorker: 1, executorOptions: fast });
    try {
      const b = new GraphBuilder();
      const long = b.task('long', 'sleep', 1500, 1);
      const short = Array.from({ length: 17 }, (_, i) => b.task(`s${i}`, 'sleep', 20, 1));
      b.task('total', 'add', long, ...short);
      const { outputs, report } = await small.run(b.build());
      expect(outputs.get('total')).toBe(18);
      const hostOf = new Map<string, string>();
      for (const span of report.spans)
        if (span.kind === 'compute') hostOf.set(report.keys[span.task]!, span.executor);
      const busy = hostOf.get('long');
      const hosts = short.map((_, i) => hostOf.get(`s${i}`));
      expect(hosts.every((h) => h !== undefined && h !== busy)).toBe(true);
    } finally {
      await small.close();
    }
  });
});

describe('the end of a job', () => {
  /*   bad (fails at once)      slow (sleep 1000) ── both finals */
  it("deletes a failed job's keys only once its still-running executors have ended", async () => {
    // An executor that was between its last check and a write when the keys went would recreate them:
    // the pool answers a stop only when no executor of the job runs, and the client deletes after that.
    const b = new GraphBuilder();
    b.task('bad', 'fail', 'exploded on purpose');
    b.task('slow', 'sleep', 1000, 1);
    const t0 = Date.now();
    await expect(client.compute(b.build())).rejects.toMatchObject({ task: 'bad' });
    expect(Date.now() - t0).toBeLessThan(1000); // the failure is reported while `slow` still runs
    await client.settled();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  });
});

describe('at-least-once delivery and crashes', () => {
  it('gives identical results under 100% duplicate delivery and computes every task exactly once', async () => {
    const dup = await connect({ workers: 2, duplicateRate: 1, duplicateDelayMs: 30, executorOptions: fast });
    try {
      const { graph, expected, finalKey } = treeReduction({ leaves: 256 });
      const { outputs, report } = await dup.run(graph);
      expect(outputs.get(finalKey)).toBe(expected);
      expect(report.counters.tasksExecuted).toBe(255);
      expect(dup.backendStats.duplicatesDelivered).toBeGreaterThanOrEqual(128);
    } finally {
      await dup.close();
    }
  });

  it('drops what a refused duplicate computed while its lease request was in flight', async () => {
    // Ops run while the lease is asked for (speculation): a duplicate of a 40 ms task computes too, is
    // refused the lease, and must neither count nor write what it computed.
    const dup = await connect({ workers: 2, duplicateRate: 1, duplicateDelayMs: 20, executorOptions: fast });
    try {
      const b = new GraphBuilder();
      const parts = Array.from({ length: 24 }, (_, i) => b.task(`s${i}`, 'sleep', 40, i));
      b.task('total', 'add', ...parts);
      for (const speculate of [true, false]) {
        const { outputs, report } = await dup.run(b.build(), { executorOptions: { speculate } });
        expect(outputs.get('total')).toBe((23 * 24) / 2);
        expect(report.counters.tasksExecuted).toBe(25);
        expect(report.counters.duplicatesDropped).toBeGreaterThanOrEqual(20);
      }
    } finally {
      await dup.close();
    }
  });

  it.each(crashPoints)('completes when executors crash at %s', async (point) => {
    await checkCrashRecovery(client, point);
  });

  it('recomputes from lineage an output that was never persisted', async () => {
    await checkLineageRecompute(client);
  });

  it('marks done what is expensive to redo, and leases a won child with its fan-in', async () => {
    await checkDoneMarks(client);
  });

  it('turns a task that always crashes into RetriesExhaustedError', async () => {
    await checkRetriesExhausted(client);
  });
});

describe('failures are loud', () => {
  it('rejects with a typed error naming a throwing task, within a second', async () => {
    const b = new GraphBuilder();
    const x = b.task('x', 'add', 1, 2);
    b.task('bad', 'fail', 'exploded on purpose', x);
    const t0 = Date.now();
    const error = await client.compute(b.build()).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'TaskFailedError',
      code: 'TASK_FAILED',
      task: 'bad',
      remoteMessage: 'exploded on purpose',
    });
    expect((error as { remoteStack?: string }).remoteStack).toMatch(/DeliberateFailure/);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('rejects an invalid graph before invoking anything', async () => {
    const before = client.backendStats.invocations;
    const cyclic: Graph = {
      tasks: [
        { key: 'a', op: 'add', args: [{ ref: 'b' }] },
        { key: 'b', op: 'add', args: [{ ref: 'a' }] },
      ],
    };
    await expect(client.compute(cyclic)).rejects.toMatchObject({ code: 'GRAPH_CYCLE' });
    await expect(client.compute({ tasks: [{ key: 'a', op: 'rm -rf', args: [] }] })).rejects.toMatchObject({
      code: 'GRAPH_UNKNOWN_OP',
    });
    expect(client.backendStats.invocations).toBe(before);
  });

  it('rejects a stalled job at its deadline, naming what is missing', async () => {
    const b = new GraphBuilder();
    b.task('slow', 'sleep', 5_000);
    await expect(client.compute(b.build(), { deadlineMs: 300 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      missing: ['slow'],
    });
  });

  /*   first (sleep 300) ──► c0 .. c19: cancelled while `first` runs, so no child is ever invoked */
  it('stops on cancel: no new invocations after it', async () => {
    const b = new GraphBuilder();
    const first = b.task('first', 'sleep', 300, 1);
    for (let i = 0; i < 20; i++) b.task(`c${i}`, 'add', first, i);
    const controller = new AbortController();
    const before = client.backendStats.invocations;
    const pending = client.compute(b.build(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'SCHEDULER_JOB_CANCELLED' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(client.backendStats.invocations - before).toBe(1); // the leaf only
  });
});
