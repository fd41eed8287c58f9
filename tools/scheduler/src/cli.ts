#!/usr/bin/env node
/**
 * The `wukong` command. This file only wires commander to the functions of the other modules, so each
 * subcommand stays testable on its own. Errors print as `wukong: <name> [<code>]: <message>` on stderr and
 * exit with status 1; nothing is started for an invalid graph.
 */
import { Command, InvalidArgumentError } from 'commander';
import type { ComputeOptions, ConnectOptions } from './client.js';
import { loadGraphFile } from './graph-file.js';
import { DEFAULT_REPORTED_SCHEDULES, formatPlanReport, planReport } from './plan-report.js';
import { progressBar } from './progress.js';
import {
  formatSummary,
  graphFileWorkload,
  runWorkload,
  treeReductionWorkload,
  type Workload,
} from './run.js';
import { gemmWorkload } from './workloads/gemm.js';
import { svcWorkload } from './workloads/svc.js';
import { svdCompressedWorkload } from './workloads/svd-compressed.js';
import { svdTallWorkload } from './workloads/svd-tall.js';

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function rate(value: string): number {
  const n = Number(value);
  if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError('expected a number in [0, 1]');
  return n;
}

interface RunFlags {
  workers?: number;
  executorsPerWorker?: number;
  storage: string;
  duplicateRate: number;
  crashRate: number;
  invocationLatencyMs: number;
  deadlineMs: number;
  leaseMs?: number;
  clustering: boolean;
  json?: boolean;
  trace?: string;
}

/** Options every `wukong run <workload>` shares. */
function withRunOptions(command: Command): Command {
  return command
    .option('--workers <n>', 'worker threads (default: one per core)', positiveInt)
    .option('--executors-per-worker <n>', 'executors running at once per thread', positiveInt)
    .option('--storage <url>', 'memory | redis://h:p[,redis://h:p...] | redis-cluster://h:p', 'memory')
    .option('--duplicate-rate <r>', 'fraction of invocations delivered twice', rate, 0)
    .option('--crash-rate <r>', 'probability that a task crashes its executor (first attempt only)', rate, 0)
    .option('--invocation-latency-ms <ms>', 'emulated invocation latency', nonNegativeInt, 0)
    .option('--deadline-ms <ms>', 'job deadline', positiveInt, 600_000)
    .option('--lease-ms <ms>', 'execution lease (default 10000, or 1000 with --crash-rate)', positiveInt)
    .option('--no-clustering', 'turn task clustering and delayed I/O off')
    .option('--json', 'print one JSON object with the result and figures')
    .option('--trace <file>', 'write a Chrome-trace JSON of the spans (open in Perfetto)');
}

async function runFromFlags(workload: Workload, flags: RunFlags): Promise<void> {
  const crashes = flags.crashRate > 0;
  const leaseMs = flags.leaseMs ?? (crashes ? 1_000 : undefined);
  const connectOptions: ConnectOptions = {
    storage: flags.storage,
    duplicateRate: flags.duplicateRate,
    invocationLatencyMs: flags.invocationLatencyMs,
    ...(flags.workers ? { workers: flags.workers } : {}),
    ...(flags.executorsPerWorker ? { executorsPerWorker: flags.executorsPerWorker } : {}),
  };
  const showProgress = !flags.json && process.stderr.isTTY === true;
  const bar = showProgress ? progressBar(process.stderr) : undefined;
  const computeOptions: ComputeOptions = {
    deadlineMs: flags.deadlineMs,
    executorOptions: { clustering: flags.clustering, ...(leaseMs ? { leaseMs } : {}) },
    ...(crashes ? { faults: { crashRate: flags.crashRate, seed: Date.now() % 65_536 }, stallMs: 1_000 } : {}),
    ...(bar ? { onProgress: bar.update } : {}),
  };
  try {
    const summary = await runWorkload(workload, {
      connect: connectOptions,
      compute: computeOptions,
      ...(flags.trace ? { tracePath: flags.trace } : {}),
    });
    bar?.done();
    const { report: _report, ...figures } = summary;
    process.stdout.write(flags.json ? `${JSON.stringify(figures)}\n` : formatSummary(summary));
    if (!summary.ok) process.exitCode = 1;
  } catch (e) {
    bar?.done();
    if (flags.json) {
      const err = e as Error & { code?: unknown };
      process.stdout.write(
        `${JSON.stringify({ workload: workload.name, ok: false, error: { name: err.name, code: err.code, message: err.message } })}\n`,
      );
    }
    throw e;
  }
}

const program = new Command()
  .name('wukong')
  .description('Wukong-TS: a serverless DAG engine with decentralised executors')
  .showHelpAfterError();

