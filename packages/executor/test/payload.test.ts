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

  it("reads a job's later payloads by their own fields alone, and every other payload in full", () => {
    const { start, inputs, attempt, ...shared } = payload;
    void start;
    void inputs;
    void attempt;
    const a = new PayloadEncoder({ ...shared, job: 'job-a' }, 1 << 20);
    const b = new PayloadEncoder({ ...shared, job: 'job-b', config: { keyTtlMs: 7000 } }, 1 << 20);
    // Jobs alternate; each payload decodes to its own job, start list and attempt.
    for (let i = 0; i < 6; i++) {
      const [encoder, job] = i % 2 === 0 ? [a, 'job-a'] : [b, 'job-b'];
      const back = decodePayload(encoder.encode([i, 300 + i], [], i + 1));
      expect(back).toEqual({
        ...(i % 2 === 0 ? { ...shared, job } : { ...shared, job, config: { keyTtlMs: 7000 } }),
        start: [i, 300 + i],
        inputs: [],
        attempt: i + 1,
      });
    }
    // The shared fields are one frozen object per job.
    const first = decodePayload(a.encode([1], [], 1));
    const second = decodePayload(a.encode([2], [], 1));
    expect(second.config).toBe(first.config);
    expect(Object.isFrozen(first.config.options)).toBe(true);
    // Piggybacked inputs are read in full, with the same prefix.
    const carried = decodePayload(a.encode([3], [[7, Uint8Array.from([5, 6])]], 2));
    expect(carried.inputs.map(([t, f]) => [t, Array.from(f)])).toEqual([[7, [5, 6]]]);
    expect(carried).toMatchObject({ job: 'job-a', start: [3], attempt: 2 });
    // A known prefix with a bad or cut tail is still refused.
    expect(() => decodePayload(a.encode([1], [], 0))).toThrow(/attempt/);
    const whole = a.encode([1, 2], [], 1);
    expect(() => decodePayload(whole.subarray(0, whole.byteLength - 1))).toThrow(
      expect.objectContaining({ code: 'BAD_PAYLOAD' }),
    );
    expect(() => decodePayload(Uint8Array.from([...whole, 0]))).toThrow(
      expect.objectContaining({ code: 'BAD_PAYLOAD' }),
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
