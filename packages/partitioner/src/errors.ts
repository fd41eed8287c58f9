/**
 * Typed errors of @wukong/partitioner, each with a stable `name` and `code` (plain strings that survive JSON,
 * structured clone and Lambda payloads via toJSON) and a message naming the task, segment or option at fault.
 */

export type PlanErrorCode = 'PLAN_INVALID_GRAPH' | 'PLAN_CODEC' | 'PLAN_TASK_INDEX' | 'PLAN_SEGMENT';

export interface PlanErrorJson {
  readonly name: string;
  readonly code: PlanErrorCode;
  readonly message: string;
}

export abstract class PlanError extends Error {
  abstract override readonly name: string;
  abstract readonly code: PlanErrorCode;

  toJSON(): PlanErrorJson {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/**
 * Thrown by buildPlan when the graph is not a DAG of unique, resolvable keys. buildPlan expects a graph that
 * passed validateGraph (which names cycles in full); this error is the safety net, naming the key at fault.
 */
export class PlanInputError extends PlanError {
  override readonly name = 'PlanInputError';
  readonly code = 'PLAN_INVALID_GRAPH';
  constructor(
    message: string,
    readonly key?: string,
  ) {
    super(`${message} (run validateGraph before buildPlan)`);
  }
}

/** Thrown when plan bytes (header or segment) are malformed, of another version, or options are invalid. */
export class PlanCodecError extends PlanError {
  override readonly name = 'PlanCodecError';
  readonly code = 'PLAN_CODEC';
}

/** Thrown when a task index is outside the plan. */
export class TaskIndexError extends PlanError {
  override readonly name = 'TaskIndexError';
  readonly code = 'PLAN_TASK_INDEX';
  constructor(
    readonly index: number,
    readonly taskCount: number,
  ) {
    super(`task index ${index} is outside the plan (0..${taskCount - 1})`);
  }
}

/** Thrown by PlanReader when a fetched segment is not the one asked for, or fetching it failed. */
export class PlanSegmentError extends PlanError {
  override readonly name = 'PlanSegmentError';
  readonly code = 'PLAN_SEGMENT';
  constructor(
    readonly segment: number,
    reason: string,
  ) {
    super(`plan segment ${segment}: ${reason}`);
  }
}
