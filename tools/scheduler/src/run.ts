/**
 * `wukong run`: runs a workload end to end on a fresh client and checks its result. Each workload builds
 * its graph and knows how to verify what comes back; the runner adds the common options (backend,
 * storage, Lambda emulation) and the one-object JSON summary.
 */
import { writeFile } from 'node:fs/promises';
import type { Value } from '@wukong/executor';
import { isNDArray, type Graph } from '@wukong/graph';
import { connect, type ComputeOptions, type ConnectOptions, type JobReport } from './client.js';
import { loadGraphFile } from './graph-file.js';
import { toChromeTrace } from './trace.js';
import { treeReduction } from './workloads/tree-reduction.js';

/** What a workload hands the runner: a graph and a check of its outputs. */
export interface Workload {
  name: string;
  graph: Graph;
  /** Returns the check's verdict and the figures it compared. */
  check(outputs: Map<string, Value>): { ok: boolean; details: Record<string, unknown> };
}

export interface RunOptions {
  connect: ConnectOptions;
  compute: ComputeOptions;
  /** Write a Chrome-trace JSON of the spans here. */
  tracePath?: string;
}

export interface RunSummary {
  workload: string;
  ok: boolean;
  check: Record<string, unknown>;
  wall_ms: number;
  tasks: number;
  invocations: number;
  tasks_executed: number;
  bytes_stored: number;
  bytes_kept_local: number;
  retries: number;
  report: JobReport;
}

export function treeReductionWorkload(leaves: number, delayMs: number): Workload {
  const { graph, expected, finalKey } = treeReduction({ leaves, delayMs });
  return {
    name: 'tree-reduction',
    graph,
    check(outputs) {
      const actual = outputs.get(finalKey);
      return { ok: actual === expected, details: { expected, actual } };
    },
  };
}

/** A user's graph file: there is nothing to compare with, so the check is that every final arrived. */
export async function graphFileWorkload(path: string): Promise<Workload> {
  const graph = await loadGraphFile(path);
  return {
    name: `graph ${path}`,
    graph,
    check(outputs) {
      const values: Record<string, unknown> = {};
      for (const [key, value] of outputs) values[key] = printableValue(value);
      return { ok: true, details: { finals: outputs.size, values } };
    },
  };
}

/** Lists longer than this print as a summary instead of item by item. */
const PRINTED_LIST_ITEMS = 16;

/**
 * A final value as the CLI prints it: scalars as they are, short lists item by item, tensors and long
 * lists as a summary (`f64[2,3]`, `list[1000]`), so a summary line never holds a whole array.
 */
export function printableValue(value: Value): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (isNDArray(value)) return `${value.dtype}[${value.shape.join(',')}]`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}[${(value as { length: number }).length}]`;
  const list = value as readonly Value[];
  return list.length > PRINTED_LIST_ITEMS ? `list[${list.length}]` : list.map(printableValue);
}

export async function runWorkload(workload: Workload, options: RunOptions): Promise<RunSummary> {
  const client = await connect(options.connect);
  try {
    const { outputs, report } = await client.run(workload.graph, options.compute);
    const { ok, details } = workload.check(outputs);
    if (options.tracePath !== undefined) {
      await writeFile(options.tracePath, JSON.stringify(toChromeTrace(report)));
    }
    return {
      workload: workload.name,
      ok,
      check: details,
      wall_ms: Math.round(report.wallMs * 1000) / 1000,
      tasks: report.tasks,
      invocations: report.invocations,
      tasks_executed: report.counters.tasksExecuted,
      bytes_stored: report.counters.bytesStored,
      bytes_kept_local: report.counters.bytesKeptLocal,
      retries: report.retries,
      report,
    };
  } finally {
    await client.close();
  }
}

/** The human-readable lines of a summary. */
export function formatSummary(s: RunSummary): string {
  const lines = [
    `${s.workload}: ${s.ok ? 'ok' : 'WRONG RESULT'} (${Object.entries(s.check)
      .map(([k, v]) => `${k} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
      .join(', ')})`,
    `  wall ${s.wall_ms.toFixed(1)} ms, ${s.tasks} tasks (${((s.wall_ms * 1000) / s.tasks).toFixed(1)} µs/task), ${s.invocations} invocations, ${s.tasks_executed} executed, ${s.retries} retries`,
    `  bytes stored ${s.bytes_stored}, kept local ${s.bytes_kept_local}`,
  ];
  return `${lines.join('\n')}\n`;
}
