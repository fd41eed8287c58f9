/**
 * Task records in storage: the executor's side of the storage contract (DESIGN.md §5–6). Every
 * read-decide-write on a task's keys goes through one named script, so it is atomic on its shard and safe
 * under re-sent commands and duplicate deliveries:
 *
 *   begin      lease `run` (SET NX PX); `done` in `run` means the task finished its fan-out already
 *   output     write-once `out` (SET NX), together with the done mark
 *   fanIn      add my parent position to the child's `in` set (a small output rides along in the
 *              child's `inputs`); the completing parent holds `trigger` and gets the carried inputs, and
 *              when it will run the child itself, takes the child's lease in the same step (as begin)
 *   hold       delayed I/O: register as the parent that keeps a large input for the child in memory
 *   finish     mark `run` as done (duplicates of the task then stop at `begin`)
 */
import { keys, type CarriedInput, type Store } from '@wukong/storage';

export const DONE_MARK = 'done';
const NONE_CARRIED: readonly CarriedInput[] = Object.freeze([]);
const DONE_MARK_BYTES = new TextEncoder().encode(DONE_MARK);

export type BeginResult =
  /** Lease taken; the output does not exist yet: compute it. */
  | 'compute'
  /** Lease taken; the output exists (an earlier attempt stored it): skip compute, redo the fan-out. */
  | 'resume'
  /** Another executor holds the lease, or the task finished: drop this delivery. */
  | 'skip';

export type FanInResult =
  /** This parent completed the fan-in (now or in an earlier delivery): it runs or invokes the child. */
  | 'won'
  /** Other parents are outstanding, or another parent holds the trigger. */
  | 'pending'
  /** Every parent but a registered delayed-I/O holder has arrived: the holder must be woken. */
  | 'wake-holder';

export type HoldResult =
  /** Every other parent had arrived: this parent completed the fan-in and holds the trigger. */
  | 'won'
  /** Registered as the holder; wait for a wake-up, then ask again. */
  | 'wait'
  /** Another parent already holds a large input for this child: persist and fan in normally. */
  | 'conflict';

function beginResult(code: number): BeginResult {
  return code === 1 ? 'compute' : code === 2 ? 'resume' : 'skip';
}

/**
 * The keys of the fan-in records of a job's children, built once per host and reused by every executor of
 * the job there: each parent of a child asks for the same keys (the 100 parents of an `add` in Figure 13's
 * graph, both parents of a tree reduction's node when they ran on one host). A key is a fresh string each
 * time it is built, flattened again when it is hashed or written, so a cached one saves both. At most
 * `maxChildren` children are kept per variant; the cache starts over beyond that (children are fanned in
 * to roughly in plan order, so the recent ones are the ones asked for again). That bounds it to ~0.3 MB
 * per job, kept as long as the job's context on the host (the 64 most recent jobs).
 */
export class FanInKeys {
  readonly #plain = new Map<number, readonly string[]>();
  readonly #leased = new Map<number, readonly string[]>();

  constructor(
    readonly job: string,
    private readonly maxChildren = 256,
  ) {}

  /** in, trigger, hold, inputs; then the child's lease and output keys when the fan-in takes the lease. */
  of(child: number, withLease: boolean): readonly string[] {
    const cache = withLease ? this.#leased : this.#plain;
    let k = cache.get(child);
    if (k === undefined) {
      const { job } = this;
      const fanIn = keys.fanIn(job, child);
      const trigger = keys.trigger(job, child);
      const hold = keys.hold(job, child);
      const inputs = keys.inputs(job, child);
      k = Object.freeze(
        withLease
          ? [fanIn, trigger, hold, inputs, keys.lease(job, child), keys.out(job, child)]
          : [fanIn, trigger, hold, inputs],
      );
      if (cache.size >= this.maxChildren) cache.clear();
      cache.set(child, k);
    }
    return k;
  }
}

