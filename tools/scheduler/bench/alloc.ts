// Bytes allocated per task by the executor core, a figure that does not depend on how busy the machine
// is (wall and CPU times here do):
//
//   npm run bench:alloc -w @wukong/scheduler
//
// The executor core and the embedded memory store run in this one thread — no worker threads, no
// messages — on the tree reduction of 1,024 literals and on Figure 13's graph with 0 ms sleeps (10,101
// tasks, each leaf its own invocation). The script runs with a young generation large enough that no
// garbage collection happens during a measured job, so the growth of the heap over a job is what the job
// allocated; a job during which a collection ran anyway is reported as such and left out. Prints the
// median bytes and CPU µs per task over JOBS measured jobs after WARMUP jobs.
import { PerformanceObserver } from 'node:perf_hooks';
import {
  createOpRegistry,
  decodePayload,
  decodeValue,
  PAYLOAD_VERSION,
  PayloadEncoder,
  PlanCache,
  ProgressSink,
  runInvocation,
  storePlan,
  type Invoker,
} from '@wukong/executor';
import type { Graph } from '@wukong/graph';
import { buildPlan, encodePlan } from '@wukong/partitioner';
import { keys, MemoryStore } from '@wukong/storage';
import { treeReduction } from '../src/workloads/tree-reduction.js';
import { sleepGraph } from './workloads.js';

const WARMUP = 20;
const JOBS = 10;
/** Executors running at once, as in one worker thread of the local pool. */
const CONCURRENCY = 128;

const store = new MemoryStore();
const ops = createOpRegistry();
const plans = new PlanCache(store);
const progress = new ProgressSink(store, 'w0', 50);
let collections = 0;
new PerformanceObserver((list) => (collections += list.getEntries().length)).observe({ entryTypes: ['gc'] });
let jobs = 0;

/** Runs one job to completion in this thread; returns its task count, after checking its answer. */
async function runJob(graph: Graph, finalKey: string, expected: number): Promise<number> {
  const plan = buildPlan(graph);
  const encoded = encodePlan(plan);
  const job = `jalloc${++jobs}`;
  await storePlan(store, job, encoded, 600_000);
  const payloads = new PayloadEncoder(
    { v: PAYLOAD_VERSION, job, deadlineMs: Date.now() + 600_000, config: { keyTtlMs: 660_000 } },
    262_144,
  );
  const queue = Array.from(plan.leaves, (task) => payloads.encode([task], [], 1));
  let running = 0;
  let sequence = 0;
  let finish: () => void = () => undefined;
  let fail: (e: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => ((finish = resolve), (fail = reject)));
  const pump = (): void => {
    while (running < CONCURRENCY && queue.length > 0) {
      running++;
      const deps = { store, invoker, ops, plans, progress, executorId: `w0.${++sequence}` };
      runInvocation(decodePayload(queue.shift()!), deps).then(() => {
        running--;
        if (running === 0 && queue.length === 0) finish();
        else pump();
      }, fail);
    }
  };
  const invoker: Invoker = {
    invoke(payload) {
      queue.push(payload);
      pump();
      return Promise.resolve();
    },
  };
  pump();
  await finished;
  const final = plan.keys.indexOf(finalKey);
  const value = decodeValue(await store.getRequired(keys.out(job, final)));
  if (value !== expected) throw new Error(`${finalKey} = ${String(value)}, expected ${expected}`);
  await store.deleteJob(job);
  return plan.taskCount;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(name: string, graph: Graph, finalKey: string, expected: number): Promise<void> {
  for (let i = 0; i < WARMUP; i++) await runJob(graph, finalKey, expected);
  const bytes: number[] = [];
  const cpu: number[] = [];
  let skipped = 0;
  for (let i = 0; i < JOBS; i++) {
    const before = collections;
    const heap0 = process.memoryUsage().heapUsed;
    const cpu0 = process.cpuUsage();
    const tasks = await runJob(graph, finalKey, expected);
    const used = process.cpuUsage(cpu0);
    const heap1 = process.memoryUsage().heapUsed;
    if (collections !== before) {
      skipped++;
      continue;
    }
    bytes.push((heap1 - heap0) / tasks);
    cpu.push((used.user + used.system) / tasks);
  }
  if (bytes.length === 0)
    throw new Error(`${name}: a collection ran during every job; raise the young generation`);
  process.stdout.write(
    `${name.padEnd(44)} ${median(bytes).toFixed(0).padStart(6)} bytes/task  ` +
      `${median(cpu).toFixed(1).padStart(5)} µs CPU/task  (${bytes.length} jobs` +
      `${skipped > 0 ? `, ${skipped} with a collection left out` : ''})\n`,
  );
}

const tree = treeReduction({ leaves: 1024 });
await measure('tree reduction, 1,024 literals (1,023 tasks)', tree.graph, tree.finalKey, tree.expected);
const sleeps = sleepGraph(0);
await measure('Figure 13 graph, 0 ms sleeps (10,101 tasks)', sleeps.graph, 'total', sleeps.expected);
await store.close();
