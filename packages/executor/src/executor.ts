/**
 * The executor core (DESIGN.md §6), shared by every backend. One call of `runInvocation` is one executor
 * life: it takes the ready tasks of its payload and schedules itself from there, with no central
 * scheduler on the critical path.
 *
 * Per task:
 *
 *   begin (lease) ─► gather inputs ─► run op ─► decide persistence ─► fan-in ─► become / cluster / invoke
 *        │ out exists: skip compute, redo fan-out          (local cache, then storage in one mget,
 *        │ leased by another or done: drop                  then recompute lost inputs from lineage)
 *
 * Invariants, in order of importance:
 *  1. Write before signal: an output another executor may read is stored before any fan-in record or
 *     invocation that lets that executor run.
 *  2. Exactly-once trigger: fan-in is one script; only the parent that completes the set (or a duplicate of
 *     it) holds the child's trigger.
 *  3. Idempotent tasks: a lease guards the compute; `done` in the lease record stops duplicates outright.
 *  4. Bounded waiting: delayed I/O waits for wake-up events, never past `deadline - persistReserveMs`; two
 *     holders of large inputs of one child never wait on each other (the second is told `conflict`).
 *  5. Failures are loud: an op that throws publishes a typed `error` event naming the task.
 *
 * Fan-out of a finished task t, with children C:
 *  - single-parent children are ready at once; multi-parent children go through fan-in.
 *  - if t's output is large (>= clusterThresholdBytes), every ready child runs here (task clustering), and
 *    a multi-parent child may be held (delayed I/O): t keeps its output in memory, registers as the
 *    child's holder, and fans in last when the other parents are done, so the child runs here too.
 *  - otherwise the executor becomes one ready child (most input bytes already here, then priority) and
 *    invokes the rest, piggybacking small inputs in their payloads.
 *  - t's output is written only when some consumer may run elsewhere.
 */
import { isDepArg, type PlanReader, type PlanTask } from '@wukong/partitioner';
import { keys, type CarriedInput, type Store } from '@wukong/storage';
import { deadlineSignal } from './deadline.js';
import { InjectedCrashError } from './errors.js';
import { emptyCounters, encodeEvent, type ExecutorCounters, type JobEvent, type SpanKind } from './events.js';
import { FaultInjector } from './faults.js';
import type { OpContext, OpRegistry } from './ops/registry.js';
import { resolveExecutorOptions, type ResolvedExecutorOptions } from './options.js';
import { PAYLOAD_VERSION, PayloadEncoder, type InlinePlan, type InvocationPayload } from './payload.js';
import type { PlanCache } from './plan-cache.js';
import type { ProgressSink } from './progress.js';
import { FanInKeys, TaskRecords, type BeginResult } from './records.js';
import { decodeValue, encodeValue, valueBytes, type Value } from './values.js';

/** Moves an encoded payload to a new executor. Backends differ only here. */
export interface Invoker {
  invoke(payload: Uint8Array): Promise<void>;
  /**
   * Invocations accepted but not started yet: they wait for a free executor. A backend that bounds its
   * executors (the local pool) reports it, so that a client's watchdog does not take tasks that are
   * merely waiting for room for lost ones. Absent where it cannot be known (Lambda's own queue).
   */
  backlog?(): number;
  /**
   * Hands a job's plan to the executors directly, before its first invocation. A backend whose executors
   * run beside the client (the local pool's threads) implements it, and they then never read the plan from
   * storage: the first executor of a job in each thread starts without that round trip (Figure 13's
   * 10,101-task plan is ~660 KiB). The plan is stored all the same (DESIGN.md §7); others leave this out.
   */
  sharePlan?(job: string, plan: InlinePlan): void;
  /**
   * Takes invocations from `next` until it returns undefined, as executors have room (see
   * LocalPool.invokeFrom): the client invokes a job's leaves this way, each payload made when it can be
   * taken and no promise per invocation. Executors, which invoke a few children each, use `invoke()`.
   * Required of a backend the client drives.
   */
  invokeFrom?(next: () => Uint8Array | undefined): Promise<void>;
}

export interface ExecutorDeps {
  store: Store;
  invoker: Invoker;
  ops: OpRegistry;
  plans: PlanCache;
  /** The host's batched progress reporting (done tasks, spans, counter deltas). */
  progress: ProgressSink;
  /** Identifies this executor in its lease records. */
  executorId: string;
  /** This executor's own deadline (e.g. Lambda's remaining time); the job deadline applies when later. */
  deadlineMs?: number;
  now?: () => number;
  /** Told when the executor starts and stops waiting on delayed I/O (the local pool frees its slot). */
  onWaitChange?: (waiting: boolean) => void;
  /**
   * True once the job is over for the backend (cancelled, failed, past its deadline): the executor stops
   * before its next write, so a job whose keys the client deleted is not written to again.
   */
  isJobStopped?: (job: string) => boolean;
}

