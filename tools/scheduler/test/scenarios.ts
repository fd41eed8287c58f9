/**
 * Engine scenarios run and checked the same way on every store — engine.test.ts (memory) and
 * engine-redis.test.ts (shards, cluster) call these: locality (task clustering, delayed I/O, two holders
 * of one child), recovery (a crash at a named point, lineage recompute, a poison task) and the task
 * records a job leaves (done marks, leases taken with the fan-in).
 */
import { expect } from 'vitest';
import { GraphBuilder, type NDArray } from '@wukong/graph';
import type { CrashPoint } from '@wukong/executor';
import { keys } from '@wukong/storage';
import type { Client } from '../src/client.js';
import { chainGraph, clusterGraph, delayedIoGraph, fanOutReduce, twoHoldersGraph } from './graphs.js';

/** The children of a large output run where it is: nothing invoked, nothing stored but the finals. */
export async function checkClustering(client: Client): Promise<void> {
  const opts = { clusterThresholdBytes: 1024, piggybackBytes: 0 };
  const on = await client.run(clusterGraph(), { executorOptions: opts });
  const off = await client.run(clusterGraph(), { executorOptions: { ...opts, clustering: false } });
  for (const { outputs } of [on, off]) {
    for (let i = 0; i < 4; i++)
      expect(Array.from((outputs.get(`k${i}`) as NDArray).data.slice(0, 2))).toEqual([3 + i, 3 + i]);
  }
  expect(on.report.counters.invocations).toBe(0);
  expect(off.report.counters.invocations).toBe(3);
  // Off: `big` is written once for the invoked children; on: only the four finals are.
  expect(off.report.counters.bytesStored - on.report.counters.bytesStored).toBeGreaterThanOrEqual(4096);
  expect(on.report.counters.bytesKeptLocal).toBeGreaterThanOrEqual(4 * 4096);
}

/** A large input is held in memory until the other parent is done; then the child runs where it is. */
export async function checkDelayedIo(client: Client): Promise<void> {
  const { outputs, report } = await client.run(delayedIoGraph(), {
    executorOptions: { clusterThresholdBytes: 1024 },
  });
  expect(Array.from((outputs.get('child') as NDArray).data.slice(0, 3))).toEqual([7, 7, 7]);
  expect(report.counters.delayedIoHolds).toBe(1);
  // `big` (8 KiB) was never written: only `slow` (small) and the final `child` were.
  expect(report.counters.bytesStored).toBeLessThan(8192 + 1024);
  expect(report.counters.bytesKeptLocal).toBeGreaterThanOrEqual(8192);
}

/**
 * Two parents with large inputs for one child never wait on each other: the second is told `conflict`.
 * A hold that timed out instead would last until deadline - persistReserveMs, 60 s from now, past the
 * tests' timeout.
 */
export async function checkTwoHolders(client: Client): Promise<void> {
  const { outputs, report } = await client.run(twoHoldersGraph(), {
    deadlineMs: 62_000,
    executorOptions: { clusterThresholdBytes: 1024, persistReserveMs: 2_000, delayedIoRecheckMs: 60_000 },
  });
  expect(Array.from((outputs.get('child') as NDArray).data.slice(0, 2))).toEqual([6, 6]);
  expect(report.counters.delayedIoHolds).toBe(1);
}

/** Executors die at `point` (a quarter of the tasks; at mid-fanout, `root`) and the job still completes. */
export async function checkCrashRecovery(client: Client, point: CrashPoint): Promise<void> {
  const { graph, expected } = fanOutReduce(32);
  const crashesBefore = client.backendStats.crashes;
  // Only a task with several children has a middle of a fan-out: `root`.
  const dice = point === 'mid-fanout' ? { crashTasks: ['root'], crashRate: 1 } : { crashRate: 0.25, seed: 7 };
  const { outputs, report } = await client.run(graph, {
    faults: { crashAt: [point], ...dice },
    stallMs: 300,
  });
  expect([...outputs.values()]).toEqual([expected]);
  expect(report.retries).toBeGreaterThan(0);
  expect(client.backendStats.crashes).toBeGreaterThan(crashesBefore);
}

/**
 * a → b → c is one executor's chain (nothing written); c crashes before compute on attempt 1, so the
 * retry of c runs elsewhere, finds b's output missing and recomputes it from lineage.
 */
export async function checkLineageRecompute(client: Client): Promise<void> {
  const { outputs, report } = await client.run(chainGraph(), {
    faults: { crashAt: ['before-compute'], crashTasks: ['c'] },
    stallMs: 300,
  });
  expect(outputs.get('c')).toBe(31);
  expect(report.counters.tasksRecomputed).toBeGreaterThanOrEqual(1);
}

/**
 * Done marks: an output stored under its own key (a final) carries one; a task whose output only rode in
 * its child's fan-in record gets one when its compute took at least `doneMarkMinMs`, and a cheaper one
 * does not (its lease alone guards it). The child, won by a parent that runs it itself, was leased by
 * that parent's fan-in, and every task ran once.
 */
export async function checkDoneMarks(client: Client): Promise<void> {
  const b = new GraphBuilder();
  const cheap = b.task('cheap', 'add', 1, 2);
  const slow = b.task('slow', 'sleep', 80, 4);
  b.task('total', 'add', cheap, slow);
  const { outputs, report } = await client.run(b.build(), {
    keepKeys: true,
    executorOptions: { doneMarkMinMs: 50, leaseMs: 5_000 },
  });
  try {
    expect(outputs.get('total')).toBe(7);
    expect(report.counters.tasksExecuted).toBe(3);
    const mark = async (key: string): Promise<string | null> => {
      const value = await client.store.get(keys.lease(report.job, report.keys.indexOf(key)));
      return value === null ? null : new TextDecoder().decode(value);
    };
    expect(await mark('total')).toBe('done');
    expect(await mark('slow')).toBe('done');
    const cheapLease = await mark('cheap');
    expect(cheapLease).not.toBeNull(); // still its executor's lease
    expect(cheapLease).not.toBe('done');
    // Neither parent's output was written under its own key: both rode in the fan-in record.
    expect(await client.store.exists(keys.out(report.job, report.keys.indexOf('cheap')))).toBe(false);
    expect(await client.store.exists(keys.out(report.job, report.keys.indexOf('slow')))).toBe(false);
  } finally {
    await client.store.deleteJob(report.job);
  }
}

/** A task that crashes on every attempt ends the job with RetriesExhaustedError naming it. */
export async function checkRetriesExhausted(client: Client): Promise<void> {
  const b = new GraphBuilder();
  b.task('poison', 'add', 1, 1);
  await expect(
    client.compute(b.build(), {
      faults: { crashAt: ['before-compute'], crashAttempts: [1, 2, 3, 4] },
      stallMs: 200,
      maxAttempts: 3,
    }),
  ).rejects.toMatchObject({ code: 'RETRIES_EXHAUSTED', task: 'poison' });
}
