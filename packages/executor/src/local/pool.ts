/**
 * The local backend: a pool of worker threads (default one per core), each hosting the executor core like
 * a warm Lambda container. Invocation = message; the pool routes every invocation — from the client or
 * from an executor invoking a child — to the thread with the most room, and holds it in its own queue
 * while every thread is full: a thread is sent no more than its executor slots plus a small prefetch
 * allowance (credits it returns as slots free up), so a burst of invocations goes to whichever thread
 * frees slots first instead of being split up front. Invocations routed to one thread in one turn of the
 * event loop travel in one message. `invoke()` resolves once a thread has taken the invocation (at once
 * while one has room). The client hands a job's leaves over as a feed instead (`invokeFrom`): the pool
 * reads the next payload whenever its queue is empty and a thread has room, so 10,000 leaves are encoded
 * as threads free up, not all at the start, and cost no promise each.
 * When the pool's queue is still empty a turn after it emptied and a thread has idle slots while another
 * still holds prefetched invocations it has not started, the pool takes those back and hands them to the
 * idle thread: at the end of a job, work does not wait behind a busy thread while another idles.
 *
 * The pool can emulate Lambda for experiments: invocation latency, duplicate delivery (a fraction of
 * invocations delivered twice, the copy up to `duplicateDelayMs` late). Crashes are injected inside the
 * executor (faults.ts) through the job's config. The payload limit is enforced by the executor's payload
 * encoder and checked again here on arrival.
 */
import { availableParallelism } from 'node:os';
import { Worker, type MessagePort } from 'node:worker_threads';
import type { MemoryStore } from '@wukong/storage';
import { PayloadTooLargeError } from '../errors.js';
import type { Invoker } from '../executor.js';
import type { InlinePlan } from '../payload.js';
import { executorDefaults } from '../options.js';
import { Fifo } from './fifo.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

export interface LocalPoolOptions {
  /** Worker threads. @default os.availableParallelism() */
  workers?: number;
  /**
   * Executors running at once in one thread. Executors spend much of their time waiting on storage and
   * on each other, so a thread hosts several, as several Lambda containers would run side by side; an
   * executor waiting on delayed I/O gives its slot up. The store calls and invocations of executors that
   * run together travel together (one message per turn of the event loop), so more of them in flight
   * means fewer messages per task: a 1,024-leaf tree reduction ran ~15% faster with 128 than with 32.
   * Ops run one at a time in a thread either way. Raise it for sleep-bound experiments. @default 128
   */
  executorsPerWorker?: number;
  /** The embedded store to share with the workers, or a store URL each worker opens itself. */
  store: { memory: MemoryStore } | { url: string };
  /** Added before each delivery, as Lambda's invocation latency. @default 0 */
  invocationLatencyMs?: number;
  /** Fraction of invocations delivered twice. @default 0 */
  duplicateRate?: number;
  /** The duplicate arrives up to this late (uniformly). @default 50 */
  duplicateDelayMs?: number;
  /** Largest payload accepted. @default executorDefaults.payloadLimitBytes */
  payloadLimitBytes?: number;
  /** Seed of the duplicate-delivery dice. @default 1 */
  seed?: number;
  /** How often worker threads flush progress events (done tasks, spans, counters). @default 50 */
  eventFlushMs?: number;
  /**
   * Largest young generation of each worker thread's heap, in MiB (the Worker's
   * `resourceLimits.maxYoungGenerationSizeMb`; V8 grows it up to this as survivors demand). Executors that
   * wait keep their state alive through minor collections, each of which copies it, so the size follows
   * the executors a thread hosts: 3/8 MiB per slot, at least V8's own default (48) and at most 256. At
   * 500 sleeping executors per thread (Figure 13's experiment) a thread ran ~16 minor collections per
   * 10,000 tasks with 48 and ~3 with 192, and the makespan fell ~3%; at the default 128 slots it stays 48,
   * where short-lived work measured no better with more. @default clamp(executorsPerWorker × 3/8, 48, 256)
   */
  youngGenerationMb?: number;
}

