// The workload half of `npm run bench:profile` (see profile.ts), run under `node --cpu-prof`: one of the
// bench workloads, a few warm-up jobs, then JOBS profiled jobs. Prints one JSON line: the job count, the
// tasks per job, wall times, span totals per kind, and for Redis storage the commands per job (INFO
// commandstats, summed over the shards; commands run inside Lua scripts count too).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Graph } from '@wukong/graph';
import { shardsUrl, startShards, stopAll, type RedisProcess } from '@wukong/storage/testing';
import { connect } from '../src/client.js';
import { treeReduction } from '../src/workloads/tree-reduction.js';
import { sleepGraph } from './workloads.js';

const execFileAsync = promisify(execFile);
const WARMUP = 2;

async function commandStats(servers: readonly RedisProcess[]): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const s of servers) {
    const { stdout } = await execFileAsync('redis-cli', ['-p', String(s.port), 'info', 'commandstats']);
    for (const m of stdout.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
      calls.set(m[1]!, (calls.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return calls;
}

const workload = process.argv[2] ?? 'tree-memory';
const jobs = Number(process.argv[3] ?? 20);
const redis = workload !== 'tree-memory';
let servers: RedisProcess[] = [];
try {
  if (redis) servers = await startShards(3);
  const graph: Graph =
    workload === 'sleep-redis' ? sleepGraph().graph : treeReduction({ leaves: 1024 }).graph;
  const client = await connect({
    workers: 2,
    ...(redis ? { storage: shardsUrl(servers) } : {}),
    ...(workload === 'sleep-redis' ? { executorsPerWorker: 500 } : {}),
  });
  try {
    for (let i = 0; i < WARMUP; i++) await client.run(graph, { deadlineMs: 120_000 });
    const before = redis ? await commandStats(servers) : new Map<string, number>();
    const wallMs: number[] = [];
    const spans: Record<string, { count: number; ms: number }> = {};
    for (let i = 0; i < jobs; i++) {
      const t0 = performance.now();
      const { report } = await client.run(graph, { deadlineMs: 120_000 });
      wallMs.push(performance.now() - t0);
      for (const s of report.spans) {
        const k = (spans[s.kind] ??= { count: 0, ms: 0 });
        k.count++;
        k.ms += s.t1 - s.t0;
      }
    }
    const after = redis ? await commandStats(servers) : new Map<string, number>();
    const commands: Record<string, number> = {};
    for (const [name, n] of after)
      if (n > (before.get(name) ?? 0)) commands[name] = (n - (before.get(name) ?? 0)) / jobs;
    process.stdout.write(
      `${JSON.stringify({ workload, jobs, warmup: WARMUP, tasks: graph.tasks.length, wallMs, spans, commands })}\n`,
    );
  } finally {
    await client.close();
  }
} finally {
  await stopAll(servers);
}
