/**
 * Job events (DESIGN.md §9): what executors push on the job's event stream and the client reads.
 * The client never polls for results: `final` events carry small results inline and name the output
 * key of large ones.
 */
import { packMsg, unpackMsg } from './msgpack.js';

export type SpanKind = 'fetch' | 'compute' | 'store' | 'fanin' | 'invoke' | 'wait';

export interface Span {
  task: number;
  kind: SpanKind;
  /** Epoch milliseconds (fractional). */
  t0: number;
  t1: number;
  bytes: number;
}

/** Counters an executor accumulates and flushes with its progress batches; the client sums them. */
export interface ExecutorCounters {
  /** Tasks whose op ran (a duplicate or a resumed fan-out does not count). */
  tasksExecuted: number;
  /** Tasks recomputed from lineage because an input that was never persisted was needed elsewhere. */
  tasksRecomputed: number;
  bytesStored: number;
  bytesRead: number;
  /** Bytes of outputs consumed here without going through storage (become, clustering, delayed I/O). */
  bytesKeptLocal: number;
  invocations: number;
  /** Invocations dropped because another executor held the task's lease or had finished it. */
  duplicatesDropped: number;
  delayedIoHolds: number;
}

export function emptyCounters(): ExecutorCounters {
  return {
    tasksExecuted: 0,
    tasksRecomputed: 0,
    bytesStored: 0,
    bytesRead: 0,
    bytesKeptLocal: 0,
    invocations: 0,
    duplicatesDropped: 0,
    delayedIoHolds: 0,
  };
}

export type JobEvent =
  | {
      type: 'progress';
      executor: string;
      /** Tasks completed (output durable or consumed, fan-out done). */
      done: number[];
      spans: Span[];
      counters: ExecutorCounters;
    }
  | { type: 'final'; task: number; key: string; value?: Uint8Array; bytes: number }
  /** Every parent of `task` but its delayed-I/O holder has arrived: the holder should fan in now. */
  | { type: 'wake'; task: number }
  | {
      type: 'error';
      task: number;
      key: string;
      name: string;
      code: string;
      message: string;
      stack?: string;
      attempt: number;
    };

export function encodeEvent(event: JobEvent): Uint8Array {
  return packMsg(event);
}

export function decodeEvent(bytes: Uint8Array): JobEvent {
  return unpackMsg(bytes) as JobEvent;
}