export interface PoolStats {
  invocations: number;
  duplicatesDelivered: number;
  /** Most invocations the pool held at once while every thread was full. */
  maxQueued: number;
  crashes: number;
  failures: { message: string; stack?: string }[];
}

/** The caller of `invoke()`, told when a thread has taken its invocation (or that none will). */
interface Waiter {
  resolve: () => void;
  reject: (e: Error) => void;
}

/** A source of invocations given to `invokeFrom`, read as threads have room; settled when it ends. */
interface Feed extends Waiter {
  next: () => Uint8Array | undefined;
}

/** Invocations a feed gives in one turn of the event loop, so the first ones leave while it goes on. */
const FEED_PER_TURN = 256;

/** An invocation in the pool's queue, with its `invoke()` caller when it has one. */
interface Queued extends Partial<Waiter> {
  payload: Uint8Array;
}

interface Thread {
  worker: Worker;
  /** Invocations this thread can take now (its free slots and prefetch room, as far as the pool knows). */
  credits: number;
  /** Invocations routed to this thread in the current turn of the event loop. */
  outbox: Uint8Array[];
  /** `stopJob` calls waiting for this thread's answer, by job. */
  stopping: Map<string, (() => void)[]>;
  /** The thread has exited: it runs nothing, so it answers every stop at once. */
  exited: boolean;
  /** A `return` request is on its way to this thread. */
  returning: boolean;
}

