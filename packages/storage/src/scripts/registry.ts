// The typed registry of the Lua scripts (src/scripts/<name>-<numberOfKeys>.lua).
//
// Each entry knows its source and SHA1 (embedded at build time by scripts/embed-lua.mjs), its number of
// keys, and how to turn the raw reply into a typed result. Redis replies and the in-memory twins of the
// scripts (memory/scripts.ts) both go through `parseReply`, so the two backends cannot drift apart in how
// a reply is read. Negative return codes are rejections: they map to the one `ScriptRejection` enum and are
// thrown as `ScriptRejected`.
import { ScriptRejected } from '../errors.js';
import { scriptSources } from './sources.generated.js';

/** Names of the scripts. */
export type ScriptName = keyof typeof scriptSources;

/** Every script name, for iteration (e.g. preloading). */
export const scriptNames = Object.keys(scriptSources) as ScriptName[];

/** Outcome codes of `fanIn` (non-negative return codes of fanIn-2.lua). */
export const FanInCode = { Waiting: 0, Holder: 1, HeldByOther: 2 } as const;
export type FanInCode = (typeof FanInCode)[keyof typeof FanInCode];

/** Outcome codes of `fanInHold` (non-negative return codes of fanInHold-3.lua). */
export const FanInHoldCode = { Wait: 0, Won: 1, HeldByOther: 2, Conflict: 3 } as const;
export type FanInHoldCode = (typeof FanInHoldCode)[keyof typeof FanInHoldCode];

/** Outcome codes of `taskBegin` (non-negative return codes of taskBegin-2.lua). */
export const TaskBeginCode = { HeldByOther: 0, Compute: 1, Resume: 2, Done: 3 } as const;
export type TaskBeginCode = (typeof TaskBeginCode)[keyof typeof TaskBeginCode];

/** Outcome codes of the lease scripts (non-negative return codes of lease*.lua). */
export const LeaseCode = { HeldByOther: 0, Done: 1, AlreadyOwner: 2, NotHeld: 3 } as const;
export type LeaseCode = (typeof LeaseCode)[keyof typeof LeaseCode];

export interface FanInResult {
  readonly code: FanInCode;
  /** True when the caller holds the trigger: it must run or invoke the child. Also true on a retry. */
  readonly holdsTrigger: boolean;
  /** Number of distinct parents recorded so far. */
  readonly arrived: number;
  /** The parent index holding the trigger, or null while the set is incomplete. */
  readonly holder: string | null;
  /**
   * With the optional third key (`hold`): every parent but the registered delayed-I/O holder has now
   * arrived, so the caller must wake the holder. Always false without it.
   */
  readonly wakeHolder: boolean;
  /**
   * With the optional fourth key (`inputs`), for the trigger holder: the outputs the parents carried in
   * the fan-in record, by parent index. Undefined otherwise.
   */
  readonly carried?: CarriedInput[];
  /**
   * With the optional lease keys (fifth and sixth), for the trigger holder: the outcome of taking the
   * child's lease in the same step, coded as `taskBegin`'s. Undefined otherwise.
   */
  readonly lease?: TaskBeginCode;
}

/** A parent's output carried in a child's fan-in record: [parent index, value]. */
export type CarriedInput = readonly [parent: number, value: Uint8Array];

export interface ReadInputsResult {
  readonly carried: CarriedInput[];
}

/**
 * The calls of a `fanInBatch`, in order: each as its own `fanIn` call would have ended, its result or its
 * rejection (not thrown: the other calls of the batch stand).
 */
export interface FanInBatchResult {
  readonly results: readonly (FanInResult | ScriptRejected)[];
}

export interface FanInHoldResult {
  readonly code: FanInHoldCode;
  /** Every other parent had arrived: the caller completed the fan-in and must run the child. */
  readonly holdsTrigger: boolean;
  /** Number of distinct parents recorded in the fan-in set. */
  readonly arrived: number;
  /** The registered holder (the caller on Wait), or null. */
  readonly holder: string | null;
  /** With the optional fourth key, on Won: the other parents' carried outputs. */
  readonly carried?: CarriedInput[];
}

