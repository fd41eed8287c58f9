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

/**
 * Events are msgpack. A progress event carries a span per step of every task its host ran in the last
 * flush interval (thousands per job), so its spans and done list travel as columns of raw little-endian
 * bytes — a msgpack map per span costs ~10× more to encode and decode. The decoded event is the same
 * `JobEvent`.
 */
export function encodeEvent(event: JobEvent): Uint8Array {
  if (event.type !== 'progress') return packMsg(event);
  return packMsg({ ...event, done: packTasks(event.done), spans: packSpans(event.spans) });
}

export function decodeEvent(bytes: Uint8Array): JobEvent {
  const event = decodeEventKeepingSpans(bytes);
  return event.type === 'progress' ? { ...event, spans: event.spans.unpack() } : event;
}

/**
 * The spans of one progress event as they travel: columns of raw bytes (see encodeEvent), unpacked into
 * Span objects only when asked. A reader that keeps spans for later (the client keeps a job's ~20,000
 * spans for its report) holds ~29 bytes per span this way instead of an object each.
 */
export class SpanColumns {
  readonly length: number;

  constructor(readonly bytes: Uint8Array) {
    if (bytes.byteLength % SPAN_BYTES !== 0)
      throw new RangeError(`span columns of ${bytes.byteLength} bytes: not a multiple of ${SPAN_BYTES}`);
    this.length = bytes.byteLength / SPAN_BYTES;
  }

  unpack(): Span[] {
    return unpackSpans(this.bytes);
  }
}

type ProgressEvent = Extract<JobEvent, { type: 'progress' }>;

/** A decoded event whose spans, if it is a progress event, are still columns. */
export type EventKeepingSpans =
  Exclude<JobEvent, ProgressEvent> | (Omit<ProgressEvent, 'spans'> & { spans: SpanColumns });

/** Decodes an event as decodeEvent does, but leaves a progress event's spans packed (see SpanColumns). */
export function decodeEventKeepingSpans(bytes: Uint8Array): EventKeepingSpans {
  const event = unpackMsg(bytes) as JobEvent;
  if (event.type !== 'progress') return event;
  const wire = event as unknown as WireProgress;
  return { ...wire, done: unpackTasks(wire.done), spans: new SpanColumns(wire.spans) };
}

interface WireProgress {
  type: 'progress';
  executor: string;
  done: Uint8Array;
  spans: Uint8Array;
  counters: ExecutorCounters;
}

const SPAN_KINDS: readonly SpanKind[] = ['fetch', 'compute', 'store', 'fanin', 'invoke', 'wait'];
/** Bytes per span: t0, t1, bytes (f64), task (u32), kind (u8), each in its own column. */
const SPAN_BYTES = 8 + 8 + 8 + 4 + 1;

function packTasks(tasks: readonly number[]): Uint8Array {
  const out = new Uint8Array(4 * tasks.length);
  const view = new DataView(out.buffer);
  tasks.forEach((t, i) => view.setUint32(4 * i, t, true));
  return out;
}

function unpackTasks(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.byteLength >> 2 }, (_, i) => view.getUint32(4 * i, true));
}

function packSpans(spans: readonly Span[]): Uint8Array {
  const n = spans.length;
  const out = new Uint8Array(SPAN_BYTES * n);
  const view = new DataView(out.buffer);
  spans.forEach((s, i) => {
    view.setFloat64(8 * i, s.t0, true);
    view.setFloat64(8 * (n + i), s.t1, true);
    view.setFloat64(8 * (2 * n + i), s.bytes, true);
    view.setUint32(24 * n + 4 * i, s.task, true);
    view.setUint8(28 * n + i, SPAN_KINDS.indexOf(s.kind));
  });
  return out;
}

function unpackSpans(bytes: Uint8Array): Span[] {
  const n = bytes.byteLength / SPAN_BYTES;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: n }, (_, i) => ({
    task: view.getUint32(24 * n + 4 * i, true),
    kind: SPAN_KINDS[view.getUint8(28 * n + i)]!,
    t0: view.getFloat64(8 * i, true),
    t1: view.getFloat64(8 * (n + i), true),
    bytes: view.getFloat64(8 * (2 * n + i), true),
  }));
}