export interface InvocationSummary {
  job: string;
  counters: ExecutorCounters;
  /** Set when the executor died at an injected crash point. */
  crashed?: string;
  /**
   * Set when the executor did nothing more for its job: the invocation arrived after the job had ended
   * (a late duplicate), or the job was stopped while it ran.
   */
  dropped?: 'job-ended' | 'job-stopped';
}

interface LocalValue {
  value: Value;
  bytes: number;
  /** Its output key holds it (written here, or found there). */
  persisted: boolean;
  /** Encoded frame, kept when it was built (for storing or piggybacking). */
  frame?: Uint8Array;
}

interface Hold {
  child: number;
  parent: number;
  position: number;
  inDegree: number;
  sinceMs: number;
}

/** The outcome of running an op, before it is committed as the task's. */
type Ran =
  { ok: true; value: Value; t0: number; t1: number } | { ok: false; error: unknown; t0: number; t1: number };

/**
 * Inputs of a task after the local cache and storage were asked: every input found is in the local cache
 * (#local) from then on, so only the missing ones are listed.
 */
interface Fetched {
  /** Inputs found nowhere: recomputed from lineage (into the local cache) if the task is to run. */
  missing: readonly number[];
}

/** Every input is in the local cache (the usual case): one shared answer, nothing allocated. */
const ALL_HERE: Fetched = Object.freeze({ missing: Object.freeze([]) });

/** What an op is told about its run; the deadline signal is made only when an op asks for it. */
class RunContext implements OpContext {
  constructor(
    readonly task: string,
    private readonly signalOf: () => AbortSignal,
  ) {}

  get signal(): AbortSignal {
    return this.signalOf();
  }
}

/** Thrown inside an invocation whose job the backend stopped; ends it quietly. */
class JobStopped extends Error {
  override readonly name = 'JobStopped';
}

/** What every executor of a job derives alike from its payload: resolved options, the payload encoder. */
interface JobContext {
  options: ResolvedExecutorOptions;
  /** Encodes the payloads of children this host invokes (the job's config is encoded once). */
  payloads: PayloadEncoder;
  faults: FaultInjector;
  /** The keys of children's fan-in records, shared by the job's executors on this host. */
  fanInKeys: FanInKeys;
}

/** Contexts of recent jobs: a job's options, deadline and config are job-wide, the same in every payload. */
const jobContexts = new Map<string, JobContext>();

function contextOf(payload: InvocationPayload): JobContext {
  let context = jobContexts.get(payload.job);
  if (context === undefined) {
    const options = resolveExecutorOptions(payload.config.options);
    const shared = {
      v: PAYLOAD_VERSION,
      job: payload.job,
      deadlineMs: payload.deadlineMs,
      config: payload.config,
    };
    context = {
      options,
      payloads: new PayloadEncoder(shared, options.payloadLimitBytes),
      faults: new FaultInjector(payload.config.faults),
      fanInKeys: new FanInKeys(payload.job),
    };
    if (jobContexts.size >= 64) jobContexts.delete(jobContexts.keys().next().value!);
    jobContexts.set(payload.job, context);
  }
  return context;
}

/** Runs one invocation to completion. Never rejects for task failures: those become `error` events. */
export async function runInvocation(
  payload: InvocationPayload,
  deps: ExecutorDeps,
): Promise<InvocationSummary> {
  // A copy delivered after the job ended (Lambda may deliver an event twice, minutes apart) must neither
  // recompute nor recreate keys. A host the client can tell (the local pool stops every job that ends)
  // knows it already; elsewhere the job's plan is its tombstone: the client deletes it first when the
  // job ends, so one read per invocation, before any write, tells.
  const ended = deps.isJobStopped
    ? deps.isJobStopped(payload.job)
    : !(await deps.store.exists(keys.plan(payload.job)));
  if (ended) {
    deps.plans.forget(payload.job);
    return { job: payload.job, counters: emptyCounters(), dropped: 'job-ended' };
  }
  const plan = deps.plans.loaded(payload.job) ?? (await deps.plans.get(payload.job, payload.plan));
  const invocation = new Invocation(payload, plan, deps);
  return invocation.run();
}

