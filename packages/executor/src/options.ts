/**
 * Executor options: thresholds and budgets of DESIGN.md §6, each with its default. Resolved once per
 * executor; nothing inside the loop reads a raw option or a magic number.
 */

export interface ExecutorOptions {
  /**
   * Outputs at least this large are "large": their ready children run here (task clustering) rather than
   * being invoked elsewhere, and delayed I/O may hold them in memory for a fan-in child.
   * @default 1_048_576 (1 MiB)
   */
  clusterThresholdBytes?: number;
  /** Turn task clustering and delayed I/O on or off (off: every output is treated as small). @default true */
  clustering?: boolean;
  /** Delayed I/O: hold a large output until the other parents of its child are done. @default true */
  delayedIo?: boolean;
  /**
   * Time kept in reserve before the executor's deadline to persist what it holds in memory. A delayed-I/O
   * wait never runs past `deadline - persistReserveMs`.
   * @default 2_000
   */
  persistReserveMs?: number;
  /**
   * While waiting on delayed I/O, re-check the fan-in record at least this often even without a wake-up
   * event (covers a wake-up that raced with registering the hold).
   * @default 250
   */
  delayedIoRecheckMs?: number;
  /** Inputs up to this size (encoded) ride inside the invocation payload of a child. @default 8_192 */
  piggybackBytes?: number;
  /** Maximum encoded invocation payload (AWS async Invoke: 1 MB; Wukong used 256 KB). @default 262_144 */
  payloadLimitBytes?: number;
  /** Invocations in flight at once from one executor. @default 16 */
  invokeConcurrency?: number;
  /** Execution lease length; renewed every leaseMs/3 while held. @default 10_000 */
  leaseMs?: number;
  /** Spans are recorded (they cost one event per flush). @default true */
  spans?: boolean;
  /**
   * The done mark (the lease record set to `done` once a task's fan-out is complete) stops a duplicate
   * that arrives after the lease expired. An output stored under its own key carries the mark in the same
   * write; otherwise the mark costs a write of its own, made only for tasks whose compute took at least
   * this long. A cheaper task relies on its lease alone: a duplicate arriving after the lease expired
   * recomputes it and redoes its idempotent fan-out, which costs less than a write per task.
   * @default 1_000
   */
  doneMarkMinMs?: number;
  /**
   * Run a task's op while its lease request is in flight instead of after it. Ops are pure and nothing
   * is written before the lease is confirmed, so this only hides a store round trip per task; a duplicate
   * delivery refused the lease may have computed in vain (its result is dropped, never written).
   * @default true
   */
  speculate?: boolean;
}

export type ResolvedExecutorOptions = Required<ExecutorOptions>;

export const executorDefaults: ResolvedExecutorOptions = {
  clusterThresholdBytes: 1_048_576,
  clustering: true,
  delayedIo: true,
  persistReserveMs: 2_000,
  delayedIoRecheckMs: 250,
  piggybackBytes: 8_192,
  payloadLimitBytes: 262_144,
  invokeConcurrency: 16,
  leaseMs: 10_000,
  spans: true,
  doneMarkMinMs: 1_000,
  speculate: true,
};

export function resolveExecutorOptions(options: ExecutorOptions = {}): ResolvedExecutorOptions {
  const resolved = { ...executorDefaults };
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    if (!(name in executorDefaults)) throw new RangeError(`unknown executor option '${name}'`);
    const expected = typeof executorDefaults[name as keyof ResolvedExecutorOptions];
    if (typeof value !== expected || (typeof value === 'number' && !(value >= 0))) {
      throw new RangeError(
        `executor option '${name}' must be a ${expected === 'number' ? 'non-negative number' : expected}`,
      );
    }
    (resolved as Record<string, unknown>)[name] = value;
  }
  return resolved;
}
