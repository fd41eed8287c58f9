/**
 * Messages between the local pool (main thread) and its worker threads. Invocations and their endings
 * travel in batches — one message per turn of the sender's event loop — because a message costs far more
 * than the work of routing it.
 */
import type { MessagePort } from 'node:worker_threads';

export interface WorkerInit {
  workerIndex: number;
  /** Executors running at once in this thread (an executor waiting on delayed I/O does not count). */
  executorsPerWorker: number;
  /** Redis URL(s) to open, or absent when a memory-store port is transferred. */
  storeUrl?: string;
  storePort?: MessagePort;
  /** Progress events are flushed at least this often. */
  eventFlushMs: number;
}

export type ToWorker =
  | { type: 'invoke'; payloads: Uint8Array[] }
  /** A job's plan, sent before its invocations (see Invoker.sharePlan): the thread caches it. */
  | { type: 'plan'; job: string; header: Uint8Array; segments: Uint8Array[] }
  /** The job is over (cancelled, failed, ended): drop its invocations, write nothing more for it. */
  | { type: 'stop'; job: string }
  /** Hand back up to `max` invocations that have not started (the pool gives them to an idle thread). */
  | { type: 'return'; max: number }
  | { type: 'close' };

/** An invocation that did not end normally: the executor died at a crash point, or it failed. */
export type Ended = { crashed: string } | { failed: { message: string; stack?: string } };

/**
 * `credits`: invocations the thread can take on now beyond what it was sent, as a change since its last
 * batch: +1 when an executor frees its slot (it ended, or it waits on delayed I/O), −1 when a waiting
 * executor takes a slot back. The pool sends a thread work only against credits (it starts with
 * executorsPerWorker + a prefetch allowance) and keeps the rest in its own queue.
 */
export type FromWorker =
  | { type: 'ready' }
  | { type: 'batch'; invokes: Uint8Array[]; ended: Ended[]; credits: number }
  /** Answers `stop`: no executor of the job runs in this thread any more, so none will write for it. */
  | { type: 'stopped'; job: string }
  /** Answers `return`: invocations taken back from the thread's queue, never started. */
  | { type: 'returned'; payloads: Uint8Array[] }
  | { type: 'closed' };
