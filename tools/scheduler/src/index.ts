/**
 * @wukong/scheduler: the static scheduler, the client API and the `wukong` CLI.
 */
export { STANDARD_OP_NAMES, standardOpManifest } from './ops.js';
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
