/**
 * @wukong/scheduler: the static scheduler, the client API (`connect()` / `compute()`) and the `wukong` CLI.
 */
export {
  connect,
  Client,
  type ConnectOptions,
  type ComputeOptions,
  type JobReport,
  type JobResult,
} from './client.js';
export { JobRun, type JobProgress, type JobRunOptions, type JobOutcome } from './job.js';
export { treeReduction, type TreeReductionOptions } from './workloads/tree-reduction.js';
export { loadGraphFile } from './graph-file.js';
export {
  planReport,
  formatPlanReport,
  DEFAULT_REPORTED_SCHEDULES,
  type PlanReport,
  type PlanReportOptions,
  type ReportSchedule,
  type ReportStep,
} from './plan-report.js';
export {
  SchedulerError,
  GraphFileError,
  InvalidOptionError,
  ClientClosedError,
  JobCancelledError,
  type SchedulerErrorCode,
} from './errors.js';
export { gemmWorkload, type GemmOptions } from './workloads/gemm.js';
export { svdTallWorkload, type SvdTallOptions } from './workloads/svd-tall.js';
export { svdCompressedWorkload, type SvdCompressedWorkloadOptions } from './workloads/svd-compressed.js';
export { svcWorkload, type SvcWorkloadOptions } from './workloads/svc.js';
export { runWorkload, formatSummary, type Workload, type RunOptions, type RunSummary } from './run.js';
