/**
 * @wukong/partitioner: compiles a validated graph into the integer-indexed Plan of DESIGN.md §4, derives
 * Wukong's static schedules from it, and encodes it (whole or in segments read lazily by executors).
 */
export {
  buildPlan,
  compareChildren,
  depsOf,
  dependentsOf,
  isDepArg,
  keyIndex,
  planStats,
  planTask,
  type Plan,
  type PlanArg,
  type PlanStats,
  type PlanTask,
} from './plan.js';
export {
  staticSchedules,
  describeSchedule,
  StaticScheduler,
  type Schedule,
  type ScheduleDescription,
  type ScheduleStep,
} from './schedule.js';
export {
  encodePlan,
  decodePlan,
  decodePlanHeader,
  encodedPlanToBytes,
  encodedPlanFromBytes,
  PlanReader,
  DEFAULT_SEGMENT_TASKS,
  type EncodedPlan,
  type EncodePlanOptions,
  type PlanHeader,
} from './codec.js';
export {
  PlanError,
  PlanInputError,
  PlanCodecError,
  TaskIndexError,
  PlanSegmentError,
  type PlanErrorCode,
  type PlanErrorJson,
} from './errors.js';
