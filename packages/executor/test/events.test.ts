import { describe, expect, it } from 'vitest';
import {
  decodeEvent,
  decodeEventKeepingSpans,
  emptyCounters,
  encodeEvent,
  type JobEvent,
  type Span,
  type SpanKind,
} from '../src/events.js';

describe('job events', () => {
  it('round-trips a progress event: every span field, every kind, the done list and the counters', () => {
    const kinds: SpanKind[] = ['fetch', 'compute', 'store', 'fanin', 'invoke', 'wait'];
    const spans: Span[] = Array.from({ length: 500 }, (_, i) => ({
      task: i * 9_973,
      kind: kinds[i % kinds.length]!,
      t0: 1_795_790_226_954.491 + i / 7,
      t1: 1_795_790_226_954.491 + i / 7 + 0.125,
      bytes: i % 3 === 0 ? 0 : 2 ** 40 + i,
    }));
    const counters = { ...emptyCounters(), tasksExecuted: 500, bytesStored: 12_345 };
    const event: JobEvent = { type: 'progress', executor: 'w1', done: [0, 7, 2 ** 32 - 1], spans, counters };
    expect(decodeEvent(encodeEvent(event))).toEqual(event);
    const empty: JobEvent = {
      type: 'progress',
      executor: 'w0',
      done: [],
      spans: [],
      counters: emptyCounters(),
    };
    expect(decodeEvent(encodeEvent(empty))).toEqual(empty);
  });

  it('can leave the spans of a progress event packed, to unpack them later', () => {
    const spans: Span[] = [
      { task: 1, kind: 'compute', t0: 10.5, t1: 110.75, bytes: 9 },
      { task: 2, kind: 'fanin', t0: 111, t1: 113.5, bytes: 0 },
    ];
    const event: JobEvent = {
      type: 'progress',
      executor: 'w3',
      done: [1, 2],
      spans,
      counters: emptyCounters(),
    };
    const kept = decodeEventKeepingSpans(encodeEvent(event));
    if (kept.type !== 'progress') throw new Error('expected a progress event');
    expect(kept.spans.length).toBe(2);
    expect(kept.done).toEqual([1, 2]);
    expect(kept.spans.unpack()).toEqual(spans);
    const final: JobEvent = { type: 'final', task: 3, key: 'total', bytes: 0 };
    expect(decodeEventKeepingSpans(encodeEvent(final))).toEqual(final);
  });

  it('round-trips the other events as they are', () => {
    const events: JobEvent[] = [
      { type: 'final', task: 3, key: 'total', value: Uint8Array.from([1, 2, 3]), bytes: 3 },
      { type: 'wake', task: 9 },
    ];
    for (const e of events) expect(decodeEvent(encodeEvent(e))).toEqual(e);
  });

  it('decodes spans from a buffer at any offset (storage may hand back unaligned views)', () => {
    const event: JobEvent = {
      type: 'progress',
      executor: 'w0',
      done: [5],
      spans: [{ task: 5, kind: 'compute', t0: 1.5, t1: 2.25, bytes: 8 }],
      counters: emptyCounters(),
    };
    const bytes = encodeEvent(event);
    const shifted = new Uint8Array(bytes.byteLength + 3);
    shifted.set(bytes, 3);
    expect(decodeEvent(shifted.subarray(3))).toEqual(event);
  });
});
