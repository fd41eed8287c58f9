/**
 * Per-job Plan cache. A warm Lambda container or a local worker thread fetches a job's plan at most once:
 * the header first, then only the segments its region of the DAG touches (PlanReader decodes lazily).
 * A plan that rode inline with the invocation is used as is.
 */
import { PlanReader, type EncodedPlan } from '@wukong/partitioner';
import { keys, type Store } from '@wukong/storage';
import type { InlinePlan } from './payload.js';

/** Stores a job's encoded plan where `PlanCache` reads it: the header and each segment, with a TTL. */
export async function storePlan(store: Store, job: string, plan: EncodedPlan, ttlMs: number): Promise<void> {
  await Promise.all([
    store.set(keys.plan(job), plan.header, ttlMs),
    ...plan.segments.map((segment, n) => store.set(keys.planSegment(job, n), segment, ttlMs)),
  ]);
}

export class PlanCache {
  readonly #readers = new Map<string, Promise<PlanReader>>();
  /** Readers whose plan has arrived: an executor starting on a warm host takes one without waiting. */
  readonly #loaded = new Map<string, PlanReader>();
  /** The job asked for last: asking again needs no recency update. */
  #latest = '';

  constructor(
    private readonly store: Store,
    /** Jobs whose plans are kept; the least recently used is dropped beyond this. */
    private readonly maxJobs = 16,
  ) {}

  /** The job's plan reader when its plan is here already, else undefined (then use `get`). */
  loaded(job: string): PlanReader | undefined {
    const reader = this.#loaded.get(job);
    if (reader !== undefined) this.#touch(job);
    return reader;
  }

  get(job: string, inline?: InlinePlan): Promise<PlanReader> {
    const known = this.#readers.get(job);
    if (known !== undefined) {
      this.#touch(job);
      return known;
    }
    const pending = inline ? Promise.resolve(this.#fromInline(inline)) : this.#fromStore(job);
    pending.then(
      (r) => {
        if (this.#readers.get(job) === pending) this.#loaded.set(job, r);
      },
      () => {
        if (this.#readers.get(job) === pending) this.forget(job);
      },
    );
    this.#readers.set(job, pending);
    this.#latest = job;
    while (this.#readers.size > this.maxJobs) this.forget(this.#readers.keys().next().value!);
    return pending;
  }

  /**
   * Caches a plan handed over directly (Invoker.sharePlan), so that the job's executors here never read
   * it from storage. A plan already cached or being read stays as it is.
   */
  offer(job: string, plan: InlinePlan): void {
    if (this.#readers.has(job)) return;
    const reader = this.#fromInline(plan);
    this.#readers.set(job, Promise.resolve(reader));
    this.#loaded.set(job, reader);
    this.#latest = job;
    while (this.#readers.size > this.maxJobs) this.forget(this.#readers.keys().next().value!);
  }

  forget(job: string): void {
    this.#readers.delete(job);
    this.#loaded.delete(job);
    if (this.#latest === job) this.#latest = '';
  }

  /** Marks the job most recently used (the least recently used is evicted first). */
  #touch(job: string): void {
    if (job === this.#latest) return;
    const reader = this.#readers.get(job);
    if (reader === undefined) return;
    this.#readers.delete(job);
    this.#readers.set(job, reader);
    this.#latest = job;
  }

  #fromInline(inline: InlinePlan): PlanReader {
    return new PlanReader(inline.header, (n) => {
      const segment = inline.segments[n];
      if (segment === undefined) return Promise.reject(new RangeError(`inline plan has no segment ${n}`));
      return Promise.resolve(segment);
    });
  }

  async #fromStore(job: string): Promise<PlanReader> {
    const header = await this.store.getRequired(keys.plan(job));
    return new PlanReader(header, (n) => this.store.getRequired(keys.planSegment(job, n)));
  }
}