export class TaskRecords {
  constructor(
    private readonly store: Store,
    private readonly job: string,
    private readonly owner: string,
    private readonly keyTtlMs: number,
    /** The job's fan-in keys on this host, shared by its executors (see FanInKeys). */
    private readonly fanInKeys: FanInKeys,
  ) {}

  // begin and fanIn run once or twice per task: promise chains, not async functions (an await costs an
  // allocation and a turn of the microtask queue more).
  begin(task: number, leaseMs: number): Promise<BeginResult> {
    return this.store
      .runScript(
        'taskBegin',
        [keys.lease(this.job, task), keys.out(this.job, task)],
        [this.owner, leaseMs, DONE_MARK],
      )
      .then((r) => beginResult(r.code));
  }

  async renew(task: number, leaseMs: number): Promise<boolean> {
    const r = await this.store.runScript('leaseRenew', [keys.lease(this.job, task)], [this.owner, leaseMs]);
    return r.code === 1;
  }

  async finish(task: number): Promise<void> {
    await this.store.set(keys.lease(this.job, task), DONE_MARK_BYTES, this.keyTtlMs);
  }

  /**
   * Writes the task's output once and, in the same script, its done mark: once the output is durable a
   * duplicate has nothing to add (if this executor dies before its fan-out completes, the client's
   * watchdog finds the children ready with no lease and invokes them).
   */
  async storeOutput(task: number, frame: Uint8Array): Promise<boolean> {
    const r = await this.store.runScript(
      'writeOnce',
      [keys.out(this.job, task), keys.lease(this.job, task)],
      [frame, this.keyTtlMs, DONE_MARK],
    );
    return r.written;
  }

  /**
   * Fan-in of one parent for a child. `carry` is the parent's small output to carry in the child's fan-in
   * record (written in the same atomic step as the signal), or '' when it is stored under its own key.
   * The winner gets every carried input back.
   */
  fanIn(
    child: number,
    position: number,
    inDegree: number,
    carry: Uint8Array | '',
    leaseMs?: number,
  ): Promise<{ outcome: FanInResult; carried: readonly CarriedInput[]; begin?: BeginResult }> {
    // Arrays built whole (a push onto an array literal reallocates it): a fan-in runs for nearly every task.
    const withLease = leaseMs !== undefined;
    const k = this.fanInKeys.of(child, withLease);
    const args: (string | number | Uint8Array)[] = withLease
      ? [position, inDegree, this.keyTtlMs, carry, this.owner, leaseMs, DONE_MARK]
      : [position, inDegree, this.keyTtlMs, carry];
    return this.store.runScript('fanIn', k, args).then((r) => {
      const outcome: FanInResult = r.code === 1 ? 'won' : r.wakeHolder ? 'wake-holder' : 'pending';
      const carried = r.carried ?? NONE_CARRIED;
      return r.lease === undefined ? { outcome, carried } : { outcome, carried, begin: beginResult(r.lease) };
    });
  }

  async hold(
    child: number,
    position: number,
    inDegree: number,
  ): Promise<{ outcome: HoldResult; carried: readonly CarriedInput[] }> {
    const r = await this.store.runScript('fanInHold', this.fanInKeys.of(child, false), [
      position,
      inDegree,
      this.keyTtlMs,
    ]);
    const outcome = r.code === 1 ? 'won' : r.code === 0 ? 'wait' : 'conflict';
    return { outcome, carried: r.carried ?? [] };
  }

  /** The inputs carried in a task's fan-in record (for a retry that did not complete the fan-in itself). */
  async carriedInputs(task: number): Promise<readonly CarriedInput[]> {
    return (await this.store.runScript('readInputs', [keys.inputs(this.job, task)], [])).carried;
  }

  async loadOutputs(tasks: readonly number[]): Promise<(Uint8Array | null)[]> {
    return this.store.mget(tasks.map((t) => keys.out(this.job, t)));
  }
}