export interface TaskBeginResult {
  readonly code: TaskBeginCode;
  /** The caller holds the lease now (Compute or Resume). */
  readonly leased: boolean;
  /** The task's output already exists: skip the compute and redo only the fan-out (Resume). */
  readonly outputExists: boolean;
  /** The lease owner (the caller when leased, the done mark when Done), or null. */
  readonly owner: string | null;
}

export interface LeaseResult {
  readonly code: LeaseCode;
  /** acquire: the caller now holds the lease; renew: extended; release: released. */
  readonly ok: boolean;
  /** The current owner (the caller when ok), or null when nobody holds the lease. */
  readonly owner: string | null;
  /** Remaining lease time in ms (0 when not held; -1 when the key has no expiry). */
  readonly remainingMs: number;
}

export interface WriteOnceResult {
  /** The value was stored by this call. */
  readonly written: boolean;
  /** The key already held a value; nothing was changed. */
  readonly existed: boolean;
}

/** Typed result of each script. */
export interface ScriptResults {
  fanIn: FanInResult;
  fanInBatch: FanInBatchResult;
  fanInHold: FanInHoldResult;
  taskBegin: TaskBeginResult;
  leaseAcquire: LeaseResult;
  leaseRenew: LeaseResult;
  leaseRelease: LeaseResult;
  writeOnce: WriteOnceResult;
  readInputs: ReadInputsResult;
}
export type ScriptResult<N extends ScriptName> = ScriptResults[N];

/** An argument of a script call. Numbers are sent as decimal strings, byte arrays as binary strings. */
export type ScriptArg = string | number | Uint8Array;

/** The raw reply shape every script returns: a flat array whose first item is the code. */
export type RawReply = readonly unknown[];

function asNumber(v: unknown): number {
  return typeof v === 'number' ? v : Number(typeof v === 'string' ? v : String(v));
}

function asBytes(v: unknown): Uint8Array {
  if (v instanceof Uint8Array) return v;
  return new TextEncoder().encode(asText(v));
}

/** A flat HGETALL-style list { parent, value, ... } as carried inputs. */
function asCarried(v: unknown): CarriedInput[] {
  if (!Array.isArray(v)) return [];
  const out: CarriedInput[] = [];
  for (let i = 0; i + 1 < v.length; i += 2) out.push([asNumber(asText(v[i])), asBytes(v[i + 1])]);
  return out;
}

function asText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array)
    return v.byteLength === 0 ? '' : Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf8');
  return v === null || v === undefined || v === false ? '' : String(v);
}

function parseFanIn(r: RawReply): FanInResult {
  const code = asNumber(r[0]) as FanInCode;
  const holder = asText(r[2]);
  return {
    code,
    holdsTrigger: code === FanInCode.Holder,
    arrived: asNumber(r[1]),
    holder: holder || null,
    wakeHolder: asNumber(r[3] ?? 0) === 1,
    ...(r[4] === undefined ? {} : { carried: asCarried(r[4]) }),
    ...(r[5] === undefined ? {} : { lease: asNumber(r[5]) as TaskBeginCode }),
  };
}

