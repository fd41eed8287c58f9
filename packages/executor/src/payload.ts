/**
 * The invocation payload of DESIGN.md §7, as msgpack:
 *   { v, job, start: task indices, plan: inline bytes | absent, inputs: piggybacked outputs,
 *     attempt, deadlineMs, config }
 * The inline budget (`payloadLimitBytes`) is enforced here, by every invoker alike, so a payload that
 * passes on the local backend passes on Lambda.
 */
import { packMsg, unpackMsg } from './msgpack.js';
import { BadPayloadError, PayloadTooLargeError } from './errors.js';
import type { ExecutorOptions } from './options.js';

export const PAYLOAD_VERSION = 1;

/** Crash points that fault injection can stop an executor at. */
export const crashPoints = ['before-compute', 'after-compute', 'after-store', 'mid-fanout'] as const;
export type CrashPoint = (typeof crashPoints)[number];

/** Per-job fault injection, for experiments and tests (local backend). */
export interface FaultConfig {
  /** Crash at these points: each listed point fires for a task with probability `crashRate` (default 1). */
  crashAt?: CrashPoint[];
  /** Probability that a task crashes at one of `crashAt` (or at any point when `crashAt` is absent). */
  crashRate?: number;
  /** Only crash tasks whose key is listed (all tasks when absent). */
  crashTasks?: string[];
  /** Crash only on these attempts (default: only the first, so that a retry completes). */
  crashAttempts?: number[];
  /** Seed for the crash dice, so a run is reproducible. */
  seed?: number;
}

/** Job-wide settings carried by every payload (small). */
export interface JobConfig {
  options?: ExecutorOptions;
  faults?: FaultConfig;
  /** TTL of every key of the job. */
  keyTtlMs: number;
}

export interface InlinePlan {
  header: Uint8Array;
  segments: Uint8Array[];
}

export interface InvocationPayload {
  v: number;
  job: string;
  /** Task indices that are ready to run, in order. */
  start: number[];
  /** The whole plan, when it fits the inline budget; otherwise the executor reads it from storage. */
  plan?: InlinePlan;
  /** Small outputs of parents, piggybacked: [task index, value frame]. */
  inputs: [number, Uint8Array][];
  attempt: number;
  /** Absolute deadline of the job (epoch ms). */
  deadlineMs: number;
  config: JobConfig;
}

export function encodePayload(payload: InvocationPayload, limitBytes: number): Uint8Array {
  const bytes = packMsg(payload);
  if (bytes.byteLength > limitBytes) throw new PayloadTooLargeError(bytes.byteLength, limitBytes);
  return bytes;
}

/** The fields every payload of one job carries alike. */
export type SharedPayloadFields = Omit<InvocationPayload, 'start' | 'inputs' | 'attempt'>;

/**
 * Encodes the payloads of one job. The fields they share (version, job, plan, deadline, config) are encoded
 * once, so each payload costs only its own (start, inputs, attempt): a client invoking 10,000 leaves, or
 * an executor invoking children, does not re-encode the job's config every time. The bytes decode to
 * the same payload as `encodePayload`'s (a msgpack map; its field order carries no meaning).
 */
export class PayloadEncoder {
  /** The shared fields as msgpack map entries, without the map header. */
  readonly #shared: Uint8Array;
  readonly #sharedCount: number;

  constructor(
    shared: SharedPayloadFields,
    readonly limitBytes: number,
  ) {
    const fields = Object.fromEntries(Object.entries(shared).filter(([, v]) => v !== undefined));
    this.#sharedCount = Object.keys(fields).length;
    this.#shared = mapEntries(packMsg(fields), this.#sharedCount);
  }

