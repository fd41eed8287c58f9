/** Messages between the local pool (main thread) and its worker threads. */
import type { MessagePort } from 'node:worker_threads';
import type { ExecutorCounters } from '../events.js';
import type { ExecutorOptions } from '../options.js';

export interface WorkerInit {
  workerIndex: number;
  /** Executors running at once in this thread (an executor waiting on delayed I/O does not count). */
  executorsPerWorker: number;
  /** Redis URL(s) to open, or absent when a memory-store port is transferred. */
  storeUrl?: string;
  storePort?: MessagePort;
  options?: ExecutorOptions;
}

export type ToWorker = { type: 'invoke'; payload: Uint8Array } | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'invoke'; payload: Uint8Array }
  | { type: 'ended'; job: string; crashed?: string; counters: ExecutorCounters }
  | { type: 'failed'; message: string; stack?: string }
  | { type: 'closed' };
