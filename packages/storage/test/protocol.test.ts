// The wire encoding of the memory store's port: what toWire makes, fromWire undoes, whatever the value;
// and a store reached through a real MessagePort gets back exactly the strings and bytes it was given.
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryStore, connectMemoryStore, keys } from '../src/index.js';
import { INLINE_BYTES_MAX, fromWire, toWire } from '../src/memory/protocol.js';

const roundTrip = (v: unknown): unknown => fromWire(structuredClone(toWire(v)));

describe('memory store wire encoding', () => {
  it('sends small byte strings as strings and larger ones as typed arrays, and restores both', () => {
    const small = Uint8Array.from({ length: INLINE_BYTES_MAX }, (_, i) => (i * 97) & 0xff);
    const large = Uint8Array.from({ length: INLINE_BYTES_MAX + 1 }, (_, i) => 255 - i);
    expect(typeof toWire(small)).toBe('string');
    expect(toWire(large)).toBe(large);
    expect(roundTrip(small)).toEqual(small);
    expect(roundTrip(large)).toEqual(large);
    expect(roundTrip(new Uint8Array(0))).toEqual(new Uint8Array(0));
  });

  it('keeps strings that start with the marks apart from byte strings', () => {
    for (const s of ['', 'owner', '\u0001', '\u0002', '\u0001abc', '\u0002\u0001x', 'é\u0001', '\u{1F600}']) {
      expect(roundTrip(s)).toBe(s);
    }
    expect(roundTrip(Uint8Array.of(2, 1))).toEqual(Uint8Array.of(2, 1));
  });

  it('maps nested arrays and leaves numbers, null, booleans and objects as they are', () => {
    const value = [1, null, true, ['\u0001k', Uint8Array.of(9, 8)], { id: 'x' }, [[Uint8Array.of(7)]]];
    expect(roundTrip(value)).toEqual(value);
  });

  it('does not change the arrays it is given', () => {
    const bytes = Uint8Array.of(1, 2, 3);
    const list = ['\u0002', bytes];
    toWire(list);
    expect(list[0]).toBe('\u0002');
    expect(list[1]).toBe(bytes);
  });
});

describe('MemoryStoreClient over a port', () => {
  const host = new MemoryStore();
  const store = connectMemoryStore(host.connectPort());
  afterAll(async () => {
    await store.close();
    await host.close();
  });

  it('stores and returns script arguments and values that look like wire marks, byte for byte', async () => {
    const lease = keys.lease('wire', 1);
    const owner = '\u0001not-bytes';
    const acquired = await store.runScript('leaseAcquire', [lease], [owner, 60_000]);
    expect(acquired.ok).toBe(true);
    expect(acquired.owner).toBe(owner);
    expect(new TextDecoder().decode((await store.get(lease))!)).toBe(owner);

    const out = keys.out('wire', 2);
    const value = Uint8Array.of(1, 2, 0, 255, 1);
    expect(await store.setIfAbsent(out, value, 60_000)).toBe(true);
    expect(await store.get(out)).toEqual(value);
    expect(await store.mget([out, keys.out('wire', 3)])).toEqual([value, null]);
  });
});
