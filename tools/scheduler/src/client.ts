/**
 * The client API and static scheduler: `connect()` starts a backend, `compute()` runs a graph on it.
 *
 *   validate → plan → store plan → invoke leaves → await pushed `final` events → clean up the job's keys
 *
 * Validation happens before anything is stored or invoked: a bad graph starts nothing.
 */
import { randomBytes } from 'node:crypto';
import {
  createOpRegistry,
  executorDefaults,
  LocalPool,
  resolveExecutorOptions,
  type ExecutorCounters,
  type ExecutorOptions,
  type FaultConfig,
  type OpRegistry,
  type Span,
  type Value,
} from '@wukong/executor';
import { validateGraph, type Graph, type GraphLimits } from '@wukong/graph';
import { buildPlan, encodePlan } from '@wukong/partitioner';
import { keys, MemoryStore, openStore, type Store } from '@wukong/storage';
import { ClientClosedError, InvalidOptionError } from './errors.js';
import { JobRun, type JobProgress } from './job.js';

export interface ConnectOptions {
  /** Where executors run. Only the local worker-thread backend ships in this package. @default 'local' */
  backend?: 'local';
  /**
   * Intermediate storage: `memory` (embedded, no service), `redis://h:p[,redis://h:p...]` (shards),
   * `rediss://...` (TLS) or `redis-cluster://h:p`. @default 'memory'
   */
  storage?: string;
  /** Worker threads. @default os.availableParallelism() */
  workers?: number;
  /** Executors running at once per thread (raise for sleep-bound experiments). @default 128 */
  executorsPerWorker?: number;
  /** Emulated invocation latency. @default 0 */
  invocationLatencyMs?: number;
  /** Fraction of invocations delivered twice (Lambda's at-least-once delivery). @default 0 */
  duplicateRate?: number;
  /** A duplicate arrives up to this late. @default 50 */
  duplicateDelayMs?: number;
  /** Largest invocation payload, enforced as Lambda would. @default 262_144 */
  payloadLimitBytes?: number;
  /** Seed of the emulation dice. @default 1 */
  seed?: number;
  /** Executors flush progress events (done tasks, spans, counters) at least this often. @default 50 */
  eventFlushMs?: number;
  /** Largest young generation of each worker thread's heap, MiB (see LocalPoolOptions). @default 3/8 per executor slot, 48..256 */
  youngGenerationMb?: number;
  /** Executor options for every job (a job's own `executorOptions` win). */
  executorOptions?: ExecutorOptions;
}

export interface ComputeOptions {
  /** Time the job may take, from the call. @default 600_000 */
  deadlineMs?: number;
  /** Cancels the job: no new invocations, `compute()` rejects with JobCancelledError. */
  signal?: AbortSignal;
  onProgress?: (progress: JobProgress) => void;
  executorOptions?: ExecutorOptions;
  /** Fault injection (crash points) for experiments and tests. */
  faults?: FaultConfig;
  /** Attempts per task before the job fails with RetriesExhaustedError. @default 3 */
  maxAttempts?: number;
  /** The watchdog acts after this long without progress. @default 2_000 */
  stallMs?: number;
  /** Bounds checked by validation. */
  limits?: Partial<GraphLimits>;
  /** Plans up to this size ride inline with the leaf invocations. @default 65_536 */
  inlinePlanBytes?: number;
  /** Leave the job's keys in storage (for inspection). @default false */
  keepKeys?: boolean;
}

export interface JobReport {
  job: string;
  wallMs: number;
  tasks: number;
  leaves: number;
  finals: number;
  /** Leaf invocations by the client, invocations by executors, and watchdog re-invocations. */
  invocations: number;
  retries: number;
  counters: ExecutorCounters;
  /** A span per step of every task (see Span); made from the job's events when first read. */
  readonly spans: (Span & { executor: string })[];
  keys: readonly string[];
}

export interface JobResult {
  outputs: Map<string, Value>;
  report: JobReport;
}

export class Client {
  #closed = false;
  /** Deletions of ended jobs' keys still running. */
  readonly #cleanups = new Set<Promise<void>>();

  private constructor(
    readonly store: Store,
    private readonly pool: LocalPool,
    readonly ops: OpRegistry,
    private readonly options: ConnectOptions,
    private readonly ownsStore: boolean,
  ) {}

  static async connect(options: ConnectOptions = {}): Promise<Client> {
    if ((options.backend ?? 'local') !== 'local')
      throw new InvalidOptionError('backend', `unknown backend '${String(options.backend)}'`);
    if (options.executorOptions) resolveExecutorOptions(options.executorOptions);
    const storage = options.storage ?? 'memory';
    const store = storage === 'memory' ? new MemoryStore() : await openStore(storage);
    try {
      const pool = await LocalPool.start({
        store: store instanceof MemoryStore ? { memory: store } : { url: storage },
        ...pick(options, [
          'workers',
          'executorsPerWorker',
          'invocationLatencyMs',
          'duplicateRate',
          'duplicateDelayMs',
          'payloadLimitBytes',
          'seed',
          'eventFlushMs',
          'youngGenerationMb',
        ]),
      });
      return new Client(store, pool, createOpRegistry(), options, true);
    } catch (e) {
      await store.close();
      throw e;
    }
  }

