// Where the time of a bench workload goes, per thread and per component:
//
//   npm run bench:profile -w @wukong/scheduler -- [tree-memory | tree-redis | sleep-redis] [JOBS]
//
// Runs bench/profile-run.ts under `node --cpu-prof` (the main thread and each worker thread write their
// own .cpuprofile), then attributes every sample to a component by the function's file: cross-thread
// messaging, GC, msgpack, ioredis, socket I/O, the memory store, the executor, the client, ... and prints
// CPU ms per job per thread and µs per task, beside the job's spans and Redis commands per task. Module
// loading at start-up is left out. The profiler itself slows everything by roughly a third, so compare
// components with each other, and wall times with the bench, not with these.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const RUNNER = fileURLToPath(new URL('./profile-run.js', import.meta.url));

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Component of a sampled function, by name and file; first match wins. */
const COMPONENTS: [string, RegExp][] = [
  ['idle', /^\(idle\) /],
  ['GC', /^\(garbage collector\) /],
  [
    'start-up: module loading',
    /node:internal\/(modules|bootstrap)|compileFunction|compileSourceTextModule|wrapSafe|cjs-module-lexer|openFileHandle|readFileHandle|internalModuleStat|realpathSync/,
  ],
  ['cross-thread messages', /^postMessage |messageport|event_target|node:internal\/worker/],
  [
    'socket writes and reads',
    /^(writeUtf8String|writeBuffer|writev|onStreamRead) |node:net|node:internal\/stream_base/,
  ],
  ['ioredis', /ioredis|redis-parser|cluster-key-slot|denque|standard-as-callback/],
  ['msgpack', /@msgpack/],
  ['@wukong/storage (redis)', /storage\/dist\/redis/],
  ['@wukong/storage (memory, keys, scripts)', /storage\/dist/],
  ['@wukong/executor', /executor\/dist/],
  ['@wukong/scheduler (client, job)', /scheduler\/(dist|build\/src)/],
  ['validate + plan', /(partitioner|graph)\/dist/],
  ['promises, timers, abort signals', /timers|task_queues|async_hooks|abort_controller|^runMicrotasks /],
  ['V8 runtime (program)', /^\(program\) /],
];

function componentOf(functionName: string, url: string): string {
  const label = `${functionName || '(anonymous)'} ${url}`;
  for (const [name, pattern] of COMPONENTS) if (pattern.test(label)) return name;
  return 'other';
}

async function main(): Promise<void> {
  const workload = process.argv[2] ?? 'tree-memory';
  const jobs = process.argv[3] ?? (workload === 'sleep-redis' ? '3' : '20');
  const dir = await mkdtemp(join(tmpdir(), 'wukong-profile-'));
  try {
    const { stdout } = await execFileAsync(
      process.execPath,
      ['--cpu-prof', '--cpu-prof-dir', dir, RUNNER, workload, jobs],
      { timeout: 600_000, maxBuffer: 1 << 24 },
    );
    const run = JSON.parse(stdout) as {
      jobs: number;
      warmup: number;
      tasks: number;
      wallMs: number[];
      spans: Record<string, { count: number; ms: number }>;
      commands: Record<string, number>;
    };
    // Warm-up jobs are in the profiles too: spread the samples over every job that ran.
    const jobsRun = run.jobs + run.warmup;
    const byComponent = new Map<string, Map<string, number>>();
    const threads: string[] = [];
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort()) {
      // CPU.<date>.<time>.<pid>.<thread id>.<seq>.cpuprofile; thread 0 is the main thread.
      const threadId = file.split('.')[4];
      const thread = threadId === '0' ? 'main' : `worker ${threadId}`;
      threads.push(thread);
      const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
      const nodes = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
      profile.samples.forEach((id, i) => {
        const frame = nodes.get(id)!;
        const component = componentOf(frame.functionName, frame.url);
        const perThread = byComponent.get(component) ?? new Map<string, number>();
        perThread.set(thread, (perThread.get(thread) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000 / jobsRun);
        byComponent.set(component, perThread);
      });
    }
    const rows = [...byComponent]
      .filter(([c]) => c !== 'idle' && !c.startsWith('start-up'))
      .map(([c, perThread]) => ({ c, perThread, all: [...perThread.values()].reduce((a, b) => a + b, 0) }))
      .sort((a, b) => b.all - a.all);
    const total = rows.reduce((a, r) => a + r.all, 0);
    const wall = [...run.wallMs].sort((a, b) => a - b);
    process.stdout.write(
      `${workload}: ${run.tasks} tasks per job, ${run.jobs} profiled jobs after ${run.warmup} warm-up; ` +
        `median wall ${wall[wall.length >> 1]!.toFixed(1)} ms under the profiler\n\n`,
    );
    const head = ['component (CPU ms per job)', ...threads, 'all threads', 'µs per task'];
    const lines = rows.map((r) => [
      r.c,
      ...threads.map((t) => (r.perThread.get(t) ?? 0).toFixed(2)),
      r.all.toFixed(2),
      ((r.all * 1000) / run.tasks).toFixed(1),
    ]);
    lines.push([
      'total busy (start-up excluded)',
      ...threads.map((t) => rows.reduce((a, r) => a + (r.perThread.get(t) ?? 0), 0).toFixed(2)),
      total.toFixed(2),
      ((total * 1000) / run.tasks).toFixed(1),
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    const fmt = (cells: string[]): string =>
      cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    process.stdout.write(`${[fmt(head), ...lines.map(fmt)].join('\n')}\n\nspans per job:\n`);
    for (const [kind, s] of Object.entries(run.spans))
      process.stdout.write(
        `  ${kind.padEnd(8)} ${(s.count / run.jobs).toFixed(0).padStart(6)} × ${((s.ms * 1000) / s.count).toFixed(0)} µs mean\n`,
      );
    const commands = Object.entries(run.commands).sort((a, b) => b[1] - a[1]);
    if (commands.length > 0) {
      const sum = commands.reduce((a, [, n]) => a + n, 0);
      process.stdout.write(
        `Redis commands per job: ${sum.toFixed(0)} (${(sum / run.tasks).toFixed(2)} per task)\n`,
      );
      for (const [name, n] of commands)
        process.stdout.write(`  ${name.padEnd(10)} ${(n / run.tasks).toFixed(2)} per task\n`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