class Invocation {
  readonly #p: InvocationPayload;
  readonly #plan: PlanReader;
  readonly #deps: ExecutorDeps;
  readonly #store: Store;
  readonly #opts: ResolvedExecutorOptions;
  readonly #payloads: PayloadEncoder;
  readonly #records: TaskRecords;
  readonly #faults: FaultInjector;
  readonly #progress: ProgressSink;
  readonly #now: () => number;
  readonly #deadlineMs: number;
  readonly #counters = emptyCounters();
  /** Aborts running ops at the deadline (shared by the job's executors here, see deadline.ts). */
  #abortSignal: AbortSignal | undefined;
  /** Plan rows of tasks queued here, for cache eviction. */
  #rows: Map<number, PlanTask> | undefined;
  readonly #local = new Map<number, LocalValue>();
  readonly #queue: number[] = [];
  readonly #holds: Hold[] = [];
  /** Children whose lease was taken with the fan-in that won them (they run here next). */
  #begun: Map<number, BeginResult> | undefined;
  /** Tasks whose lease this executor holds and renews (see addOnce). */
  readonly #leased: number[] = [];
  /**
   * Tasks that need no separate done mark: it was written with their output, or they computed faster
   * than `doneMarkMinMs` (see options.ts).
   */
  readonly #unmarked: number[] = [];
  /** Writes that nothing waits for (done marks): settled before the invocation ends. */
  readonly #background: Promise<unknown>[] = [];
  #eventCursor = '$';

