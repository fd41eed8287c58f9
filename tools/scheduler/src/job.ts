/**
 * One job from the client's side: store the plan, invoke the leaves, and await the pushed `final` events.
 * The client is off the critical path — executors schedule themselves — but it owns three safety nets:
 *
 *  - a deadline: a job that has not delivered every final by then rejects with what is still missing;
 *  - a watchdog: when the job makes no progress for `stallMs`, every task that is ready (all parents done)
 *    but not done and holds no live lease is re-invoked with the next attempt number; `done` in the lease
 *    record means only the progress event was lost. Past `maxAttempts` the task fails the job with a typed
 *    error instead of causing a retry storm. It acts only when nothing waits for an executor (every leaf
 *    is invoked, and the backend reports no backlog): a task without a lease in a full pool is queued,
 *    not lost, and a crashed executor frees its slot, so its task is found once the backlog drains;
 *  - loud failures: the first `error` event rejects the job with a TaskFailedError naming the task.
 *
 * Progress is event-driven: the client blocks on the job's event stream; nothing is polled.
 */
import {
  decodeEventKeepingSpans,
  decodeValue,
  DeadlineExceededError,
  emptyCounters,
  PayloadEncoder,
  PAYLOAD_VERSION,
  RetriesExhaustedError,
  storePlan,
  TaskFailedError,
  type ExecutorCounters,
  type InlinePlan,
  type Invoker,
  type JobConfig,
  type Span,
  type SpanColumns,
  type Value,
} from '@wukong/executor';
import type { EncodedPlan, Plan } from '@wukong/partitioner';
import { keys, type Store } from '@wukong/storage';
import { JobCancelledError } from './errors.js';

export interface JobRunOptions {
  job: string;
  plan: Plan;
  encodedPlan: EncodedPlan;
  store: Store;
  /** The backend; it reads the job's leaves from a feed (`invokeFrom`) as its executors have room. */
  invoker: Invoker & Required<Pick<Invoker, 'invokeFrom'>>;
  config: JobConfig;
  deadlineMs: number;
  /** Plans up to this many encoded bytes ride inline with the leaf invocations. */
  inlinePlanBytes: number;
  payloadLimitBytes: number;
  maxAttempts: number;
  stallMs: number;
  /**
   * After the last final arrives, progress events still in flight (done tasks, counters) are read for up
   * to this long, until every task is reported done.
   */
  settleMs: number;
  signal?: AbortSignal;
  /**
   * Tells the backend the job is over: drop its queued invocations, stop its executors before their next
   * write. Called as soon as the job fails (error, deadline, cancel, retries exhausted).
   */
  onStop?: () => void;
  onProgress?: (p: JobProgress) => void;
}

export interface JobProgress {
  tasks: number;
  done: number;
  finals: number;
  finalsDone: number;
}

export interface JobOutcome {
  outputs: Map<string, Value>;
  counters: ExecutorCounters;
  /** The job's spans, unpacked from their events' columns on the first call (see SpanColumns). */
  spans: () => (Span & { executor: string })[];
  retries: number;
  leafInvocations: number;
  wallMs: number;
}

const DONE_MARK = 'done';
const decoder = new TextDecoder();

export class JobRun {
  readonly #o: JobRunOptions;
  readonly #plan: Plan;
  readonly #done: Uint8Array;
  readonly #remainingDeps: Uint32Array;
  readonly #attempts: Uint8Array;
  readonly #outputs = new Map<string, Value>();
  readonly #finalIndex = new Set<number>();
  readonly #counters = emptyCounters();
  /** Spans as their progress events carried them, unpacked only if the job's report is read. */
  readonly #spans: { executor: string; spans: SpanColumns }[] = [];
  #doneCount = 0;
  /** Tasks reported done by their executors' progress events (the events that carry the counters). */
  readonly #reported: Uint8Array;
  #reportedCount = 0;
  #retries = 0;
  #lastProgressAt = Date.now();
  /** Leaves the backend has taken (it reads the rest from the feed as its executors have room). */
  #leavesInvoked = 0;
  #settled = false;
  /** Stops the event reader (set after the job settled and in-flight progress was drained). */
  #stopped = false;
  #allDone: (() => void) | undefined;
  #cursor = '0';
  #resolve!: () => void;
  #reject!: (e: Error) => void;

