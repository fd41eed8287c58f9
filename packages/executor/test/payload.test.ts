import { describe, expect, it } from 'vitest';
import { encode } from '@msgpack/msgpack';
import {
  decodePayload,
  encodePayload,
  PAYLOAD_VERSION,
  PayloadEncoder,
  type InvocationPayload,
} from '../src/payload.js';

const payload: InvocationPayload = {
  v: PAYLOAD_VERSION,
  job: 'j1',
  start: [3, 4],
  inputs: [[1, Uint8Array.from([1, 2, 3])]],
  attempt: 1,
  deadlineMs: Date.now() + 1000,
  config: { keyTtlMs: 5000, options: { clustering: false } },
};

describe('invocation payload', () => {
  it('round-trips through msgpack', () => {
    const back = decodePayload(encodePayload(payload, 1 << 20));
    expect(back.start).toEqual([3, 4]);
    expect(Array.from(back.inputs[0]![1])).toEqual([1, 2, 3]);
    expect(back.config.options?.clustering).toBe(false);
  });

  it('enforces the inline budget with a typed error', () => {
    const big = { ...payload, inputs: [[1, new Uint8Array(2000)]] as [number, Uint8Array][] };
    expect(() => encodePayload(big, 1000)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', limitBytes: 1000 }),
    );
  });

  it("encodes a job's payloads from its shared fields to the same payload, under the same budget", () => {
    const { start, inputs, attempt, ...shared } = payload;
    const encoder = new PayloadEncoder(shared, 1 << 20);
    const bytes = encoder.encode(start, inputs, attempt);
    expect(decodePayload(bytes)).toEqual(decodePayload(encodePayload(payload, 1 << 20)));
    expect(bytes.byteLength).toBe(encodePayload(payload, 1 << 20).byteLength);
    // Each payload has its own start, inputs and attempt; an inline plan is shared.
    const plan = { header: Uint8Array.from([9, 8]), segments: [Uint8Array.from([7])] };
    const withPlan = new PayloadEncoder({ ...shared, plan }, 1 << 20);
    const back = decodePayload(withPlan.encode([5], [], 2));
    expect(back).toMatchObject({ start: [5], inputs: [], attempt: 2, job: 'j1' });
    expect(Array.from(back.plan!.header)).toEqual([9, 8]);
    // Task indices and attempts of every msgpack width, and a long start list, decode as given.
    const indices = [0, 127, 128, 255, 256, 65_535, 65_536, 2 ** 32 - 1];
    for (const i of indices)
      expect(decodePayload(encoder.encode([i], [], i + 1 < 2 ** 32 ? i + 1 : 1)).start).toEqual([i]);
    const long = Array.from({ length: 70_000 }, (_, i) => i * 7);
    expect(decodePayload(new PayloadEncoder(shared, 1 << 22).encode(long, [], 300)).start).toEqual(long);
    expect(decodePayload(encoder.encode([1, 2], [], 70_000)).attempt).toBe(70_000);
    expect(() => encoder.encode([-1], [], 1)).toThrow(RangeError);
    // A field left undefined is not encoded, as with encodePayload.
    expect(
      decodePayload(new PayloadEncoder({ ...shared, plan: undefined }, 1 << 20).encode([1], [], 1)),
    ).not.toHaveProperty('plan');
    expect(() => new PayloadEncoder(shared, 100).encode([1], [[1, new Uint8Array(200)]], 1)).toThrow(
      expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE', limitBytes: 100 }),
    );
  });

  it('rejects malformed payloads', () => {
    expect(() => decodePayload(Uint8Array.from([0xc1]))).toThrow(
      expect.objectContaining({ code: 'BAD_PAYLOAD' }),
    );
    expect(() => decodePayload(encode({ ...payload, v: 99 }))).toThrow(/version 99/);
    expect(() => decodePayload(encode({ ...payload, start: [-1] }))).toThrow(/task indices/);
    expect(() => decodePayload(encode({ ...payload, attempt: 0 }))).toThrow(/attempt/);
    expect(() => decodePayload(encode({ ...payload, config: undefined }))).toThrow(/config/);
  });
});