  constructor(payload: InvocationPayload, plan: PlanReader, deps: ExecutorDeps) {
    this.#p = payload;
    this.#plan = plan;
    this.#deps = deps;
    this.#store = deps.store;
    const context = contextOf(payload);
    this.#opts = context.options;
    this.#payloads = context.payloads;
    this.#records = new TaskRecords(
      deps.store,
      payload.job,
      `${deps.executorId}#${payload.attempt}`,
      payload.config.keyTtlMs,
      context.fanInKeys,
    );
    this.#faults = context.faults;
    this.#progress = deps.progress;
    this.#now = deps.now ?? Date.now;
    this.#deadlineMs = Math.min(payload.deadlineMs, deps.deadlineMs ?? Infinity);
  }

  async run(): Promise<InvocationSummary> {
    const summary: InvocationSummary = { job: this.#p.job, counters: this.#counters };
    for (const [task, frame] of this.#p.inputs) {
      const value = decodeValue(frame);
      this.#local.set(task, { value, bytes: valueBytes(value), persisted: false, frame });
    }
    const start = this.#p.start;
    for (let i = start.length - 1; i >= 0; i--) this.#queue.push(start[i]!);
    const renewEveryMs = Math.max(1, this.#opts.leaseMs / 3);
    startRenewing(this, renewEveryMs);
    this.#progress.invocationStarted(this.#p.job, this.#p.config.keyTtlMs);
    try {
      while (this.#queue.length > 0 || this.#holds.length > 0) {
        if (this.#queue.length === 0) {
          await this.#waitForHolds();
          continue;
        }
        this.#ensureRunning();
        await this.#process(this.#queue.pop()!);
        if (this.#holds.length > 0) await this.#checkHolds();
      }
      if (this.#background.length > 0) await Promise.all(this.#background);
    } catch (e) {
      if (e instanceof JobStopped) summary.dropped = 'job-stopped';
      else if (e instanceof InjectedCrashError)
        summary.crashed = e.point; // nothing more is written
      else throw e;
    } finally {
      stopRenewing(this, renewEveryMs);
      // (Each await costs an allocation and a turn of the microtask queue: skipped when there is nothing
      // to wait for, the common case of an invocation that ran one cheap task.)
      if (this.#background.length > 0) await Promise.allSettled(this.#background);
      const flushed = this.#progress.invocationEnded();
      if (flushed !== undefined) await flushed;
    }
    return summary;
  }

  /** The plan rows of tasks, without a promise when their segments are here (the usual case). */
  #tasks(indices: Uint32Array): PlanTask[] | Promise<PlanTask[]> {
    const rows: PlanTask[] = [];
    for (const i of indices) {
      const row = this.#plan.taskIfLoaded(i);
      if (row === undefined) return Promise.all(Array.from(indices, (c) => this.#plan.task(c)));
      rows.push(row);
    }
    return rows;
  }

  /** Stops this executor (JobStopped) when the backend says the job is over; called before every write. */
  #ensureRunning(): void {
    if (this.#deps.isJobStopped?.(this.#p.job)) throw new JobStopped();
  }

  #signal(): AbortSignal {
    this.#abortSignal ??= deadlineSignal(this.#p.job, this.#deadlineMs, this.#now());
    return this.#abortSignal;
  }

  /** The deadline signal, for the ops' contexts (asked for only by ops that can be aborted). */
  readonly #signalOf = (): AbortSignal => this.#signal();

  #count(name: keyof ExecutorCounters, n = 1): void {
    this.#counters[name] += n;
    this.#progress.count(this.#p.job, name, n);
  }

  // ─── one task ──────────────────────────────────────────────────────────────────────────────────────

  async #process(task: number): Promise<void> {
    // A child queued here was decoded when it was dispatched; a start task is decoded now.
    const info = this.#rows?.get(task) ?? this.#plan.taskIfLoaded(task) ?? (await this.#plan.task(task));
    // The lease and the inputs are independent reads: ask for both at once. Inputs fetched for a task
    // that turns out to be leased elsewhere or finished are dropped.
    const computedHere = this.#local.has(task); // recomputed from lineage for a consumer
    // Fetched at once when every input is here (the usual case), else a promise of the storage reads.
    const fetched = computedHere ? undefined : this.#fetch(info);
    const fetching = isPromiseLike(fetched) ? fetched : undefined;
    fetching?.catch(() => undefined);
    const begun = this.#begun?.get(task);
    if (begun !== undefined) this.#begun!.delete(task);
    // Speculation: ops are pure and nothing is written before the lease is confirmed, so the op may run
    // while the lease request is in flight (its result is committed, or dropped, once the lease
    // answers). Not when an input must be recomputed from lineage: that stores what it recomputes.
    let speculation: Promise<Ran | undefined> | undefined;
    if (begun === undefined && fetched !== undefined && this.#opts.speculate) {
      if (fetching === undefined) {
        speculation = this.#run(info); // #run never rejects
      } else {
        speculation = fetching.then((f) => (f.missing.length === 0 ? this.#run(info) : undefined));
        speculation.catch(() => undefined);
      }
    }
    const begin = begun ?? (await this.#records.begin(task, this.#opts.leaseMs));
    if (begin === 'skip') {
      this.#count('duplicatesDropped');
      this.#local.delete(task);
      return;
    }
    addOnce(this.#leased, task);
    let value: Value | undefined;
    try {
      if (begin === 'compute' && fetched !== undefined) {
        this.#faults.check('before-compute', task, info.key, this.#p.attempt);
        const ran = await speculation;
        value = ran !== undefined ? this.#commit(info, ran) : await this.#compute(info, await fetched);
        this.#faults.check('after-compute', task, info.key, this.#p.attempt);
      } else if (begin === 'compute') {
        value = this.#local.get(task)!.value;
      }
      await this.#fanOut(info, value);
    } catch (e) {
      if (e instanceof InjectedCrashError || e instanceof JobStopped) throw e;
      await this.#fail(info, e);
    }
  }

  /** Runs a task's op: inputs from the cache, storage, or lineage recompute (which stores). */
  async #compute(info: PlanTask, fetched: Fetched): Promise<Value> {
    for (const d of fetched.missing) await this.#recompute(d);
    return this.#commit(info, await this.#run(info));
  }

  /**
   * Runs the op alone, on inputs from the local cache: no writes, no counters, so it may run before the
   * task's lease is confirmed.
   */
  async #run(info: PlanTask): Promise<Ran> {
    const t0 = this.#now();
    try {
      const args: Value[] = info.args.map((a) => (isDepArg(a) ? this.#local.get(a.dep)!.value : a));
      const op = this.#deps.ops.resolve(info.op, info.key, args.length);
      const out = op.run(args, new RunContext(info.key, this.#signalOf));
      // Most ops return their value directly: no await (and no turn of the microtask queue) for those.
      const value = isPromiseLike(out) ? await out : out;
      return { ok: true, value, t0, t1: this.#now() };
    } catch (error) {
      return { ok: false, error, t0, t1: this.#now() };
    }
  }

  /** Takes an op's outcome as the task's (the lease is held): its value is kept here, or its error thrown. */
  #commit(info: PlanTask, ran: Ran): Value {
    if (!ran.ok) throw ran.error;
    const { value } = ran;
    const bytes = valueBytes(value);
    if (ran.t1 - ran.t0 < this.#opts.doneMarkMinMs) addOnce(this.#unmarked, info.index);
    this.#span(info.index, 'compute', ran.t0, bytes, ran.t1);
    this.#count('tasksExecuted');
    this.#local.set(info.index, { value, bytes, persisted: false });
    return value;
  }

  /**
   * Inputs of a task: the local cache first, then storage in one multi-get. Returned directly, without a
   * promise, when every input is here.
   */
  #fetch(info: PlanTask): Fetched | Promise<Fetched> {
    let wanted: number[] | undefined;
    for (const d of info.deps) {
      const here = this.#local.get(d);
      if (here === undefined) (wanted ??= []).push(d);
      else if (!here.persisted) this.#count('bytesKeptLocal', here.bytes);
    }
    return wanted === undefined ? ALL_HERE : this.#fetchStored(info, wanted);
  }

  /** The inputs not here: from storage, then from the task's fan-in record (carried inputs). */
  async #fetchStored(info: PlanTask, wanted: number[]): Promise<Fetched> {
    const missing: number[] = [];
    const t0 = this.#now();
    const frames = await this.#records.loadOutputs(wanted);
    let bytes = 0;
    for (let i = 0; i < wanted.length; i++) {
      const d = wanted[i]!;
      const frame = frames[i];
      if (frame === null || frame === undefined) {
        missing.push(d);
        continue;
      }
      bytes += frame.byteLength;
      const value = decodeValue(frame);
      this.#local.set(d, { value, bytes: valueBytes(value), persisted: true });
    }
    if (missing.length > 0 && info.inDegree > 1) {
      // Small inputs travel in this task's fan-in record, not under their own keys.
      this.#absorb(info, await this.#records.carriedInputs(info.index));
      for (let i = missing.length - 1; i >= 0; i--) if (this.#local.has(missing[i]!)) missing.splice(i, 1);
    }
    this.#count('bytesRead', bytes);
    this.#span(info.index, 'fetch', t0, bytes);
    return { missing };
  }

  /**
   * Recomputes an output that is nowhere to be found — never persisted because all its consumers were to
   * run where it was computed, or lost — from lineage, stores it for any other consumer, keeps it here.
   */
  async #recompute(task: number): Promise<Value> {
    const info = await this.#plan.task(task);
    const fetched = await this.#fetch(info);
    const value = await this.#compute(info, fetched);
    this.#count('tasksExecuted', -1);
    this.#count('tasksRecomputed');
    await this.#persist(task);
    return value;
  }

  async #fail(info: PlanTask, error: unknown): Promise<void> {
    const e = error instanceof Error ? error : new Error(String(error));
    const own = (e as Error & { code?: unknown }).code;
    const code = typeof own === 'string' ? own : 'TASK_FAILED';
    await this.#emit({
      type: 'error',
      task: info.index,
      key: info.key,
      name: e.name,
      code,
      message: e.message,
      ...(e.stack === undefined ? {} : { stack: e.stack }),
      attempt: this.#p.attempt,
    });
    remove(this.#leased, info.index);
  }

  // ─── fan-out ───────────────────────────────────────────────────────────────────────────────────────

  async #fanOut(info: PlanTask, value: Value | undefined): Promise<void> {
    this.#ensureRunning();
    const task = info.index;
    const attempt = this.#p.attempt;
    const here = this.#local.get(task);
    const persisted = value === undefined || here?.persisted === true;
    if (value === undefined) this.#local.delete(task); // resumed: the output is in storage

    if (info.dependents.length === 0) {
      await this.#finalise(info, value);
      this.#faults.check('after-store', task, info.key, attempt);
      this.#complete(task);
      return;
    }

    const rows = this.#tasks(info.dependents);
    const children = Array.isArray(rows) ? rows : await rows;
    const bytes = here?.bytes ?? 0;
    const large = this.#opts.clustering && value !== undefined && bytes >= this.#opts.clusterThresholdBytes;
    const ready: PlanTask[] = [];
    const toFanIn: PlanTask[] = [];
    for (const child of children) {
      if (child.inDegree === 1) ready.push(child);
      else toFanIn.push(child);
    }

    // Delayed I/O: hold a large output for a fan-in child instead of writing it.
    const fanInNow: PlanTask[] = [];
    if (large && this.#opts.delayedIo) {
      for (const child of toFanIn) {
        const position = child.deps.indexOf(task);
        const { outcome, carried } = await this.#records.hold(child.index, position, child.inDegree);
        if (outcome === 'won') {
          this.#absorb(child, carried);
          ready.push(child);
        } else if (outcome === 'wait') {
          this.#holds.push({
            child: child.index,
            parent: task,
            position,
            inDegree: child.inDegree,
            sinceMs: this.#now(),
          });
          this.#count('delayedIoHolds');
        } else fanInNow.push(child);
      }
    } else fanInNow.push(...toFanIn);

    // Write before signal: a small output rides in each fan-in record (the same atomic step as the
    // signal); a larger one is stored under its own key first.
    const carry = fanInNow.length > 0 && !persisted && bytes <= this.#opts.piggybackBytes;
    if (fanInNow.length > 0 && !persisted && !carry) await this.#persist(task);
    this.#faults.check('after-store', task, info.key, attempt);

    if (fanInNow.length > 0) {
      const t0 = this.#now();
      const frame = carry ? this.#frameOf(task) : '';
      // A child won here certainly runs here when it is the only child or clustering keeps every ready
      // child here: then the fan-in takes its lease too, saving the separate begin.
      const runsHere = large || children.length === 1;
      await this.#fanInAll(info, fanInNow, frame, runsHere, ready);
      this.#span(task, 'fanin', t0, carry ? frame.length * fanInNow.length : 0);
    }

    if (ready.length > 0) {
      const invoking = this.#dispatch(info, ready, large);
      if (invoking !== undefined) await invoking;
    }
    if (this.#holds.length > 0 && this.#holds.some((h) => h.parent === task)) return; // completes when its holds resolve
    this.#complete(task);
  }

  /**
   * Fan-in for several children: the first alone (the `mid-fanout` crash point sits after it), the rest in
   * parallel. Adds the children this parent won to `won` (in the order their answers come; #dispatch
   * orders what it runs). (Promise chains rather than async functions here and
   * in #fanInOne: a fan-in runs for nearly every task, and each await costs an allocation and a turn of
   * the microtask queue.)
   */
  #fanInAll(
    parent: PlanTask,
    children: PlanTask[],
    carry: Uint8Array | '',
    runsHere: boolean,
    won: PlanTask[],
  ): Promise<void> {
    const leaseMs = runsHere ? this.#opts.leaseMs : undefined;
    const first = this.#fanInOne(parent, children[0]!, carry, leaseMs, won);
    if (children.length === 1) return first;
    return first.then(() => {
      this.#faults.check('mid-fanout', parent.index, parent.key, this.#p.attempt);
      return Promise.all(
        children.slice(1).map((child) => this.#fanInOne(parent, child, carry, leaseMs, won)),
      ).then(() => undefined);
    });
  }

  /** Fan-in of one child; adds the child to `won` when this parent won it (it runs here next). */
  #fanInOne(
    parent: PlanTask,
    child: PlanTask,
    carry: Uint8Array | '',
    leaseMs: number | undefined,
    won: PlanTask[],
  ): Promise<void> {
    this.#ensureRunning();
    const position = child.deps.indexOf(parent.index);
    return this.#records
      .fanIn(child.index, position, child.inDegree, carry, leaseMs)
      .then(({ outcome, carried, begin }): void | Promise<void> => {
        if (carry !== '') this.#count('bytesStored', carry.byteLength);
        if (outcome === 'won') {
          if (begin === 'skip') {
            // A duplicate of this parent won again, but the child runs elsewhere or is done.
            this.#count('duplicatesDropped');
            return;
          }
          if (begin !== undefined) (this.#begun ??= new Map()).set(child.index, begin);
          this.#absorb(child, carried);
          won.push(child);
          return;
        }
        if (outcome === 'wake-holder') return this.#emit({ type: 'wake', task: child.index });
      });
  }

  /** Become one ready child, run others here when the output is large, invoke the rest. */
  /**
   * Queues the children that run here (`become` next) and invokes the rest. Returns the invocations'
   * promise, or undefined when there is nothing to invoke (the usual case: one ready child).
   */
  #dispatch(info: PlanTask, ready: PlanTask[], large: boolean): Promise<void> | undefined {
    if (ready.length > 1) {
      const localBytes = (c: PlanTask): number => {
        let n = 0;
        for (const d of c.deps) n += this.#local.get(d)?.bytes ?? 0;
        return n;
      };
      ready.sort((a, b) => localBytes(b) - localBytes(a) || b.priority - a.priority || a.index - b.index);
    }
    const runHere = large || ready.length === 1 ? ready : [ready[0]!];
    const rows = (this.#rows ??= new Map());
    for (const c of runHere) rows.set(c.index, c);
    // The stack runs the last pushed first: push in reverse so `become` runs next.
    for (let i = runHere.length - 1; i >= 0; i--) this.#queue.push(runHere[i]!.index);
    if (runHere === ready) return undefined;
    return this.#invokeAll(info, ready.slice(1));
  }

  async #invokeAll(info: PlanTask, invokeList: PlanTask[]): Promise<void> {
    const t0 = this.#now();
    const [head, ...tail] = invokeList;
    await this.#invoke(head!);
    if (tail.length > 0) this.#faults.check('mid-fanout', info.index, info.key, this.#p.attempt);
    await this.#forEachBounded(tail, this.#opts.invokeConcurrency, (child) => this.#invoke(child));
    this.#span(info.index, 'invoke', t0, 0);
  }

  async #invoke(child: PlanTask): Promise<void> {
    this.#ensureRunning();
    const inputs: [number, Uint8Array][] = [];
    let budget = this.#opts.payloadLimitBytes / 2;
    for (const d of child.deps) {
      const here = this.#local.get(d);
      if (here === undefined) continue;
      if (here.bytes <= this.#opts.piggybackBytes) {
        here.frame ??= encodeValue(here.value);
        if (here.frame.byteLength <= budget) {
          inputs.push([d, here.frame]);
          budget -= here.frame.byteLength;
          continue;
        }
      }
      if (!here.persisted) await this.#persist(d); // write before signal
    }
    await this.#deps.invoker.invoke(this.#payloads.encode([child.index], inputs, 1));
    this.#count('invocations');
  }

  async #forEachBounded<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
    let next = 0;
    const lanes = Array.from({ length: Math.min(Math.max(1, limit), items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    });
    await Promise.all(lanes);
  }

  // ─── persistence, finals, completion ───────────────────────────────────────────────────────────────

  /** The value frame of a local output (built once; shared memory with the memory store). */
  #frameOf(task: number): Uint8Array {
    const here = this.#local.get(task)!;
    here.frame ??= encodeValue(here.value, { shared: this.#store.kind === 'memory' });
    return here.frame;
  }

  /**
   * Takes in the inputs other parents carried in `child`'s fan-in record: they are durable there, so they
   * count as persisted.
   */
  #absorb(child: PlanTask, carried: readonly CarriedInput[]): void {
    let bytes = 0;
    for (const [position, frame] of carried) {
      const parent = child.deps[position];
      if (parent === undefined || this.#local.has(parent)) continue;
      const value = decodeValue(frame);
      this.#local.set(parent, { value, bytes: valueBytes(value), persisted: true, frame });
      bytes += frame.byteLength;
    }
    this.#count('bytesRead', bytes);
  }

  async #persist(task: number): Promise<void> {
    const here = this.#local.get(task);
    if (here === undefined || here.persisted) return;
    this.#ensureRunning();
    const t0 = this.#now();
    const frame = this.#frameOf(task);
    await this.#records.storeOutput(task, frame);
    here.persisted = true;
    addOnce(this.#unmarked, task);
    this.#count('bytesStored', frame.byteLength);
    this.#span(task, 'store', t0, frame.byteLength);
  }

  /** A final task: store its output for the client and push a `final` event (small values inline). */
  async #finalise(info: PlanTask, value: Value | undefined): Promise<void> {
    if (value === undefined) {
      // Resumed: the output is stored; the client may have missed the event, so send it again.
      const frame = await this.#store.getRequired(keys.out(this.#p.job, info.index));
      await this.#emitFinal(info, frame);
      return;
    }
    await this.#persist(info.index);
    const here = this.#local.get(info.index)!;
    await this.#emitFinal(info, here.frame!);
  }

  async #emitFinal(info: PlanTask, frame: Uint8Array): Promise<void> {
    const inline = frame.byteLength <= this.#opts.piggybackBytes;
    await this.#emit({
      type: 'final',
      task: info.index,
      key: info.key,
      bytes: frame.byteLength,
      ...(inline ? { value: frame.slice() } : {}),
    });
  }

  /**
   * The task's fan-out is complete. The done mark only stops later duplicates early (a duplicate that
   * comes before it lands finds the lease held, or the output present and redoes an idempotent fan-out),
   * so nothing waits for it here; the invocation settles it before it ends. Outputs stored under their
   * own key carry it already; a task cheaper than `doneMarkMinMs` goes without (options.ts).
   */
  #complete(task: number): void {
    remove(this.#leased, task);
    if (!remove(this.#unmarked, task)) this.#background.push(this.#records.finish(task));
    this.#progress.done(this.#p.job, task);
    this.#evict();
  }

  /** Drops cached values that no task still queued or held here can need. */
  #evict(): void {
    if (this.#local.size === 0) return;
    // Nothing queued or held: the invocation ends now, and its caches with it (the common case).
    if (this.#queue.length === 0 && this.#holds.length === 0) return;
    const needed = new Set<number>();
    for (const h of this.#holds) needed.add(h.parent);
    // Queued tasks need their own values (recomputed inputs) and their parents' outputs.
    for (const t of this.#queue) {
      const row = this.#rows?.get(t);
      if (row === undefined) return; // a start task: its inputs came with the payload, keep everything
      needed.add(t);
      for (const d of row.deps) needed.add(d);
    }
    // Deleting the entry just visited is safe while iterating a Map.
    for (const t of this.#local.keys()) if (!needed.has(t)) this.#local.delete(t);
    if (this.#rows !== undefined) for (const t of this.#rows.keys()) if (!needed.has(t)) this.#rows.delete(t);
  }

  // ─── delayed I/O ───────────────────────────────────────────────────────────────────────────────────

  /** Non-blocking: resolves holds whose other parents have all arrived. */
  async #checkHolds(): Promise<void> {
    for (const h of [...this.#holds]) {
      const { outcome, carried } = await this.#records.hold(h.child, h.position, h.inDegree);
      if (outcome === 'wait') continue;
      await this.#resolveHold(h, outcome === 'won' ? carried : undefined);
    }
  }

  /** Blocking: nothing else to do here, so wait for wake-ups (events), never past the persist reserve. */
  async #waitForHolds(): Promise<void> {
    const giveUpAt = this.#deadlineMs - this.#opts.persistReserveMs;
    this.#deps.onWaitChange?.(true);
    try {
      await this.#progress.flush(); // the client sees what is done while this executor waits
      while (this.#holds.length > 0 && this.#queue.length === 0) {
        this.#ensureRunning(); // a stopped job's waiting executors end within one recheck
        const remaining = giveUpAt - this.#now();
        if (remaining <= 0) {
          for (const h of [...this.#holds]) await this.#resolveHold(h, undefined);
          break;
        }
        const events = await this.#store.readEvents(this.#p.job, this.#eventCursor, {
          blockMs: Math.max(1, Math.min(remaining, this.#opts.delayedIoRecheckMs)),
          count: 256,
        });
        if (events.length > 0) this.#eventCursor = events[events.length - 1]!.id;
        await this.#checkHolds();
      }
    } finally {
      this.#deps.onWaitChange?.(false);
    }
  }

  /**
   * Ends a hold: it won the child (`wonWith`: the inputs the other parents carried; run it here), or it
   * persists its output and fans in normally.
   */
  async #resolveHold(h: Hold, wonWith: readonly CarriedInput[] | undefined): Promise<void> {
    this.#holds.splice(this.#holds.indexOf(h), 1);
    this.#span(h.parent, 'wait', h.sinceMs, 0);
    const child = await this.#plan.task(h.child);
    let carried = wonWith;
    if (carried === undefined) {
      await this.#persist(h.parent);
      const fanIn = await this.#records.fanIn(h.child, h.position, h.inDegree, '');
      if (fanIn.outcome === 'wake-holder') await this.#emit({ type: 'wake', task: h.child });
      if (fanIn.outcome === 'won') carried = fanIn.carried;
    }
    if (carried !== undefined) {
      this.#absorb(child, carried);
      (this.#rows ??= new Map()).set(child.index, child);
      this.#queue.push(child.index);
    }
    if (!this.#holds.some((o) => o.parent === h.parent)) this.#complete(h.parent);
  }

  // ─── events, spans, leases ─────────────────────────────────────────────────────────────────────────

  #span(task: number, kind: SpanKind, t0: number, bytes: number, t1 = this.#now()): void {
    if (this.#opts.spans) this.#progress.span(this.#p.job, { task, kind, t0, t1, bytes });
  }

  async #emit(event: JobEvent): Promise<void> {
    this.#ensureRunning();
    await this.#store.appendEvent(this.#p.job, encodeEvent(event), { ttlMs: this.#p.config.keyTtlMs });
  }

  /** Renews the leases this executor holds (called by the host's renewal timer, see startRenewing). */
  renewLeases(): void {
    for (const t of this.#leased) void this.#records.renew(t, this.#opts.leaseMs).catch(() => false);
  }
}

/**
 * Lease renewal for every running invocation of this host: one interval per renewal period (a job's
 * leaseMs / 3) instead of a timer per invocation, which most invocations — one task that takes far less
 * than a lease — never need. A lease is renewed at least once per period while it is held.
 */
const renewals = new Map<number, { timer: NodeJS.Timeout; members: Set<Invocation> }>();

function startRenewing(invocation: Invocation, everyMs: number): void {
  let renewal = renewals.get(everyMs);
  if (renewal === undefined) {
    const members = new Set<Invocation>();
    const timer = setInterval(() => {
      for (const m of members) m.renewLeases();
    }, everyMs);
    renewal = { timer, members };
    renewals.set(everyMs, renewal);
  }
  renewal.members.add(invocation);
}

function stopRenewing(invocation: Invocation, everyMs: number): void {
  const renewal = renewals.get(everyMs);
  if (renewal === undefined || !renewal.members.delete(invocation) || renewal.members.size > 0) return;
  clearInterval(renewal.timer);
  renewals.delete(everyMs);
}

function isPromiseLike<T>(v: T | PromiseLike<T>): v is PromiseLike<T> {
  return typeof (v as { then?: unknown } | null)?.then === 'function';
}

// Sets of task indices held by one invocation (its leases, its tasks without a done mark): a handful at a
// time, usually one, so an array is cheaper to make and search than a Set, made per invocation.

function addOnce(tasks: number[], task: number): void {
  if (!tasks.includes(task)) tasks.push(task);
}

/** Removes `task` (order is not kept); whether it was there. */
function remove(tasks: number[], task: number): boolean {
  const at = tasks.indexOf(task);
  if (at < 0) return false;
  tasks[at] = tasks[tasks.length - 1]!;
  tasks.pop();
  return true;
}