  /** Runs a graph and resolves with the outputs of its final tasks, keyed by task key. */
  async compute(graph: Graph, options: ComputeOptions = {}): Promise<Map<string, Value>> {
    return (await this.run(graph, options)).outputs;
  }

  /** Like `compute()`, with the job report (counters, spans) beside the outputs. */
  async run(graph: Graph, options: ComputeOptions = {}): Promise<JobResult> {
    if (this.#closed) throw new ClientClosedError();
    validateGraph(graph, { ops: this.ops, ...(options.limits ? { limits: options.limits } : {}) });
    const plan = buildPlan(graph);
    const encodedPlan = encodePlan(plan);
    const job = `j${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
    const budgetMs = options.deadlineMs ?? 600_000;
    if (!(budgetMs > 0)) throw new InvalidOptionError('deadlineMs', 'must be positive');
    const executorOptions = { ...this.options.executorOptions, ...options.executorOptions };
    const resolved = resolveExecutorOptions(executorOptions);
    const payloadLimitBytes = this.options.payloadLimitBytes ?? executorDefaults.payloadLimitBytes;
    // The job is stopped in the pool once: when it fails or is cancelled, else when it ends.
    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> => (stopping ??= this.pool.stopJob(job));
    const run = new JobRun({
      job,
      plan,
      encodedPlan,
      store: this.store,
      invoker: this.pool,
      config: {
        options: {
          ...executorOptions,
          payloadLimitBytes: Math.min(payloadLimitBytes, resolved.payloadLimitBytes),
        },
        ...(options.faults ? { faults: options.faults } : {}),
        keyTtlMs: budgetMs + 60_000,
      },
      deadlineMs: Date.now() + budgetMs,
      inlinePlanBytes: options.inlinePlanBytes ?? 65_536,
      payloadLimitBytes,
      maxAttempts: options.maxAttempts ?? 3,
      stallMs: options.stallMs ?? 2_000,
      settleMs: Math.max(250, 4 * (this.options.eventFlushMs ?? 50)),
      ...(options.signal ? { signal: options.signal } : {}),
      // A failed or cancelled job stops at once (no new invocations), before its last progress is read.
      onStop: () => void stop(),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    try {
      const outcome = await run.run();
      return {
        outputs: outcome.outputs,
        report: {
          job,
          wallMs: outcome.wallMs,
          tasks: plan.taskCount,
          leaves: plan.leaves.length,
          finals: plan.finals.length,
          invocations: outcome.leafInvocations + outcome.counters.invocations + outcome.retries,
          retries: outcome.retries,
          counters: outcome.counters,
          // Unpacked when first read: most callers never look at a job's ~2 spans per task.
          get spans() {
            return outcome.spans();
          },
          keys: plan.keys,
        },
      };
    } finally {
      // Whether it succeeded or not, the job may still have executors running (duplicates, losers of a
      // race, siblings of a failed task). Its keys go once the pool confirms none of them runs any more,
      // so no late write recreates them; that happens in the background: the caller has its outputs as
      // soon as the finals are in, and `settled()` / `close()` wait for the deletion.
      const stopped = stop();
      if (!options.keepKeys) {
        const cleanup = stopped
          .then(() => this.#deleteJob(job))
          .finally(() => this.#cleanups.delete(cleanup));
        this.#cleanups.add(cleanup);
      }
    }
  }

  /**
   * Resolves when the keys of every job that has ended are deleted from storage (`compute()` and `run()`
   * resolve first and delete in the background).
   */
  async settled(): Promise<void> {
    while (this.#cleanups.size > 0) await Promise.all([...this.#cleanups]);
  }

  /** The plan goes first: its absence tells late deliveries on backends that cannot be told the job is over. */
  async #deleteJob(job: string): Promise<void> {
    await this.store
      .delete([keys.plan(job)])
      .then(() => this.store.deleteJob(job))
      .catch(() => undefined);
  }

  /** Statistics of the backend (invocations delivered, duplicates, crashes). */
  get backendStats(): LocalPool['stats'] {
    return this.pool.stats;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.pool.close(); // no executor writes after this; pending stops are answered
    await this.settled();
    if (this.ownsStore) await this.store.close();
  }
}

export function connect(options: ConnectOptions = {}): Promise<Client> {
  return Client.connect(options);
}

function pick<T extends object, K extends keyof T>(o: T, names: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const n of names) if (o[n] !== undefined) out[n] = o[n];
  return out;
}
