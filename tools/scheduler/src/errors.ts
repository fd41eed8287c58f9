/**
 * Typed errors of @wukong/scheduler, each with a stable `name` and `code` (plain strings that survive JSON)
 * and a message naming the file, option or job at fault. Graph, plan and task failures surface as the typed
 * errors of @wukong/graph, @wukong/partitioner and @wukong/executor.
 */

export type SchedulerErrorCode =
  'SCHEDULER_GRAPH_FILE' | 'SCHEDULER_INVALID_OPTION' | 'SCHEDULER_CLIENT_CLOSED' | 'SCHEDULER_JOB_CANCELLED';

export abstract class SchedulerError extends Error {
  abstract override readonly name: string;
  abstract readonly code: SchedulerErrorCode;

  toJSON(): { name: string; code: SchedulerErrorCode; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Thrown when a graph file cannot be read (missing, unreadable, a directory). */
export class GraphFileError extends SchedulerError {
  override readonly name = 'GraphFileError';
  readonly code = 'SCHEDULER_GRAPH_FILE';
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(`cannot read graph file ${path}: ${reason}`);
  }
}

/** Thrown when a client, command-line or report option has an invalid value. */
export class InvalidOptionError extends SchedulerError {
  override readonly name = 'InvalidOptionError';
  readonly code = 'SCHEDULER_INVALID_OPTION';
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(`option ${option}: ${reason}`);
  }
}

/** Thrown by a client method called after `close()`. */
export class ClientClosedError extends SchedulerError {
  override readonly name = 'ClientClosedError';
  readonly code = 'SCHEDULER_CLIENT_CLOSED';
  constructor() {
    super('the client is closed');
  }
}

/** Rejects a job whose AbortSignal fired: no new invocations are made for it. */
export class JobCancelledError extends SchedulerError {
  override readonly name = 'JobCancelledError';
  readonly code = 'SCHEDULER_JOB_CANCELLED';
  constructor(readonly job: string) {
    super(`job ${job} was cancelled`);
  }
}
