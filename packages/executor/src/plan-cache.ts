/**
 * Per-job Plan cache. A warm Lambda container or a local worker thread fetches a job's plan at most once:
 * the header first, then only the segments its region of the DAG touches (PlanReader decodes lazily).
 * A plan that rode inline with the invocation is used as is.
 */
import { PlanReader } from '@wukong/partitioner';
import { keys, type Store } from '@wukong/storage';
import type { InlinePlan } from './payload.js';

export class PlanCache {
  readonly #readers = new Map<string, Promise<PlanReader>>();

  constructor(
    private readonly store: Store,
    /** Jobs whose plans are kept; the least recently used is dropped beyond this. */
    private readonly maxJobs = 16,
  ) {}

  get(job: string, inline?: InlinePlan): Promise<PlanReader> {
    let reader = this.#readers.get(job);
    if (reader !== undefined) {
      // Refresh recency.
      this.#readers.delete(job);
      this.#readers.set(job, reader);
      return reader;
    }
    reader = inline ? Promise.resolve(this.#fromInline(inline)) : this.#fromStore(job);
    reader.catch(() => this.#readers.delete(job));
    this.#readers.set(job, reader);
    while (this.#readers.size > this.maxJobs) this.#readers.delete(this.#readers.keys().next().value!);
    return reader;
  }

  forget(job: string): void {
    this.#readers.delete(job);
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