program
  .command('plan')
  .description('validate a graph file, build its plan, print statistics and static schedules')
  .argument('<file>', 'graph file (JSON format of @wukong/graph, or the binary graph codec)')
  .option('--json', 'print the report as JSON')
  .option('--schedules <n>', 'how many static schedules to print', nonNegativeInt, DEFAULT_REPORTED_SCHEDULES)
  .action(async (file: string, opts: { json?: boolean; schedules: number }) => {
    const graph = await loadGraphFile(file);
    const { report } = planReport(graph, { schedules: opts.schedules });
    process.stdout.write(
      opts.json === true
        ? `${JSON.stringify({ file, ...report }, null, 2)}\n`
        : formatPlanReport(report, file),
    );
  });

const run = program.command('run').description('run a workload end to end and check its result');

withRunOptions(
  run
    .command('tree-reduction')
    .description('sum 1..N pairwise (N-1 add tasks over literal leaves)')
    .requiredOption('--leaves <n>', 'number of literals to sum', positiveInt)
    .option('--delay-ms <ms>', 'each task sleeps this long before adding', nonNegativeInt, 0),
).action(async (opts: RunFlags & { leaves: number; delayMs: number }) => {
  await runFromFlags(treeReductionWorkload(opts.leaves, opts.delayMs), opts);
});

withRunOptions(
  run
    .command('gemm')
    .description('C = A·B for n×n uniform random A, B in chunk×chunk blocks; sampled dense check')
    .requiredOption('--n <n>', 'matrix order', positiveInt)
    .requiredOption('--chunk <n>', 'block size', positiveInt)
    .option('--sample-rows <n>', 'rows of each output block recomputed densely', nonNegativeInt, 4)
    .option('--seed <n>', 'random seed', nonNegativeInt, 1),
).action(async (opts: RunFlags & { n: number; chunk: number; sampleRows: number; seed: number }) => {
  await runFromFlags(gemmWorkload(opts), opts);
});

withRunOptions(
  run
    .command('svd-tall')
    .description(
      'SVD of a rows×cols uniform random array through TSQR; reconstruction, orthogonality, dense s',
    )
    .requiredOption('--rows <n>', 'rows', positiveInt)
    .requiredOption('--cols <n>', 'columns', positiveInt)
    .requiredOption('--chunk <n>', 'rows per block', positiveInt)
    .option('--seed <n>', 'random seed', nonNegativeInt, 2)
    .option('--no-dense-check', 'skip the dense SVD in the client'),
).action(
  async (
    opts: RunFlags & { rows: number; cols: number; chunk: number; seed: number; denseCheck: boolean },
  ) => {
    await runFromFlags(svdTallWorkload(opts), opts);
  },
);

withRunOptions(
  run
    .command('svd-compressed')
    .description('randomized SVD (top k) of an n×n uniform random array; dense check at n ≤ 4000')
    .requiredOption('--n <n>', 'matrix order', positiveInt)
    .requiredOption('--chunk <n>', 'block size', positiveInt)
    .requiredOption('--rank <k>', 'singular triplets to compute', positiveInt)
    .option('--power-iter <n>', 'power iterations', nonNegativeInt, 0)
    .option('--oversampling <n>', 'extra sample columns', nonNegativeInt, 10)
    .option('--seed <n>', 'random seed', nonNegativeInt, 3)
    .option(
      '--materialize-input',
      "generate the input blocks once as tasks (stored data, dask's blockwise graph, blocks held between the passes) instead of generating each element once inside row strips",
    ),
).action(
  async (
    opts: RunFlags & {
      n: number;
      chunk: number;
      rank: number;
      powerIter: number;
      oversampling: number;
      seed: number;
      materializeInput?: boolean;
    },
  ) => {
    await runFromFlags(
      svdCompressedWorkload({
        ...opts,
        nPowerIter: opts.powerIter,
        materializeInput: opts.materializeInput === true,
      }),
      opts,
    );
  },
);

withRunOptions(
  run
    .command('svc')
    .description('make_classification, SVC fit on a sample, blockwise predict, held-out accuracy')
    .requiredOption('--samples <n>', 'rows', positiveInt)
    .requiredOption('--chunk <n>', 'rows per block', positiveInt)
    .requiredOption('--train <n>', 'training rows (from the first block)', positiveInt)
    .option('--features <n>', 'features', positiveInt, 20)
    .option('--seed <n>', 'random seed', nonNegativeInt, 0),
).action(
  async (
    opts: RunFlags & { samples: number; chunk: number; train: number; features: number; seed: number },
  ) => {
    await runFromFlags(svcWorkload(opts), opts);
  },
);

withRunOptions(
  run
    .command('graph')
    .description('run a graph file (JSON or binary); prints its finals')
    .argument('<file>', 'graph file'),
).action(async (file: string, opts: RunFlags) => {
  await runFromFlags(await graphFileWorkload(file), opts);
});

try {
  await program.parseAsync(process.argv);
} catch (e) {
  const err = e as Error & { code?: unknown };
  const code = typeof err.code === 'string' ? ` [${err.code}]` : '';
  process.stderr.write(`wukong: ${err.name}${code}: ${err.message}\n`);
  process.exitCode = 1;
}