  constructor(options: JobRunOptions) {
    this.#o = options;
    this.#plan = options.plan;
    const n = this.#plan.taskCount;
    this.#done = new Uint8Array(n);
    this.#reported = new Uint8Array(n);
    this.#remainingDeps = Uint32Array.from(this.#plan.inDegree);
    this.#attempts = new Uint8Array(n).fill(1);
    for (const f of this.#plan.finals) this.#finalIndex.add(f);
  }

  async run(): Promise<JobOutcome> {
    const t0 = performance.now();
    const finished = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    finished.catch(() => undefined); // awaited below; this only marks an early rejection as handled
    const { signal } = this.#o;
    const onAbort = (): void => this.#fail(new JobCancelledError(this.#o.job));
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(
      () => this.#fail(this.#deadlineError()),
      Math.max(0, this.#o.deadlineMs - Date.now()),
    );
    const watchdog = setInterval(
      () => void this.#watch().catch((e: unknown) => this.#fail(e as Error)),
      Math.max(50, this.#o.stallMs / 2),
    );
    try {
      if (signal?.aborted) throw new JobCancelledError(this.#o.job);
      const { inline, stored } = this.#storePlan();
      stored.catch(() => undefined); // awaited below; this only marks an early rejection as handled
      // The reader runs until the job settles; a store error there fails the job like any other.
      void this.#listen().catch((e: unknown) => this.#fail(e as Error));
      // The leaves go out as the backend has room for them; a job that fails meanwhile rejects at once.
      // Executors that were handed the plan (sharePlan) never read it from storage, so their leaves go
      // out while it is being stored; elsewhere the plan is stored first.
      const invoked = this.#o.invoker.sharePlan
        ? Promise.all([stored, this.#invokeLeaves(inline)])
        : stored.then(() => this.#invokeLeaves(inline));
      await Promise.race([invoked, finished]);
      await finished;
    } catch (e) {
      this.#fail(e as Error); // a no-op when the job had already failed: the first error wins
      this.#stopped = true;
    } finally {
      clearTimeout(deadline);
      clearInterval(watchdog);
      signal?.removeEventListener('abort', onAbort);
    }
    await finished;
    await this.#drainProgress();
    return {
      outputs: this.#outputs,
      counters: this.#counters,
      spans: unpackSpans(this.#spans),
      retries: this.#retries,
      leafInvocations: this.#plan.leaves.length,
      wallMs: performance.now() - t0,
    };
  }

  #fail(error: Error): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#o.onStop?.();
    this.#reject(error);
  }

  #succeed(): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#resolve();
  }

  /**
   * Hands the plan to executors beside the client (sharePlan) and stores it; `inline` is the plan to
   * carry in the leaves' payloads when it is small enough.
   */
  #storePlan(): { inline: InlinePlan | undefined; stored: Promise<void> } {
    const { store, job, encodedPlan, config } = this.#o;
    this.#o.invoker.sharePlan?.(job, { header: encodedPlan.header, segments: encodedPlan.segments });
    const stored = storePlan(store, job, encodedPlan, config.keyTtlMs);
    const bytes = encodedPlan.segments.reduce((n, s) => n + s.byteLength, encodedPlan.header.byteLength);
    const inline =
      bytes <= this.#o.inlinePlanBytes
        ? { header: encodedPlan.header, segments: encodedPlan.segments }
        : undefined;
    return { inline, stored };
  }

  /** Payload encoders of this job, with the plan inline and without (made on first use). */
  #encoders = new Map<boolean, PayloadEncoder>();

  #payload(start: number[], attempt: number, plan?: InlinePlan): Uint8Array {
    let encoder = this.#encoders.get(plan !== undefined);
    if (encoder === undefined) {
      const shared = {
        v: PAYLOAD_VERSION,
        job: this.#o.job,
        ...(plan ? { plan } : {}),
        deadlineMs: this.#o.deadlineMs,
        config: this.#o.config,
      };
      encoder = new PayloadEncoder(shared, this.#o.payloadLimitBytes);
      this.#encoders.set(plan !== undefined, encoder);
    }
    return encoder.encode(start, [], attempt);
  }

  async #invokeLeaves(inline: InlinePlan | undefined): Promise<void> {
    const leaves = this.#plan.leaves;
    let plan = inline;
    let next = 0;
    const encode = (leaf: number): Uint8Array => {
      try {
        return this.#payload([leaf], 1, plan);
      } catch {
        plan = undefined; // the plan does not fit beside this payload: executors read it from storage
        return this.#payload([leaf], 1);
      }
    };
    // The backend reads the leaves as its executors have room: each payload is made when it can go.
    await this.#o.invoker.invokeFrom(() => {
      if (next >= leaves.length || this.#settled) return undefined;
      const bytes = encode(leaves[next++]!);
      this.#leavesInvoked++;
      return bytes;
    });
  }

  /** Reads the job's event stream until the job settles. */
  async #listen(): Promise<void> {
    const { store, job } = this.#o;
    while (!this.#stopped) {
      const events = await store.readEvents(job, this.#cursor, { blockMs: 200, count: 1024 });
      for (const { id, data } of events) {
        this.#cursor = id;
        this.#handle(data);
        if (this.#stopped) return;
      }
    }
  }

  /**
   * Waits (bounded by settleMs) until every task's progress event has arrived, so the counters are complete.
   * An executor that crashed took its unsent events with it: then the wait ends at settleMs.
   */
  async #drainProgress(): Promise<void> {
    if (this.#reportedCount < this.#plan.taskCount) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#o.settleMs);
        this.#allDone = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    this.#stopped = true;
  }

  #handle(data: Uint8Array): void {
    const event = decodeEventKeepingSpans(data);
    if (this.#settled && event.type !== 'progress') return;
    switch (event.type) {
      case 'progress':
        for (const t of event.done) {
          this.#markDone(t);
          if (!this.#reported[t]) {
            this.#reported[t] = 1;
            if (++this.#reportedCount === this.#plan.taskCount) this.#allDone?.();
          }
        }
        if (event.spans.length > 0) this.#spans.push({ executor: event.executor, spans: event.spans });
        for (const name of Object.keys(this.#counters) as (keyof ExecutorCounters)[]) {
          this.#counters[name] += event.counters[name] ?? 0;
        }
        break;
      case 'final':
        void this.#acceptFinal(event.task, event.key, event.value);
        break;
      case 'error':
        // An executor that stopped an op at the job's deadline reports the job's deadline, not a task bug.
        this.#fail(
          event.code === 'DEADLINE_EXCEEDED'
            ? this.#deadlineError()
            : new TaskFailedError(event.key, event.message, event.stack, event.code),
        );
        break;
      case 'wake':
        break;
    }
  }

  async #acceptFinal(task: number, key: string, inline: Uint8Array | undefined): Promise<void> {
    if (this.#outputs.has(key)) return;
    try {
      const frame = inline ?? (await this.#o.store.getRequired(keys.out(this.#o.job, task)));
      if (this.#outputs.has(key)) return;
      this.#outputs.set(key, decodeValue(frame));
      this.#markDone(task);
      this.#report();
      if (this.#outputs.size === this.#finalIndex.size) this.#succeed();
    } catch (e) {
      this.#fail(e as Error);
    }
  }

  #markDone(task: number): void {
    if (this.#done[task]) return;
    this.#done[task] = 1;
    this.#doneCount++;
    this.#lastProgressAt = Date.now();
    const { dependentOffsets, dependents } = this.#plan;
    for (let i = dependentOffsets[task]!; i < dependentOffsets[task + 1]!; i++)
      this.#remainingDeps[dependents[i]!]!--;
    this.#report();
  }

  #report(): void {
    this.#o.onProgress?.({
      tasks: this.#plan.taskCount,
      done: this.#doneCount,
      finals: this.#finalIndex.size,
      finalsDone: this.#outputs.size,
    });
  }

  /** The watchdog: re-invoke ready tasks that nobody holds once the job has stalled. */
  async #watch(): Promise<void> {
    if (this.#settled || Date.now() - this.#lastProgressAt < this.#o.stallMs) return;
    this.#lastProgressAt = Date.now();
    if (this.#leavesInvoked < this.#plan.leaves.length || (this.#o.invoker.backlog?.() ?? 0) > 0) return;
    // Candidates: tasks whose parents are all done but which are not done yet (found by a scan, run only
    // when the job has stalled, rather than a set kept up to date for every task of every job).
    const candidates: number[] = [];
    for (let t = 0; t < this.#plan.taskCount; t++)
      if (this.#remainingDeps[t] === 0 && !this.#done[t]) candidates.push(t);
    const { store, job } = this.#o;
    for (let i = 0; i < candidates.length && !this.#settled; i += 1024) {
      const batch = candidates.slice(i, i + 1024);
      const leases = await store.mget(batch.map((t) => keys.lease(job, t)));
      for (let k = 0; k < batch.length; k++) {
        const task = batch[k]!;
        const lease = leases[k];
        if (lease !== null && lease !== undefined) {
          if (decoder.decode(lease) === DONE_MARK) {
            // It finished (fan-out included) but its events were lost with its executor: catch up.
            if (this.#finalIndex.has(task)) void this.#acceptFinal(task, this.#plan.keys[task]!, undefined);
            else this.#markDone(task);
          }
          continue;
        }
        const attempt = ++this.#attempts[task]!;
        if (attempt > this.#o.maxAttempts) {
          this.#fail(new RetriesExhaustedError(this.#plan.keys[task]!, attempt - 1));
          return;
        }
        this.#retries++;
        await this.#o.invoker.invoke(this.#payload([task], attempt));
      }
    }
  }

  #deadlineError(): Error {
    const missing = [...this.#finalIndex]
      .filter((t) => !this.#outputs.has(this.#plan.keys[t]!))
      .map((t) => this.#plan.keys[t]!);
    return new DeadlineExceededError(this.#o.job, missing);
  }
}

/** The spans of a job's events as one list, each naming its executor; unpacked once, on the first call. */
function unpackSpans(
  events: readonly { executor: string; spans: SpanColumns }[],
): () => (Span & { executor: string })[] {
  let all: (Span & { executor: string })[] | undefined;
  return () => {
    if (all !== undefined) return all;
    all = [];
    for (const { executor, spans } of events)
      for (const s of spans.unpack() as (Span & { executor: string })[]) {
        s.executor = executor;
        all.push(s);
      }
    return all;
  };
}
