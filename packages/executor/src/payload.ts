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

  /** The bytes every payload of this encoder starts with: the map header and the shared entries. */
  get prefix(): Uint8Array {
    const count = this.#sharedCount + OWN_FIELDS;
    const header = count < 16 ? 1 : 3;
    const bytes = new Uint8Array(header + this.#shared.byteLength);
    writeMapHeader(bytes, count);
    bytes.set(this.#shared, header);
    return bytes;
  }

  /**
   * One payload: the map header, the shared entries, then start, inputs and attempt, written straight
   * into one buffer of the exact size (the client encodes one per leaf, 10,000 for a large fan-out).
   */
  encode(start: number[], inputs: [number, Uint8Array][], attempt: number): Uint8Array {
    const count = this.#sharedCount + OWN_FIELDS;
    const headerBytes = count < 16 ? 1 : 3;
    const packedInputs = inputs.length === 0 ? undefined : packMsg(inputs);
    let ownBytes = START_KEY.length + arrayHeaderBytes(start.length) + INPUTS_KEY.length;
    for (const task of start) ownBytes += uintBytes(task);
    ownBytes += (packedInputs?.byteLength ?? 1) + ATTEMPT_KEY.length + uintBytes(attempt);
    const size = headerBytes + this.#shared.byteLength + ownBytes;
    if (size > this.limitBytes) throw new PayloadTooLargeError(size, this.limitBytes);
    const bytes = new Uint8Array(size);
    let at = writeMapHeader(bytes, count);
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

/** start, inputs, attempt: the fields each payload has of its own, written after the shared ones. */
const OWN_FIELDS = 3;
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

/** A msgpack map header for `count` (< 2^16) entries (fixmap or map 16); returns the position after it. */
function writeMapHeader(bytes: Uint8Array, count: number): number {
  if (count < 16) {
    bytes[0] = 0x80 | count;
    return 1;
  }
  bytes[0] = 0xde;
  bytes[1] = count >> 8;
  bytes[2] = count & 0xff;
  return 3;
}

/** The entries of an encoded msgpack map of `count` entries, without its header. */
function mapEntries(encoded: Uint8Array, count: number): Uint8Array {
  const headerBytes = count < 16 ? 1 : count < 0x10000 ? 3 : 5;
  return encoded.subarray(headerBytes);
}

/**
 * The shared fields of recent jobs, each with the bytes its payloads start with (see PayloadEncoder.prefix).
 * A host decodes every payload of the jobs it runs — 5,000 leaf payloads per worker thread in Figure 13's
 * graph — and a job's payloads repeat the same shared bytes: a payload that starts with a remembered
 * prefix has only its own fields read, by hand (msgpack-decoding all of it cost ~2 µs and ~1.3 KB of
 * garbage, most of it the job id and the config's field names). A payload laid out any other way, or
 * whose own fields are not exactly as PayloadEncoder writes them, is decoded in full. The shared fields
 * are frozen: every payload of the job refers to the same objects.
 */
const knownShared: { prefix: Uint8Array; fields: SharedPayloadFields }[] = [];
/** Jobs remembered; the most recently used first. */
const KNOWN_SHARED_JOBS = 4;

/** The last job whose payloads were not laid out as PayloadEncoder's: not looked at again. */
let unmatchedJob = '';

export function decodePayload(bytes: Uint8Array): InvocationPayload {
  for (let i = 0; i < knownShared.length; i++) {
    const known = knownShared[i]!;
    if (!hasAt(bytes, 0, known.prefix)) continue;
    const payload = readOwnFields(bytes, known.prefix.byteLength, known.fields);
    // A known job's payload with fields of its own that are read in full (piggybacked inputs).
    if (payload === undefined) return decodeInFull(bytes);
    if (i > 0) knownShared.unshift(...knownShared.splice(i, 1));
    return payload;
  }
  const payload = decodeInFull(bytes);
  if (payload.job !== unmatchedJob) rememberShared(bytes, payload);
  return payload;
}

function decodeInFull(bytes: Uint8Array): InvocationPayload {
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

/** Remembers the payload's shared fields when its bytes begin as PayloadEncoder lays a payload out. */
function rememberShared(bytes: Uint8Array, payload: InvocationPayload): void {
  const { v, job, plan, deadlineMs, config } = payload;
  const fields: SharedPayloadFields =
    plan === undefined ? { v, job, deadlineMs, config } : { v, job, plan, deadlineMs, config };
  const prefix = new PayloadEncoder(fields, Infinity).prefix;
  if (!hasAt(bytes, 0, prefix)) {
    unmatchedJob = job;
    return;
  }
  deepFreeze(config);
  knownShared.unshift({ prefix, fields });
  if (knownShared.length > KNOWN_SHARED_JOBS) knownShared.pop();
}

/**
 * The payload whose shared fields are `shared` and whose own fields start at `at`: start, inputs (only an
 * empty list is read here), attempt, exactly as PayloadEncoder writes them and ending with the bytes.
 * Undefined for anything else, which the caller then decodes in full.
 */
function readOwnFields(
  bytes: Uint8Array,
  at: number,
  shared: SharedPayloadFields,
): InvocationPayload | undefined {
  const end = bytes.byteLength;
  if (!hasAt(bytes, at, START_KEY)) return undefined;
  at += START_KEY.length;
  const head = bytes[at];
  let count: number;
  if (head === undefined) return undefined;
  if ((head & 0xf0) === 0x90) {
    count = head & 0x0f;
    at += 1;
  } else if (head === 0xdc || head === 0xdd) {
    const width = head === 0xdc ? 2 : 4;
    if (at + 1 + width > end) return undefined;
    count = readBigEndian(bytes, at + 1, width);
    at += 1 + width;
  } else return undefined;
  const start = new Array<number>(count);
  for (let i = 0; i < count; i++) {
    at = readUint(bytes, at);
    if (at < 0) return undefined;
    start[i] = lastUint;
  }
  if (!hasAt(bytes, at, INPUTS_KEY) || bytes[at + INPUTS_KEY.length] !== 0x90) return undefined;
  at += INPUTS_KEY.length + 1;
  if (!hasAt(bytes, at, ATTEMPT_KEY)) return undefined;
  at = readUint(bytes, at + ATTEMPT_KEY.length);
  if (at !== end || lastUint < 1) return undefined;
  const payload: InvocationPayload = {
    v: shared.v,
    job: shared.job,
    deadlineMs: shared.deadlineMs,
    config: shared.config,
    start,
    inputs: [],
    attempt: lastUint,
  };
  if (shared.plan !== undefined) payload.plan = shared.plan;
  return payload;
}

/** Whether `bytes` holds `expected` at `at`. */
function hasAt(bytes: Uint8Array, at: number, expected: Uint8Array): boolean {
  if (at + expected.length > bytes.byteLength) return false;
  for (let i = 0; i < expected.length; i++) if (bytes[at + i] !== expected[i]) return false;
  return true;
}

/** The value read by the last readUint. */
let lastUint = 0;

/** Reads a msgpack unsigned integer as writeUint writes it into lastUint; the position after it, or -1. */
function readUint(bytes: Uint8Array, at: number): number {
  const tag = bytes[at];
  if (tag === undefined) return -1;
  if (tag < 0x80) {
    lastUint = tag;
    return at + 1;
  }
  const width = tag === 0xcc ? 1 : tag === 0xcd ? 2 : tag === 0xce ? 4 : 0;
  if (width === 0 || at + 1 + width > bytes.byteLength) return -1;
  lastUint = readBigEndian(bytes, at + 1, width);
  return at + 1 + width;
}

function readBigEndian(bytes: Uint8Array, at: number, width: number): number {
  let n = 0;
  for (let i = 0; i < width; i++) n = n * 256 + bytes[at + i]!;
  return n;
}

function deepFreeze(value: unknown): void {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value) || Object.isFrozen(value))
    return;
  Object.freeze(value);
  for (const v of Object.values(value)) deepFreeze(v);
}
