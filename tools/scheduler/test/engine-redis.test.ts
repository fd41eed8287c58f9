/**
 * The engine end to end on real Redis: the scenarios of engine.test.ts, with the local backend's worker
 * threads storing through 3 standalone Redis shards (client-side routing) and through a 3-master Redis
 * Cluster, both started by `@wukong/storage/testing`. After every job the servers must hold no key of it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '@wukong/graph';
import { crashPoints } from '@wukong/executor';
import {
  clusterUrl,
  shardsUrl,
  startCluster,
  startShards,
  stopAll,
  type RedisProcess,
} from '@wukong/storage/testing';
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

const execFileAsync = promisify(execFile);
const fast = { leaseMs: 400 };

let shards: RedisProcess[] = [];
let cluster: RedisProcess[] = [];
beforeAll(async () => {
  [shards, cluster] = await Promise.all([startShards(3), startCluster(3)]);
}, 120_000);
afterAll(async () => {
  await stopAll([...shards, ...cluster]);
});

/** Keys held by each server (DBSIZE), summed. */
async function keyCount(servers: readonly RedisProcess[]): Promise<number> {
  let total = 0;
  for (const s of servers) {
    const { stdout } = await execFileAsync('redis-cli', ['-h', '127.0.0.1', '-p', String(s.port), 'dbsize']);
    total += Number(stdout.trim());
  }
  return total;
}

const stores = [
  { name: '3 Redis shards', url: () => shardsUrl(shards), servers: () => shards },
  // clusterUrl lists every master as a seed: 'redis-cluster://127.0.0.1:p1,redis-cluster://…'
  { name: 'a 3-master Redis Cluster', url: () => clusterUrl(cluster), servers: () => cluster },
];

