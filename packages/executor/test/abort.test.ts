import { describe, expect, it } from 'vitest';
import { onAbort } from '../src/abort.js';

describe('onAbort', () => {
  it('calls each subscriber once when the signal aborts, except those that unsubscribed', () => {
    const controller = new AbortController();
    const calls: number[] = [];
    const unsubscribe = Array.from({ length: 1000 }, (_, i) =>
      onAbort(controller.signal, () => calls.push(i)),
    );
    for (let i = 0; i < 1000; i += 2) unsubscribe[i]!();
    controller.abort();
    controller.abort();
    expect(calls).toHaveLength(500);
    expect(calls.every((i) => i % 2 === 1)).toBe(true);
    expect(new Set(calls).size).toBe(500);
  });

  it('keeps the subscribers of different signals apart', () => {
    const a = new AbortController();
    const b = new AbortController();
    let fromA = 0;
    let fromB = 0;
    onAbort(a.signal, () => fromA++);
    onAbort(b.signal, () => fromB++);
    a.abort();
    expect([fromA, fromB]).toEqual([1, 0]);
  });
});
