/**
 * Typed errors of the executor. Each has a stable `name` and `code` so that it survives structured clone
 * (worker threads), msgpack (job events) and JSON (Lambda payloads): receivers switch on `code`, never on
 * `instanceof`.
 */

export type ExecutorErrorCode =
  | 'UNKNOWN_OP'
  | 'TASK_FAILED'
  | 'PAYLOAD_TOO_LARGE'
  | 'BAD_PAYLOAD'
  | 'BAD_OP_ARGS'
  | 'RETRIES_EXHAUSTED'
  | 'INJECTED_CRASH'
  | 'DEADLINE_EXCEEDED';

export class ExecutorError extends Error {
  override readonly name: string = 'ExecutorError';
  constructor(
    readonly code: ExecutorErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Thrown when a plan or payload names an op that the registry compiled into this executor does not know. */
export class UnknownOpError extends ExecutorError {
  override readonly name = 'UnknownOpError';
  constructor(
    readonly op: string,
    readonly task?: string,
  ) {
    super('UNKNOWN_OP', `unknown op '${op}'${task === undefined ? '' : ` (task '${task}')`}`);
  }
}

/** Thrown by an op when its arguments have the wrong count, type or shape. */
export class BadOpArgsError extends ExecutorError {
  override readonly name = 'BadOpArgsError';
  constructor(
    readonly op: string,
    detail: string,
  ) {
    super('BAD_OP_ARGS', `op '${op}': ${detail}`);
  }
}

/**
 * A task's op threw. Carries the remote message and stack so the client can show where it failed; it is
 * what `compute()` rejects with.
 */
export class TaskFailedError extends ExecutorError {
  override readonly name = 'TaskFailedError';
  constructor(
    readonly task: string,
    readonly remoteMessage: string,
    readonly remoteStack: string | undefined,
    readonly remoteCode?: string,
  ) {
    super('TASK_FAILED', `task '${task}' failed: ${remoteMessage}`);
  }
}

/** An invocation payload is larger than the configured inline budget (AWS async Invoke takes 1 MB). */
export class PayloadTooLargeError extends ExecutorError {
  override readonly name = 'PayloadTooLargeError';
  constructor(
    readonly bytes: number,
    readonly limitBytes: number,
  ) {
    super(
      'PAYLOAD_TOO_LARGE',
      `invocation payload of ${bytes} bytes exceeds payloadLimitBytes=${limitBytes}`,
    );
  }
}

/** An invocation payload could not be decoded or has the wrong version or shape. */
export class BadPayloadError extends ExecutorError {
  override readonly name = 'BadPayloadError';
  constructor(detail: string) {
    super('BAD_PAYLOAD', `bad invocation payload: ${detail}`);
  }
}

/** A task was attempted more times than its retry budget allows (a poison task). */
export class RetriesExhaustedError extends ExecutorError {
  override readonly name = 'RetriesExhaustedError';
  constructor(
    readonly task: string,
    readonly attempts: number,
  ) {
    super('RETRIES_EXHAUSTED', `task '${task}' did not complete after ${attempts} attempts`);
  }
}

/** Raised at a named crash point by fault injection; the executor dies there as if its container was lost. */
export class InjectedCrashError extends ExecutorError {
  override readonly name = 'InjectedCrashError';
  constructor(
    readonly point: string,
    readonly task: string,
  ) {
    super('INJECTED_CRASH', `injected crash at ${point} (task '${task}')`);
  }
}

/** The job's deadline passed. The message lists what was still missing. */
export class DeadlineExceededError extends ExecutorError {
  override readonly name = 'DeadlineExceededError';
  constructor(
    readonly job: string,
    readonly missing: readonly string[],
  ) {
    super(
      'DEADLINE_EXCEEDED',
      `job '${job}' passed its deadline with ${missing.length} final task(s) missing: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', ...' : ''}`,
    );
  }
}