export class LocalPool implements Invoker {
  readonly #threads: Thread[] = [];
  readonly #opts: Required<Omit<LocalPoolOptions, 'store'>>;
  readonly #stats: PoolStats = {
    invocations: 0,
    duplicatesDelivered: 0,
    maxQueued: 0,
    crashes: 0,
    failures: [],
  };
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #random: () => number;
  /** Invocations waiting for a thread with credits. */
  readonly #queue = new Fifo<Queued>();
  /** Sources read when the queue is empty and a thread has room (see invokeFrom), first come first. */
  readonly #feeds: Feed[] = [];
  #feedTurnScheduled = false;
  /** Invocations a thread may hold beyond its executor slots, not started yet. */
  readonly #prefetch: number;
  #closed = false;

  private constructor(opts: LocalPoolOptions) {
    this.#opts = {
      workers: opts.workers ?? availableParallelism(),
      executorsPerWorker: opts.executorsPerWorker ?? 128,
      invocationLatencyMs: opts.invocationLatencyMs ?? 0,
      duplicateRate: opts.duplicateRate ?? 0,
      duplicateDelayMs: opts.duplicateDelayMs ?? 50,
      payloadLimitBytes: opts.payloadLimitBytes ?? executorDefaults.payloadLimitBytes,
      seed: opts.seed ?? 1,
      eventFlushMs: opts.eventFlushMs ?? 50,
      youngGenerationMb: opts.youngGenerationMb ?? defaultYoungGenerationMb(opts.executorsPerWorker ?? 128),
    };
    if (!(this.#opts.workers >= 1)) throw new RangeError('workers must be at least 1');
    if (!(this.#opts.executorsPerWorker >= 1)) throw new RangeError('executorsPerWorker must be at least 1');
    if (!(this.#opts.youngGenerationMb >= 1)) throw new RangeError('youngGenerationMb must be at least 1');
    if (!(this.#opts.duplicateRate >= 0 && this.#opts.duplicateRate <= 1)) {
      throw new RangeError('duplicateRate must be in [0, 1]');
    }
    this.#random = mulberry32(this.#opts.seed);
    this.#prefetch = Math.max(8, Math.ceil(this.#opts.executorsPerWorker / 4));
  }

  static async start(options: LocalPoolOptions): Promise<LocalPool> {
    const pool = new LocalPool(options);
    try {
      await Promise.all(Array.from({ length: pool.#opts.workers }, (_, i) => pool.#spawn(i, options)));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  get stats(): Readonly<PoolStats> {
    return this.#stats;
  }

  get workers(): number {
    return this.#threads.length;
  }

  /** The young-generation limit (MiB) the worker threads run with, as Node reports it for the first. */
  get youngGenerationMb(): number | undefined {
    return this.#threads[0]?.worker.resourceLimits?.maxYoungGenerationSizeMb;
  }

  /** Resolves once a thread has taken the invocation (see above); rejects a payload over the limit. */
  invoke(payload: Uint8Array): Promise<void> {
    const refused = this.#refusal(payload);
    if (refused !== undefined) return Promise.reject(refused);
    return new Promise((resolve, reject) => this.#accept(payload, { resolve, reject }));
  }

  /**
   * Takes invocations from `next` as threads have room, until it returns undefined; resolves then, and
   * rejects when it throws or gives a payload over the limit (what it gave before is taken). The
   * alternative to awaiting `invoke()` once per invocation for a caller with many (the client invoking a
   * job's 10,000 leaves): no promise per invocation, and each payload is made when a thread can take it.
   * A feed is read only while the pool's queue is empty, at most FEED_PER_TURN payloads per turn of the
   * event loop, so that the first ones reach the threads while the rest are made.
   */
  invokeFrom(next: () => Uint8Array | undefined): Promise<void> {
    if (this.#closed) return Promise.reject(poolClosed());
    return new Promise((resolve, reject) => {
      this.#feeds.push({ next, resolve, reject });
      this.#drain();
    });
  }

  /** Why an invocation cannot be taken: the pool is closed, or the payload is over the limit (as Lambda). */
  #refusal(payload: Uint8Array): Error | undefined {
    if (this.#closed) return poolClosed();
    if (payload.byteLength > this.#opts.payloadLimitBytes)
      return new PayloadTooLargeError(payload.byteLength, this.#opts.payloadLimitBytes);
    return undefined;
  }

  /** Takes an invocation in; `waiter` (invoke's caller) is told when a thread has it. */
  #accept(payload: Uint8Array, waiter?: Waiter): void {
    this.#stats.invocations++;
    if (this.#opts.duplicateRate > 0 && this.#random() < this.#opts.duplicateRate) {
      this.#stats.duplicatesDelivered++;
      const lateMs = this.#random() * this.#opts.duplicateDelayMs;
      this.#deliverAfter(payload, this.#opts.invocationLatencyMs + lateMs);
    }
    if (this.#opts.invocationLatencyMs > 0) {
      // Emulated latency: the invocation is accepted now and delivered later, as Lambda's async Invoke.
      this.#deliverAfter(payload, this.#opts.invocationLatencyMs);
      waiter?.resolve();
    } else this.#deliver(payload, waiter);
  }

  /**
   * Invocations accepted and not started: those in the pool's queue and those the threads hold beyond
   * their busy slots (as far as the threads' last reports tell).
   */
  backlog(): number {
    let n = this.#queue.size;
    for (const t of this.#threads) n += this.#unstarted(t);
    return n;
  }

  // From a thread's credits: one with credits above the prefetch allowance has that many idle slots; one
  // with fewer holds that many invocations it has not started (a thread queues work only while every slot
  // is busy).

  #idleSlots(t: Thread): number {
    return t.exited ? 0 : Math.max(0, t.credits - this.#prefetch);
  }

  #unstarted(t: Thread): number {
    return t.exited ? 0 : Math.max(0, this.#prefetch - t.credits);
  }

  /**
   * Gives every thread the job's plan ahead of its invocations (messages to a thread arrive in order), so
   * its executors need not read it from storage (see Invoker.sharePlan). Each thread gets its own copy.
   */
  sharePlan(job: string, plan: InlinePlan): void {
    if (this.#closed) return;
    // A view into a larger buffer would take the whole buffer along in the message.
    const own = (b: Uint8Array): Uint8Array =>
      b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b : b.slice();
    const header = own(plan.header);
    const segments = plan.segments.map(own);
    for (const t of this.#threads)
      if (!t.exited) t.worker.postMessage({ type: 'plan', job, header, segments } satisfies ToWorker);
  }

  /**
   * Stops a job: its queued and future invocations are dropped and its running executors stop before
   * their next write. Resolves when no executor of the job runs in any thread (or the pool has closed):
   * from then on nothing writes for the job, so its keys can be deleted and stay deleted.
   */
  stopJob(job: string): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const answers = this.#threads.map(
      (t) =>
        new Promise<void>((resolve) => {
          if (t.exited) return resolve();
          const waiting = t.stopping.get(job);
          if (waiting) waiting.push(resolve);
          else t.stopping.set(job, [resolve]);
        }),
    );
    for (const t of this.#threads) t.worker.postMessage({ type: 'stop', job } satisfies ToWorker);
    return Promise.all(answers).then(() => undefined);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    const closed = poolClosed();
    for (let item = this.#queue.shift(); item !== undefined; item = this.#queue.shift())
      item.reject?.(closed);
    for (const feed of this.#feeds.splice(0)) feed.reject(closed);
    await Promise.all(this.#threads.map((t) => stopThread(t.worker)));
  }

  #deliverAfter(payload: Uint8Array, delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#deliver(payload);
    }, delayMs);
    this.#timers.add(timer);
  }

  /** Sends a payload to the roomiest thread, or queues it (only then is it wrapped with its waiter). */
  #deliver(payload: Uint8Array, waiter?: Waiter): void {
    if (this.#closed) return waiter?.reject(poolClosed());
    const best = this.#roomiest();
    if (best === undefined || this.#queue.size > 0) {
      const item: Queued = waiter === undefined ? { payload } : { payload, ...waiter };
      this.#stats.maxQueued = Math.max(this.#stats.maxQueued, this.#queue.push(item));
    } else {
      this.#send(best, payload);
      waiter?.resolve();
    }
  }

  #roomiest(): Thread | undefined {
    let best: Thread | undefined;
    for (const t of this.#threads)
      if (t.credits > 0 && (best === undefined || t.credits > best.credits)) best = t;
    return best;
  }

  #send(thread: Thread, payload: Uint8Array): void {
    thread.credits--;
    if (thread.outbox.push(payload) === 1) {
      setImmediate(() => {
        const payloads = thread.outbox;
        thread.outbox = [];
        if (!this.#closed) thread.worker.postMessage({ type: 'invoke', payloads } satisfies ToWorker);
      });
    }
  }

  /** Hands queued invocations, then invocations from feeds, to threads that have room again. */
  #drain(): void {
    for (let best = this.#roomiest(); best !== undefined && this.#queue.size > 0; best = this.#roomiest()) {
      const item = this.#queue.shift()!;
      this.#send(best, item.payload);
      item.resolve?.();
    }
    if (this.#feeds.length === 0 || this.#feedTurnScheduled) return;
    for (let taken = 0; this.#roomiest() !== undefined && this.#queue.size === 0; taken++) {
      if (taken === FEED_PER_TURN) {
        this.#feedTurnScheduled = true;
        setImmediate(() => {
          this.#feedTurnScheduled = false;
          if (!this.#closed) this.#drain();
        });
        return;
      }
      if (!this.#takeFromFeed()) return;
    }
  }

  /** Accepts the next invocation of the first feed that has one; false when none has. */
  #takeFromFeed(): boolean {
    while (this.#feeds.length > 0) {
      const feed = this.#feeds[0]!;
      let payload: Uint8Array | undefined;
      let failure: Error | undefined;
      try {
        payload = feed.next();
        if (payload !== undefined) failure = this.#refusal(payload);
      } catch (e) {
        failure = e as Error;
      }
      if (payload === undefined || failure !== undefined) {
        // The feed has ended, or failed: what it gave before stands.
        this.#feeds.shift();
        if (failure === undefined) feed.resolve();
        else feed.reject(failure);
        continue;
      }
      // Feeds take turns, one invocation each, so that concurrent jobs share the threads.
      if (this.#feeds.length > 1) this.#feeds.push(this.#feeds.shift()!);
      this.#accept(payload);
      return true;
    }
    return false;
  }

  #rebalanceScheduled = false;

  /**
   * Rebalances after this turn of the event loop if the queue is still empty then: invoke() callers that
   * were waiting for room resume in this turn and may fill it again. (A feed with invocations left fills
   * idle slots first, in #drain, so a rebalance then finds none.)
   */
  #rebalanceSoon(): void {
    if (this.#rebalanceScheduled) return;
    this.#rebalanceScheduled = true;
    setImmediate(() => {
      this.#rebalanceScheduled = false;
      if (!this.#closed && this.#queue.size === 0) this.#rebalance();
    });
  }

  /**
   * With the pool's queue empty: asks threads that hold invocations they have not started to hand back as
   * many as the other threads have idle slots.
   */
  #rebalance(): void {
    let idleSlots = 0;
    for (const t of this.#threads) idleSlots += this.#idleSlots(t);
    if (idleSlots === 0) return;
    for (const t of this.#threads) {
      const unstarted = this.#unstarted(t);
      const room = idleSlots - this.#idleSlots(t);
      if (unstarted === 0 || room <= 0 || t.returning) continue;
      t.returning = true;
      t.worker.postMessage({ type: 'return', max: Math.min(unstarted, room) } satisfies ToWorker);
    }
  }

  #spawn(index: number, options: LocalPoolOptions): Promise<void> {
    const init: WorkerInit = {
      workerIndex: index,
      executorsPerWorker: this.#opts.executorsPerWorker,
      eventFlushMs: this.#opts.eventFlushMs,
    };
    const transfer: MessagePort[] = [];
    if ('memory' in options.store) {
      init.storePort = options.store.memory.connectPort();
      transfer.push(init.storePort);
    } else init.storeUrl = options.store.url;
    const worker = new Worker(new URL('./worker.js', import.meta.url), {
      workerData: init,
      transferList: transfer,
      resourceLimits: { maxYoungGenerationSizeMb: this.#opts.youngGenerationMb },
    });
    const thread: Thread = {
      worker,
      credits: this.#opts.executorsPerWorker + this.#prefetch,
      outbox: [],
      stopping: new Map(),
      exited: false,
      returning: false,
    };
    worker.once('exit', () => {
      thread.exited = true;
      for (const job of [...thread.stopping.keys()]) answerStop(thread, job);
    });
    this.#threads.push(thread);
    return new Promise((resolve, reject) => {
      worker.once('error', reject);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'ready') {
          worker.off('error', reject);
          worker.on('error', (e) =>
            this.#stats.failures.push({ message: e.message, ...(e.stack ? { stack: e.stack } : {}) }),
          );
          resolve();
        } else if (m.type === 'batch') {
          for (const payload of m.invokes) {
            // (The executor checked the payload limit; checked again here, as on arrival at Lambda.)
            const refused = this.#refusal(payload);
            if (refused === undefined) this.#accept(payload);
            else this.#stats.failures.push({ message: refused.message });
          }
          for (const ended of m.ended) {
            if ('failed' in ended) this.#stats.failures.push(ended.failed);
            else this.#stats.crashes++;
          }
          thread.credits += m.credits;
          if (m.credits > 0) {
            this.#drain();
            if (this.#queue.size === 0) this.#rebalanceSoon();
          }
        } else if (m.type === 'returned') {
          thread.returning = false;
          thread.credits += m.payloads.length;
          for (const payload of m.payloads) this.#deliver(payload);
        } else if (m.type === 'stopped') {
          answerStop(thread, m.job);
        } else if (m.type === 'closed') {
          void worker.terminate();
        }
      });
    });
  }
}

/** The young generation (MiB) for a thread of `executorsPerWorker` slots: see LocalPoolOptions. */
function defaultYoungGenerationMb(executorsPerWorker: number): number {
  return Math.min(256, Math.max(48, Math.ceil(executorsPerWorker * 0.375)));
}

/** What invoke() and the invocations queued at close are refused with once the pool has closed. */
function poolClosed(): Error {
  return new Error('local pool is closed');
}

function answerStop(thread: Thread, job: string): void {
  for (const resolve of thread.stopping.get(job) ?? []) resolve();
  thread.stopping.delete(job);
}

/** Asks a worker to close its store and exit; terminates it if it has not within two seconds. */
function stopThread(worker: Worker): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 2_000);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    worker.postMessage({ type: 'close' } satisfies ToWorker);
  });
}

/** Small seeded PRNG for reproducible duplicate delivery. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
