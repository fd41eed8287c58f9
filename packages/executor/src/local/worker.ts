/**
 * A worker thread of the local backend: it hosts the executor core as a warm Lambda container would —
 * one store client, one op registry, one Plan cache and one progress sink, reused by every invocation it
 * receives. An invocation is a message; invoking a child is a message back to the pool.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { getKernels } from '@wukong/kernels';
import { connectMemoryStore, openStore, type Store } from '@wukong/storage';
import { runInvocation } from '../executor.js';
import { createOpRegistry } from '../ops/index.js';
import { decodePayload } from '../payload.js';
import { PlanCache } from '../plan-cache.js';
import { ProgressSink } from '../progress.js';
import { Fifo } from './fifo.js';
import type { Ended, FromWorker, ToWorker, WorkerInit } from './protocol.js';

const port = parentPort!;
const init = workerData as WorkerInit;
const post = (m: FromWorker): void => port.postMessage(m);

// Kernels compile and warm up in the background from the start, as a Lambda container would at init,
// so the first array task of the first job does not pay for it (ops await the same promise).
getKernels().catch(() => undefined);

const store: Store = init.storePort ? connectMemoryStore(init.storePort) : await openStore(init.storeUrl!);
const ops = createOpRegistry();
const plans = new PlanCache(store);
/** Jobs the client stopped (cancelled, failed, ended): their invocations are dropped, their executors stop. */
const stopped = new Set<string>();
const MAX_STOPPED_JOBS = 10_000;
const progress = new ProgressSink(
  store,
  `w${init.workerIndex}`,
  init.eventFlushMs,
  (job) => !stopped.has(job),
);

let outInvokes: Uint8Array[] = [];
let outEnded: Ended[] = [];
let outCredits = 0;
let flushScheduled = false;
function flushOut(): void {
  flushScheduled = false;
  post({ type: 'batch', invokes: outInvokes, ended: outEnded, credits: outCredits });
  outInvokes = [];
  outEnded = [];
  outCredits = 0;
}
function send(invoke: Uint8Array | undefined, ended: Ended | undefined, credits = 0): void {
  if (invoke) outInvokes.push(invoke);
  if (ended) outEnded.push(ended);
  outCredits += credits;
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flushOut);
  }
}

const invoker = {
  invoke(payload: Uint8Array): Promise<void> {
    send(payload, undefined);
    return Promise.resolve();
  },
};

/** Executors running (or waiting) per job, so that `stop` is answered once the last of them has ended. */
const active = new Map<string, number>();
/** Stopped jobs whose `stopped` answer waits for their running executors to end. */
const answering = new Set<string>();

function executorEnded(job: string): void {
  const left = active.get(job)! - 1;
  if (left > 0) return void active.set(job, left);
  active.delete(job);
  if (answering.delete(job)) post({ type: 'stopped', job });
}

const isJobStopped = (job: string): boolean => stopped.has(job);

let running = 0;
let sequence = 0;
/** Invocations not started yet (a thread may hold thousands). */
const waiting = new Fifo<Uint8Array>();

function pump(): void {
  while (running < init.executorsPerWorker && waiting.size > 0) {
    running++;
    void execute(waiting.shift()!);
  }
}

async function execute(bytes: Uint8Array): Promise<void> {
  let slotHeld = true;
  const release = (): void => {
    if (slotHeld) {
      slotHeld = false;
      running--;
      send(undefined, undefined, 1); // the pool may send one more
      pump();
    }
  };
  let job: string | undefined;
  try {
    const payload = decodePayload(bytes);
    job = payload.job;
    active.set(job, (active.get(job) ?? 0) + 1);
    const summary = await runInvocation(payload, {
      store,
      invoker,
      ops,
      plans,
      progress,
      executorId: `w${init.workerIndex}.${++sequence}`,
      isJobStopped,
      // A waiting executor gives its slot to queued work and takes one back when it resumes.
      onWaitChange: (isWaiting) => {
        if (isWaiting) release();
        else if (!slotHeld) {
          slotHeld = true;
          running++;
          send(undefined, undefined, -1);
        }
      },
    });
    // Only an end the pool counts (a crash) travels; a plain end is the credit its slot returns.
    if (summary.crashed) send(undefined, { crashed: summary.crashed });
  } catch (e) {
    const error = e as Error;
    send(undefined, { failed: { message: error.message, ...(error.stack ? { stack: error.stack } : {}) } });
  } finally {
    release();
    if (job !== undefined) executorEnded(job);
  }
}

port.on('message', (m: ToWorker) => {
  if (m.type === 'invoke') {
    for (const payload of m.payloads) waiting.push(payload);
    pump();
  } else if (m.type === 'plan') {
    if (!stopped.has(m.job)) plans.offer(m.job, { header: m.header, segments: m.segments });
  } else if (m.type === 'stop') {
    stopped.add(m.job);
    plans.forget(m.job); // nothing of the job runs here again: its plan need not stay cached
    // Remember the most recent jobs only: a late copy of an older job still meets its deleted plan.
    if (stopped.size > MAX_STOPPED_JOBS) stopped.delete(stopped.values().next().value!);
    // Executors of the job stop before their next write; answer when the last has ended.
    if (active.has(m.job)) answering.add(m.job);
    else post({ type: 'stopped', job: m.job });
  } else if (m.type === 'return') {
    // The newest are handed back: they would have started last here.
    const payloads: Uint8Array[] = [];
    while (payloads.length < m.max && waiting.size > 0) payloads.push(waiting.pop()!);
    post({ type: 'returned', payloads });
  } else if (m.type === 'close') {
    void store.close().finally(() => {
      post({ type: 'closed' });
      port.close();
    });
  }
});
post({ type: 'ready' });