describe.each(stores)('on $name', ({ url, servers }) => {
  let client: Client;
  beforeAll(async () => {
    client = await connect({ storage: url(), workers: 2, eventFlushMs: 20, executorOptions: fast });
  });
  afterAll(async () => {
    await client?.close();
  });

  it('sums 1,024 leaves correctly, computing each of the 1,023 tasks once, and leaves no keys', async () => {
    const { graph, expected, finalKey } = treeReduction({ leaves: 1024 });
    const { outputs, report } = await client.run(graph);
    expect(outputs.get(finalKey)).toBe(expected);
    expect(report.tasks).toBe(1023);
    expect(report.counters.tasksExecuted).toBe(1023);
    expect(report.retries).toBe(0);
    // Intermediate outputs crossed executors through Redis.
    expect(report.counters.bytesStored).toBeGreaterThan(0);
    await client.settled();
    expect(await keyCount(servers())).toBe(0);
  });

  it('runs fan-out 1→64, fan-in 64→1, a diamond and a long chain', async () => {
    const { graph, finalKey, expected } = shapesGraph();
    const { outputs, report } = await client.run(graph);
    expect(outputs.get(finalKey)).toBe(expected);
    expect(outputs.size).toBe(1);
    expect(report.counters.tasksExecuted).toBe(report.tasks);
    await client.settled();
    expect(await keyCount(servers())).toBe(0);
  });

  it('clusters the children of a large output (observed through the counters)', async () => {
    await checkClustering(client);
  });

  it('holds a large input in memory (delayed I/O) until the other parent is done', async () => {
    await checkDelayedIo(client);
  });

  it('never lets two holders of one child wait on each other', async () => {
    await checkTwoHolders(client);
  });

  it('gives identical results under 100% duplicate delivery, computing every task exactly once', async () => {
    const duplicateDelayMs = 30;
    const dup = await connect({
      storage: url(),
      workers: 2,
      duplicateRate: 1,
      duplicateDelayMs,
      eventFlushMs: 20,
      executorOptions: fast,
    });
    try {
      const { graph, expected, finalKey } = treeReduction({ leaves: 256 });
      const plain = await client.run(graph);
      const { outputs, report } = await dup.run(graph);
      expect(outputs.get(finalKey)).toBe(expected);
      expect([...outputs]).toEqual([...plain.outputs]);
      expect(report.counters.tasksExecuted).toBe(255);
      expect(dup.backendStats.duplicatesDelivered).toBeGreaterThanOrEqual(128);
      expect(report.counters.duplicatesDropped).toBeGreaterThan(0);
      // Copies still in flight when the job ended arrive within duplicateDelayMs. They must find the job
      // over and change nothing: no task recomputed after the job's keys were removed, no key recreated.
      await new Promise((resolve) => setTimeout(resolve, 10 * duplicateDelayMs));
    } finally {
      await dup.close();
    }
    expect(await keyCount(servers())).toBe(0);
  });

  it('lets a copy delivered after the job ended change nothing (no recompute, no key recreated)', async () => {
    // Lambda delivers some async invocations twice, the copy possibly minutes later. Here each copy
    // arrives up to 500 ms after the original, while the job itself is over in a few tens of ms.
    const late = await connect({
      storage: url(),
      workers: 2,
      duplicateRate: 1,
      duplicateDelayMs: 500,
      eventFlushMs: 20,
      executorOptions: fast,
    });
    try {
      const { graph, expected, finalKey } = treeReduction({ leaves: 16 });
      const { outputs, report } = await late.run(graph);
      expect(outputs.get(finalKey)).toBe(expected);
      expect(report.counters.tasksExecuted).toBe(15);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(late.backendStats.duplicatesDelivered).toBeGreaterThanOrEqual(8);
    } finally {
      await late.close();
    }
    expect(await keyCount(servers())).toBe(0);
  });

  // `other` (200 ms) runs beside `bad` (both are children of `x`); when `bad` throws, compute() rejects at
  // once and the job's keys are deleted, and `other` must not write them back when it finishes.
  it("rejects with a typed error naming a throwing task, and removes the failed job's keys", async () => {
    const b = new GraphBuilder();
    const x = b.task('x', 'add', 1, 2);
    b.task('bad', 'fail', 'exploded on purpose', x);
    b.task('other', 'sleep', 200, x);
    await client.settled();
    const keysBefore = await keyCount(servers());
    const error = await client.compute(b.build()).catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'TaskFailedError',
      code: 'TASK_FAILED',
      task: 'bad',
      remoteMessage: 'exploded on purpose',
    });
    expect((error as { remoteStack?: string }).remoteStack).toMatch(/DeliberateFailure/);
    // Give `other` (200 ms) time to finish: whatever it does then must not recreate the job's keys.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await client.settled();
    expect(await keyCount(servers())).toBe(keysBefore);
  });

  it("stops on cancel, and the running task does not recreate the cancelled job's keys", async () => {
    const b = new GraphBuilder();
    b.task('slow', 'sleep', 300);
    await client.settled();
    const keysBefore = await keyCount(servers());
    const controller = new AbortController();
    const pending = client.compute(b.build(), { signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(pending).rejects.toMatchObject({ code: 'SCHEDULER_JOB_CANCELLED' });
    // Past the end of the 300 ms sleep: nothing it does may bring the job's keys back.
    await new Promise((resolve) => setTimeout(resolve, 600));
    await client.settled();
    expect(await keyCount(servers())).toBe(keysBefore);
  });

  it('turns a task that always crashes into RetriesExhaustedError', async () => {
    await checkRetriesExhausted(client);
  });

  it('rejects a stalled job at its deadline, naming what is missing, and leaves its keys deleted', async () => {
    const b = new GraphBuilder();
    b.task('slow', 'sleep', 800);
    await client.settled();
    const keysBefore = await keyCount(servers());
    await expect(client.compute(b.build(), { deadlineMs: 300 })).rejects.toMatchObject({
      code: 'DEADLINE_EXCEEDED',
      missing: ['slow'],
    });
    // Past the end of the 800 ms sleep.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await client.settled();
    expect(await keyCount(servers())).toBe(keysBefore);
  });

  it('rejects an invalid graph before invoking anything or writing a key', async () => {
    const before = client.backendStats.invocations;
    await client.settled();
    const keysBefore = await keyCount(servers());
    await expect(
      client.compute({
        tasks: [
          { key: 'a', op: 'add', args: [{ ref: 'b' }] },
          { key: 'b', op: 'add', args: [{ ref: 'a' }] },
        ],
      }),
    ).rejects.toMatchObject({ code: 'GRAPH_CYCLE' });
    expect(client.backendStats.invocations).toBe(before);
    await client.settled();
    expect(await keyCount(servers())).toBe(keysBefore);
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
});

describe('on 3 Redis shards, with the plan handed to the threads', () => {
  it('starts the leaves while the plan is still being stored', async () => {
    const client = await connect({ storage: shardsUrl(shards), workers: 2, eventFlushMs: 20 });
    try {
      // Every write waits 500 ms on every shard, the plan's among them; reads and the ops do not.
      const pausedAt = Date.now();
      await Promise.all(
        shards.map((s) =>
          execFileAsync('redis-cli', [
            '-h',
            '127.0.0.1',
            '-p',
            String(s.port),
            'client',
            'pause',
            '500',
            'write',
          ]),
        ),
      );
      const { outputs, report } = await client.run(sleepSum(4, 20));
      expect([...outputs.values()]).toEqual([4]);
      const firstSleep = Math.min(...report.spans.filter((s) => s.kind === 'compute').map((s) => s.t0));
      // The sleeps ran (speculatively, their leases not yet answered) before the plan could be stored.
      expect(firstSleep - pausedAt).toBeLessThan(400);
      expect(report.wallMs).toBeGreaterThan(300);
      await client.settled();
      expect(await keyCount(shards)).toBe(0);
    } finally {
      await client.close();
    }
  });
});
