/**
 * Progress of the executors of one host (a worker thread, a Lambda container), batched onto the jobs'
 * event streams: done task indices, spans and counter deltas. Appending an event costs a store round
 * trip, so the host keeps one buffer per job for all its executors and flushes it at most every
 * `flushMs`, and at once when its last running executor ends (so a finished job's figures arrive right
 * after its final result, and a Lambda container has sent everything before it freezes).
 */
import type { Store } from '@wukong/storage';
import { emptyCounters, encodeEvent, type ExecutorCounters, type Span } from './events.js';

interface JobBuffer {
  done: number[];
  spans: Span[];
  counters: ExecutorCounters;
  dirty: boolean;
}

export class ProgressSink {
  readonly #jobs = new Map<string, JobBuffer>();
  /** TTL of each job's event stream: the job's key TTL, so a stream never outlives its job's keys. */
  readonly #ttlMs = new Map<string, number>();
  #active = 0;
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    /** Names the host in the events (spans are drawn per host). */
    readonly hostId: string,
    private readonly flushMs: number,
    /** False for a job the backend stopped: its progress is dropped, nothing is appended for it. */
    private readonly isLive: (job: string) => boolean = () => true,
  ) {}

  #buffer(job: string): JobBuffer {
    let b = this.#jobs.get(job);
    if (b === undefined) {
      b = { done: [], spans: [], counters: emptyCounters(), dirty: false };
      this.#jobs.set(job, b);
    }
    b.dirty = true;
    this.#timer ??= setTimeout(() => void this.flush(), this.flushMs);
    return b;
  }

  done(job: string, task: number): void {
    this.#buffer(job).done.push(task);
  }

  span(job: string, span: Span): void {
    this.#buffer(job).spans.push(span);
  }

  count(job: string, name: keyof ExecutorCounters, n = 1): void {
    this.#buffer(job).counters[name] += n;
  }

  invocationStarted(job: string, keyTtlMs: number): void {
    this.#active++;
    this.#ttlMs.set(job, keyTtlMs);
  }

  /**
   * An executor of the host ended. The last one to end sends everything now: the flush to wait for, or
   * undefined when other executors still run (nothing to wait for).
   */
  invocationEnded(): Promise<void> | undefined {
    this.#active--;
    return this.#active === 0 ? this.flush() : undefined;
  }

  /** Appends one progress event per job with pending data. Flushes run one after another. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batches = [...this.#jobs].filter(([job, b]) => b.dirty && this.isLive(job));
    this.#jobs.clear();
    const ttls = new Map(batches.map(([job]) => [job, this.#ttlMs.get(job)]));
    if (this.#active === 0) this.#ttlMs.clear();
    // A failed append loses progress, not results: the client's watchdog and lease records cover it.
    const send = async (): Promise<void> => {
      await Promise.allSettled(
        batches.map(([job, b]) =>
          this.store.appendEvent(
            job,
            encodeEvent({
              type: 'progress',
              executor: this.hostId,
              done: b.done,
              spans: b.spans,
              counters: b.counters,
            }),
            { ttlMs: ttls.get(job) },
          ),
        ),
      );
    };
    this.#flushing = this.#flushing.then(send, send);
    return this.#flushing;
  }
}
