/**
 * `wukong plan`: validate a graph, build its Plan, and describe it: summary figures and the first few of
 * Wukong's static schedules (one per leaf). Used by the CLI; usable from code.
 */
import { validateGraph, type Graph, type OpManifest } from '@wukong/graph';
import { buildPlan, planStats, StaticScheduler, type Plan, type PlanStats } from '@wukong/partitioner';
import { InvalidOptionError } from './errors.js';
import { createOpRegistry } from '@wukong/executor';

export interface PlanReportOptions {
  /**
   * How many static schedules to include (the first leaves in task order).
   * @default 4
   */
  schedules?: number;
  /**
   * Op manifest to validate against.
   * @default the op registry compiled into the executor (createOpRegistry)
   */
  ops?: OpManifest | Iterable<string>;
}

export const DEFAULT_REPORTED_SCHEDULES = 4;

export interface ReportStep {
  readonly task: string;
  /** distinct deps: above 1 the task is a fan-in, run by whichever parent finishes last */
  readonly inDegree: number;
  readonly become: string | null;
  readonly invoke: readonly string[];
}

export interface ReportSchedule {
  readonly leaf: string;
  readonly steps: readonly ReportStep[];
}

export interface PlanReport {
  readonly stats: PlanStats;
  /** total number of static schedules (= leaves) */
  readonly scheduleCount: number;
  readonly schedules: readonly ReportSchedule[];
}

/** Validates `graph`, builds its plan and reports on it. Throws the typed validation errors of @wukong/graph. */
export function planReport(
  graph: Graph,
  options: PlanReportOptions = {},
): { plan: Plan; report: PlanReport } {
  const shown = options.schedules ?? DEFAULT_REPORTED_SCHEDULES;
  if (!Number.isSafeInteger(shown) || shown < 0) {
    throw new InvalidOptionError('schedules', `must be a non-negative integer, got ${shown}`);
  }
  validateGraph(graph, { ops: options.ops ?? createOpRegistry() });
  const plan = buildPlan(graph);
  const scheduler = new StaticScheduler(plan);
  const schedules: ReportSchedule[] = [];
  for (const leaf of plan.leaves.subarray(0, shown)) {
    const s = scheduler.scheduleFrom(leaf);
    const steps: ReportStep[] = [];
    for (let k = 0; k < s.tasks.length; k++) {
      const task = s.tasks[k] as number;
      const become = s.become[k] as number;
      steps.push({
        task: plan.keys[task] as string,
        inDegree: plan.inDegree[task] as number,
        become: become < 0 ? null : (plan.keys[become] as string),
        invoke: [...s.invoke.subarray(s.invokeOffsets[k], s.invokeOffsets[k + 1])].map(
          (c) => plan.keys[c] as string,
        ),
      });
    }
    schedules.push({ leaf: plan.keys[leaf] as string, steps });
  }
  return { plan, report: { stats: planStats(plan), scheduleCount: plan.leaves.length, schedules } };
}

/** The human-readable form printed by `wukong plan`. */
export function formatPlanReport(report: PlanReport, source: string): string {
  const { stats } = report;
  const lines = [
    `${source}: valid graph`,
    '',
    ...(
      [
        ['tasks', stats.tasks],
        ['leaves', stats.leaves],
        ['finals', stats.finals],
        ['edges', stats.edges],
        ['max fan-in', stats.maxFanIn],
        ['max fan-out', stats.maxFanOut],
        ['critical path', `${stats.criticalPathLength} tasks`],
      ] as const
    ).map(([name, value]) => `  ${name.padEnd(14)} ${value}`),
    '',
    `static schedules: ${report.scheduleCount} (one per leaf), showing ${report.schedules.length}` +
      (report.schedules.length < report.scheduleCount ? ' (--schedules N for more)' : ''),
    '  after each task the executor becomes one child and invokes the others; * marks a fan-in child,',
    '  which runs on whichever of its parents finishes last',
  ];
  const fanIn = new Map<string, number>();
  for (const s of report.schedules) for (const step of s.steps) fanIn.set(step.task, step.inDegree);
  const mark = (k: string) => ((fanIn.get(k) ?? 0) > 1 ? `${k}*` : k);
  for (const s of report.schedules) {
    lines.push('', `  leaf ${s.leaf}: ${s.steps.length} task${s.steps.length === 1 ? '' : 's'}`);
    const width = Math.max(...s.steps.map((st) => mark(st.task).length));
    for (const step of s.steps) {
      const action =
        step.become === null
          ? 'final'
          : `become ${mark(step.become)}` +
            (step.invoke.length > 0 ? `, invoke ${step.invoke.map(mark).join(', ')}` : '');
      lines.push(`    ${mark(step.task).padEnd(width)}  ${action}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