/** Reply parsers; `key` (the call's first key) names the key in the rejections a reply carries. */
const parsers: { [N in ScriptName]: (reply: RawReply, key: string) => ScriptResults[N] } = {
  fanIn: parseFanIn,
  fanInBatch: (r, key) => ({
    results: r.slice(1).map((sub) => {
      const reply = Array.isArray(sub) ? (sub as RawReply) : [-3];
      const code = asNumber(reply[0]);
      return code < 0 ? new ScriptRejected('fanIn', key, code, '') : parseFanIn(reply);
    }),
  }),
  fanInHold: (r) => {
    const code = asNumber(r[0]) as FanInHoldCode;
    const holder = asText(r[2]);
    return {
      code,
      holdsTrigger: code === FanInHoldCode.Won,
      arrived: asNumber(r[1]),
      holder: holder || null,
      ...(r[3] === undefined ? {} : { carried: asCarried(r[3]) }),
    };
  },
  taskBegin: (r) => {
    const code = asNumber(r[0]) as TaskBeginCode;
    const owner = asText(r[1]);
    return {
      code,
      leased: code === TaskBeginCode.Compute || code === TaskBeginCode.Resume,
      outputExists: code === TaskBeginCode.Resume,
      owner: owner || null,
    };
  },
  leaseAcquire: (r) => parseLease(r, (c) => c === LeaseCode.Done || c === LeaseCode.AlreadyOwner),
  leaseRenew: (r) => parseLease(r, (c) => c === LeaseCode.Done),
  leaseRelease: (r) => parseLease(r, (c) => c === LeaseCode.Done),
  writeOnce: (r) => {
    const code = asNumber(r[0]);
    return { written: code === 1, existed: code === 0 };
  },
  readInputs: (r) => ({ carried: asCarried(r[1]) }),
};

function parseLease(r: RawReply, isOk: (code: LeaseCode) => boolean): LeaseResult {
  const code = asNumber(r[0]) as LeaseCode;
  const owner = asText(r[1]);
  return { code, ok: isOk(code), owner: owner || null, remainingMs: code === 3 ? 0 : asNumber(r[2] ?? 0) };
}

/** Keys a script may take beyond its required ones (named in its header as optional). */
const optionalKeys: Partial<Record<ScriptName, number>> = {
  fanIn: 4,
  fanInBatch: 2,
  fanInHold: 1,
  writeOnce: 1,
};

/**
 * From how many keys on a script's reply carries stored values (the carried inputs, with the `inputs`
 * key), so that a client must read it as bytes rather than text.
 */
const valuesFromKeys: Partial<Record<ScriptName, number>> = {
  fanIn: 4,
  fanInBatch: 4,
  fanInHold: 4,
  readInputs: 1,
};

/** Static facts about one script. */
export interface ScriptSpec {
  readonly name: ScriptName;
  /** Required keys (the number in the file name). */
  readonly numKeys: number;
  /** Most keys a call may pass (numKeys plus optional ones). */
  readonly maxKeys: number;
  /** A call with at least this many keys replies with stored values (read it as bytes); else Infinity. */
  readonly valuesFromKeys: number;
  readonly source: string;
  readonly sha1: string;
}

const specs = new Map<string, ScriptSpec>(
  Object.entries(scriptSources).map(([name, e]) => [
    name,
    Object.freeze({
      name: name as ScriptName,
      numKeys: e.numKeys,
      maxKeys: e.numKeys + (optionalKeys[name as ScriptName] ?? 0),
      valuesFromKeys: valuesFromKeys[name as ScriptName] ?? Infinity,
      source: e.source,
      sha1: e.sha1,
    }),
  ]),
);

/** The spec of a script by name (throws ScriptRejected for an unknown name passed from untyped code). */
export function scriptSpec(name: ScriptName): ScriptSpec {
  const spec = specs.get(name);
  if (!spec) throw new ScriptRejected(String(name), '-', -3, 'unknown script');
  return spec;
}

/** Turns a raw script reply into its typed result; a negative code is thrown as ScriptRejected. */
export function parseReply<N extends ScriptName>(name: N, key: string, reply: unknown): ScriptResult<N> {
  if (!Array.isArray(reply) || reply.length === 0) {
    throw new ScriptRejected(name, key, -3, `malformed reply ${JSON.stringify(reply)}`);
  }
  const code = asNumber(reply[0]);
  if (code < 0) throw new ScriptRejected(name, key, code, '');
  return parsers[name](reply, key) as ScriptResult<N>;
}
