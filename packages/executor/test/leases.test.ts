import { afterAll, describe, expect, it } from 'vitest';
import { GraphBuilder } from '@wukong/graph';
import { buildPlan, encodePlan } from '@wukong/partitioner';
import { keys, MemoryStore } from '@wukong/storage';
import { createOpRegistry } from '../src/ops/index.js';
import { runInvocation, type Invoker } from '../src/executor.js';
import { decodePayload, PAYLOAD_VERSION, PayloadEncoder } from '../src/payload.js';
import { PlanCache, storePlan } from '../src/plan-cache.js';
import { ProgressSink } from '../src/progress.js';

const store = new MemoryStore();
afterAll(() => store.close());

const noInvocations: Invoker = {
  invoke: () => Promise.reject(new Error('this test invokes nothing')),
};

/** Stores a job of sleep leaves (summed by one add) and returns one payload per leaf. */
async function sleepJob(job: string, sleeps: number[], leaseMs: number): Promise<Uint8Array[]> {
  const b = new GraphBuilder();
  const parts = sleeps.map((ms, i) => b.task(`s${i}`, 'sleep', ms, 1));
  b.task('total', 'add', ...parts);
  const plan = buildPlan(b.build());
  const encoded = encodePlan(plan);
  await storePlan(store, job, encoded, 60_000);
  const payloads = new PayloadEncoder(
    {
      v: PAYLOAD_VERSION,
      job,
      deadlineMs: Date.now() + 60_000,
      config: { keyTtlMs: 60_000, options: { leaseMs } },
    },
    262_144,
  );
  return Array.from(plan.leaves, (leaf) => payloads.encode([leaf], [], 1));
}

function run(payload: Uint8Array, executorId: string): ReturnType<typeof runInvocation> {
  return runInvocation(decodePayload(payload), {
    store,
    invoker: noInvocations,
    ops: createOpRegistry(),
    plans: new PlanCache(store),
    progress: new ProgressSink(store, executorId, 50),
    executorId,
  });
}

/** Another executor trying to take the lease of task `task` (taskBegin: code 0 = held by another). */
async function tryLease(job: string, task: number): Promise<number> {
  const r = await store.runScript(
    'taskBegin',
    [keys.lease(job, task), keys.out(job, task)],
    ['intruder#1', 60_000, 'done'],
  );
  return r.code;
}

describe('leases', () => {
  it('are renewed while a task runs longer than its lease, in every invocation of the host', async () => {
    // leaseMs 150: renewed every 50 ms. Two invocations of two jobs run at once, a second after the
    // first ends it still runs; at 3 and 6 leases into the sleeps, another executor is refused each
    // lease (without renewal both would have expired long before).
    const [a] = await sleepJob('jlease1', [1_200], 150);
    const [b] = await sleepJob('jlease2', [600], 150);
    const runA = run(a!, 'w0.1');
    const runB = run(b!, 'w0.2');
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(await tryLease('jlease1', 0)).toBe(0);
    expect(await tryLease('jlease2', 0)).toBe(0);
    expect((await runB).counters.tasksExecuted).toBe(2); // the sleep, then the add it became
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await tryLease('jlease1', 0)).toBe(0);
    expect((await runA).counters.tasksExecuted).toBe(2); // the sleep, then the add it became
  });
});