  /**
   * One payload: the map header, the shared entries, then start, inputs and attempt, written straight
   * into one buffer of the exact size (the client encodes one per leaf, 10,000 for a large fan-out).
   */
  encode(start: number[], inputs: [number, Uint8Array][], attempt: number): Uint8Array {
    const count = this.#sharedCount + 3;
    const headerBytes = count < 16 ? 1 : 3;
    const packedInputs = inputs.length === 0 ? undefined : packMsg(inputs);
    let ownBytes = START_KEY.length + arrayHeaderBytes(start.length) + INPUTS_KEY.length;
    for (const task of start) ownBytes += uintBytes(task);
    ownBytes += (packedInputs?.byteLength ?? 1) + ATTEMPT_KEY.length + uintBytes(attempt);
    const size = headerBytes + this.#shared.byteLength + ownBytes;
    if (size > this.limitBytes) throw new PayloadTooLargeError(size, this.limitBytes);
    const bytes = new Uint8Array(size);
    let at = 0;
    if (count < 16) bytes[at++] = 0x80 | count;
    else {
      bytes[at++] = 0xde;
      bytes[at++] = count >> 8;
      bytes[at++] = count & 0xff;
    }
    bytes.set(this.#shared, at);
    at += this.#shared.byteLength;
    bytes.set(START_KEY, at);
    at = writeArrayHeader(bytes, at + START_KEY.length, start.length);
    for (const task of start) at = writeUint(bytes, at, task);
    bytes.set(INPUTS_KEY, at);
    at += INPUTS_KEY.length;
    if (packedInputs === undefined) bytes[at++] = 0x90;
    else {
      bytes.set(packedInputs, at);
      at += packedInputs.byteLength;
    }
    bytes.set(ATTEMPT_KEY, at);
    writeUint(bytes, at + ATTEMPT_KEY.length, attempt);
    return bytes;
  }
}

const START_KEY = Uint8Array.from([0xa5, ...Buffer.from('start')]);
const INPUTS_KEY = Uint8Array.from([0xa6, ...Buffer.from('inputs')]);
const ATTEMPT_KEY = Uint8Array.from([0xa7, ...Buffer.from('attempt')]);

// Task indices and attempts are non-negative integers below 2^32, written as msgpack unsigned integers
// (positive fixint, uint 8, 16 or 32) under array headers (fixarray, array 16 or array 32).

function uintBytes(n: number): number {
  if (!(Number.isInteger(n) && n >= 0 && n < 2 ** 32))
    throw new RangeError(`not a task index or attempt: ${n}`);
  return n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5;
}

function writeUint(bytes: Uint8Array, at: number, n: number): number {
  if (n < 0x80) {
    bytes[at] = n;
    return at + 1;
  }
  if (n < 0x100) return writeTagged(bytes, at, 0xcc, n, 1);
  return n < 0x10000 ? writeTagged(bytes, at, 0xcd, n, 2) : writeTagged(bytes, at, 0xce, n, 4);
}

function arrayHeaderBytes(n: number): number {
  return n < 16 ? 1 : n < 0x10000 ? 3 : 5;
}

function writeArrayHeader(bytes: Uint8Array, at: number, n: number): number {
  if (n < 16) {
    bytes[at] = 0x90 | n;
    return at + 1;
  }
  return n < 0x10000 ? writeTagged(bytes, at, 0xdc, n, 2) : writeTagged(bytes, at, 0xdd, n, 4);
}

/** A msgpack type byte, then `n` big-endian in `width` bytes; returns the position after them. */
function writeTagged(bytes: Uint8Array, at: number, tag: number, n: number, width: number): number {
  bytes[at] = tag;
  for (let i = width, rest = n; i >= 1; i--, rest >>>= 8) bytes[at + i] = rest & 0xff;
  return at + 1 + width;
}

/** The entries of an encoded msgpack map of `count` entries, without its header. */
function mapEntries(encoded: Uint8Array, count: number): Uint8Array {
  const headerBytes = count < 16 ? 1 : count < 0x10000 ? 3 : 5;
  return encoded.subarray(headerBytes);
}

export function decodePayload(bytes: Uint8Array): InvocationPayload {
  let raw: unknown;
  try {
    raw = unpackMsg(bytes);
  } catch (e) {
    throw new BadPayloadError(`not msgpack (${(e as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null) throw new BadPayloadError('not an object');
  const p = raw as Partial<InvocationPayload>;
  if (p.v !== PAYLOAD_VERSION)
    throw new BadPayloadError(`version ${String(p.v)}, expected ${PAYLOAD_VERSION}`);
  if (typeof p.job !== 'string' || p.job.length === 0) throw new BadPayloadError('missing job id');
  if (!Array.isArray(p.start) || !p.start.every((t) => Number.isInteger(t) && t >= 0)) {
    throw new BadPayloadError('start must be a list of task indices');
  }
  if (!Array.isArray(p.inputs)) throw new BadPayloadError('inputs must be a list');
  if (!Number.isInteger(p.attempt) || p.attempt! < 1)
    throw new BadPayloadError('attempt must be a positive integer');
  if (typeof p.deadlineMs !== 'number') throw new BadPayloadError('missing deadlineMs');
  if (typeof p.config !== 'object' || p.config === null || typeof p.config.keyTtlMs !== 'number') {
    throw new BadPayloadError('missing job config');
  }
  return p as InvocationPayload;
}
