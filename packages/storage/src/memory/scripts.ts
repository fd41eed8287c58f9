// The in-memory twins of src/scripts/*.lua. Each takes the same KEYS and ARGV and returns the same raw
// reply array as its Lua script, so scripts/registry.ts parses both the same way and the conformance suite
// holds both to the same semantics. They run synchronously on the store's thread, hence atomically.
// Read the .lua headers for KEYS, ARGV and return codes; comments here only note where JS differs.
import type { ScriptName } from '../scripts/registry.js';
import type { HashEntry, Keyspace } from './keyspace.js';

export type ScriptArgValue = string | number | Uint8Array;
type Twin = (
  ks: Keyspace,
  keys: readonly string[],
  argv: readonly ScriptArgValue[],
  now: number,
) => unknown[];

const encoder = new TextEncoder();

/**
 * A string as the UTF-8 bytes Redis would keep. The strings the scripts store (owner tokens, parent
 * indices, done marks) are short and ASCII: copied here directly, which costs far less than a call into
 * TextEncoder; anything else goes through it.
 */
export function utf8(s: string): Uint8Array {
  const bytes = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(s);
    bytes[i] = c;
  }
  return bytes;
}
const decoder = new TextDecoder();

function text(v: ScriptArgValue | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return decoder.decode(v);
}

/** Lua `tonumber` on an argument: NaN where Lua gives nil (JS's Number('') is 0, Lua's tonumber is nil). */
function luaNumber(v: ScriptArgValue | undefined): number {
  const s = text(v).trim();
  return s === '' ? NaN : Number(s);
}

function isPositiveInt(n: number): boolean {
  return Number.isInteger(n) && n >= 1;
}

function stringValue(ks: Keyspace, key: string, now: number): string | null | false {
  const entry = ks.get(key, now);
  if (entry === undefined) return null;
  if (entry.type !== 'string') return false;
  return typeof entry.value === 'string' ? entry.value : decoder.decode(entry.value);
}

/** Parent, in-degree and TTL as fanIn / fanInHold check them; a negative code when invalid. */
function fanInArgs(
  argv: readonly ScriptArgValue[],
  minInDegree: number,
): { parent: string; inDegree: number; ttl: number } | number {
  const parent = text(argv[0]);
  if (!(parent === '0' || /^[1-9][0-9]*$/.test(parent))) return -3;
  const inDegree = luaNumber(argv[1]);
  if (!Number.isInteger(inDegree) || inDegree < minInDegree) return -2;
  const ttl = luaNumber(argv[2]);
  if (!isPositiveInt(ttl)) return -3;
  return { parent, inDegree, ttl };
}

/** The flat `{ parent, value, ... }` list of a carried-inputs hash, as HGETALL returns it. */
function carriedList(ks: Keyspace, key: string, now: number): unknown[] {
  const entry = ks.get(key, now);
  if (entry === undefined || entry.type !== 'hash') return [];
  const flat: unknown[] = [];
  for (const [field, value] of entry.fields) flat.push(field, value);
  return flat;
}

const fanIn: Twin = (ks, keys, argv, now) => {
  const [inKey, triggerKey, holdKey, inputsKey, leaseKey, outKey] = keys;
  const args = fanInArgs(argv, 1);
  if (typeof args === 'number') return [args, 0, ''];
  const { parent, inDegree, ttl } = args;
  if (keys.length === 5) return [-3, 0, ''];
  const lease = leaseKey === undefined ? undefined : taskBeginArgs(argv.slice(4, 7));
  if (lease === null) return [-3, 0, ''];
  const firstListed = lease !== undefined ? 7 : inputsKey === undefined ? 3 : 4;
  const listed = argv.length - firstListed;
  if (listed > 0) {
    if (listed !== inDegree) return [-2, 0, ''];
    if (!argv.slice(firstListed).some((p) => text(p) === parent)) return [-1, 0, ''];
  } else if (Number(parent) >= inDegree) {
    return [-1, 0, ''];
  }
  // As the Lua script: only the keys this call reads or writes must hold their type, and a refused call
  // writes nothing.
  const set = ks.get(inKey as string, now);
  if (set !== undefined && set.type !== 'set') return [-4, 0, ''];
  const value = argv[3];
  const carries = inputsKey !== undefined && value !== undefined && value !== '';
  const members = set?.members ?? new Set<string>();
  const arrivedNow = members.has(parent) ? members.size : members.size + 1;
  // The inputs hash is written by a carrier and read by the trigger holder.
  const inputs = inputsKey === undefined ? undefined : ks.get(inputsKey, now);
  if (inputs !== undefined && inputs.type !== 'hash' && (carries || arrivedNow >= inDegree))
    return [-4, 0, ''];
  let holdValue: string | null = null;
  let trigger: ReturnType<Keyspace['get']> = undefined;
  if (arrivedNow < inDegree) {
    const held = holdKey !== undefined && arrivedNow === inDegree - 1 ? stringValue(ks, holdKey, now) : null;
    if (held === false) return [-4, 0, ''];
    holdValue = held;
  } else {
    trigger = ks.get(triggerKey as string, now);
    if (trigger !== undefined && trigger.type !== 'string') return [-4, 0, ''];
    if (leaseKey !== undefined && stringValue(ks, leaseKey, now) === false) return [-4, 0, ''];
  }

  members.add(parent);
  // The set's TTL is set when it is created, as in the Lua script.
  if (set === undefined) ks.put(inKey as string, { type: 'set', members, expiresAt: now + ttl });
  if (carries) {
    const fields = (inputs as HashEntry | undefined)?.fields ?? new Map<string, Uint8Array>();
    fields.set(parent, value instanceof Uint8Array ? value : utf8(String(value)));
    ks.put(inputsKey as string, { type: 'hash', fields, expiresAt: now + ttl });
  }
  const arrived = members.size;
  if (arrived < inDegree) {
    const wake = holdValue !== null && arrived === inDegree - 1 && !members.has(holdValue) ? 1 : 0;
    return [0, arrived, '', wake];
  }
  if (trigger === undefined) {
    ks.put(triggerKey as string, { type: 'string', value: parent, expiresAt: now + ttl });
  }
  const holder = stringValue(ks, triggerKey as string, now) || '';
  if (holder === parent && lease !== undefined) {
    const leaseCode = takeLease(ks, leaseKey as string, outKey as string, lease, now);
    return [1, arrived, holder, 0, carriedList(ks, inputsKey as string, now), leaseCode];
  }
  if (holder === parent && inputsKey !== undefined)
    return [1, arrived, holder, 0, carriedList(ks, inputsKey, now)];
  return [holder === parent ? 1 : 2, arrived, holder, 0];
};

const fanInHold: Twin = (ks, [inKey, triggerKey, holdKey, inputsKey], argv, now) => {
  const args = fanInArgs(argv, 2);
  if (typeof args === 'number') return [args, 0, ''];
  const { parent, inDegree, ttl } = args;
  if (Number(parent) >= inDegree) return [-1, 0, ''];
  const set = ks.get(inKey as string, now);
  if (set !== undefined && set.type !== 'set') return [-4, 0, ''];
  const trigger = ks.get(triggerKey as string, now);
  if (trigger !== undefined && trigger.type !== 'string') return [-4, 0, ''];
  const current = stringValue(ks, holdKey as string, now);
  if (current === false) return [-4, 0, ''];

  const holder = current ?? '';
  const members = set?.members ?? new Set<string>();
  if (holder !== '' && holder !== parent) return [3, members.size, holder];
  const already = members.has(parent);
  const others = already ? members.size - 1 : members.size;
  if (others < inDegree - 1) {
    ks.put(holdKey as string, { type: 'string', value: parent, expiresAt: now + ttl });
    return [0, members.size, parent];
  }
  if (!already) {
    members.add(parent);
    ks.put(inKey as string, { type: 'set', members, expiresAt: now + ttl });
  }
  if (trigger === undefined) {
    ks.put(triggerKey as string, { type: 'string', value: parent, expiresAt: now + ttl });
  }
  const winner = stringValue(ks, triggerKey as string, now) || '';
  if (winner === parent && inputsKey !== undefined) {
    return [1, members.size, holder, carriedList(ks, inputsKey, now)];
  }
  return [winner === parent ? 1 : 2, members.size, holder];
};

const readInputs: Twin = (ks, [inputsKey], _argv, now) => {
  const entry = ks.get(inputsKey as string, now);
  if (entry !== undefined && entry.type !== 'hash') return [-4];
  return [1, carriedList(ks, inputsKey as string, now)];
};

interface TaskBeginArgs {
  owner: string;
  ms: number;
  mark: string;
}

/** Owner, lease duration and done mark as taskBegin checks them (ARGV[1..3]); null when invalid. */
function taskBeginArgs(argv: readonly ScriptArgValue[]): TaskBeginArgs | null {
  const owner = text(argv[0]);
  const ms = luaNumber(argv[1]);
  const mark = text(argv[2]);
  if (owner === '' || mark === '' || owner === mark || !isPositiveInt(ms)) return null;
  return { owner, ms, mark };
}

/** taskBegin's decision on a lease key already checked to hold a string or nothing: its return code. */
function takeLease(ks: Keyspace, leaseKey: string, outKey: string, a: TaskBeginArgs, now: number): number {
  const current = stringValue(ks, leaseKey, now);
  if (current === a.mark) return 3;
  if (current !== null && current !== a.owner) return 0;
  ks.put(leaseKey, { type: 'string', value: a.owner, expiresAt: now + a.ms });
  return ks.get(outKey, now) !== undefined ? 2 : 1;
}

const taskBegin: Twin = (ks, [leaseKey, outKey], argv, now) => {
  const args = taskBeginArgs(argv);
  if (args === null) return [-3, ''];
  const current = stringValue(ks, leaseKey as string, now);
  if (current === false) return [-4, ''];
  const code = takeLease(ks, leaseKey as string, outKey as string, args, now);
  return [code, code === 3 ? args.mark : code === 0 ? current : args.owner];
};

function leaseArgs(argv: readonly ScriptArgValue[]): { owner: string; ms: number } | null {
  const owner = text(argv[0]);
  const ms = luaNumber(argv[1]);
  return owner === '' || !isPositiveInt(ms) ? null : { owner, ms };
}

const leaseAcquire: Twin = (ks, [key], argv, now) => {
  const args = leaseArgs(argv);
  if (!args) return [-3, '', 0];
  const current = stringValue(ks, key as string, now);
  if (current === false) return [-4, '', 0];
  if (current === null) {
    ks.put(key as string, { type: 'string', value: args.owner, expiresAt: now + args.ms });
    return [1, args.owner, args.ms];
  }
  if (current === args.owner) {
    ks.put(key as string, { type: 'string', value: args.owner, expiresAt: now + args.ms });
    return [2, args.owner, args.ms];
  }
  return [0, current, ks.pttl(key as string, now)];
};

const leaseRenew: Twin = (ks, [key], argv, now) => {
  const args = leaseArgs(argv);
  if (!args) return [-3, '', 0];
  const current = stringValue(ks, key as string, now);
  if (current === null) return [3, '', 0];
  if (current === false) return [-4, '', 0];
  if (current === args.owner) {
    ks.put(key as string, { type: 'string', value: args.owner, expiresAt: now + args.ms });
    return [1, args.owner, args.ms];
  }
  return [0, current, ks.pttl(key as string, now)];
};

const leaseRelease: Twin = (ks, [key], argv, now) => {
  const owner = text(argv[0]);
  if (owner === '') return [-3, ''];
  const current = stringValue(ks, key as string, now);
  if (current === null) return [3, ''];
  if (current === false) return [-4, ''];
  if (current === owner) {
    ks.delete(key as string);
    return [1, owner];
  }
  return [0, current];
};

/** `value` must already be the stored form (SharedArrayBuffer-backed); the store prepares it. */
const writeOnce: Twin = (ks, [key, leaseKey], argv, now) => {
  const ttl = luaNumber(argv[1]);
  if (!isPositiveInt(ttl)) return [-3];
  const mark = text(argv[2]);
  if (leaseKey !== undefined && mark === '') return [-3];
  const existed = ks.get(key as string, now) !== undefined;
  if (!existed) {
    const value = argv[0];
    const stored = value instanceof Uint8Array ? value : text(value);
    ks.put(key as string, { type: 'string', value: stored, expiresAt: now + ttl });
  }
  if (leaseKey !== undefined) {
    ks.put(leaseKey, { type: 'string', value: mark, expiresAt: now + ttl });
  }
  return [existed ? 0 : 1];
};

/**
 * fanInBatch-4.lua: each call as its own fanIn, one after another (the Lua script batches the writes; the
 * outcomes are the same). Its checks of the whole batch come first, as there.
 */
const fanInBatch: Twin = (ks, keys, argv, now) => {
  const inDegree = luaNumber(argv[0]);
  if (!isPositiveInt(inDegree)) return [-2];
  const ttl = luaNumber(argv[1]);
  if (!isPositiveInt(ttl)) return [-3];
  if (keys.length !== 4 && keys.length !== 6) return [-3];
  const lease = keys.length === 6;
  const leaseMs = argv[2];
  const mark = text(argv[3]);
  if (lease && (mark === '' || !isPositiveInt(luaNumber(leaseMs)))) return [-3];
  const n = (argv.length - 4) / 3;
  if (!(n >= 1 && Number.isInteger(n))) return [-3];
  const expected = ['set', 'string', 'string', 'hash', 'string'];
  for (let k = 0; k < (lease ? 5 : 4); k++) {
    const entry = ks.get(keys[k] as string, now);
    if (entry !== undefined && entry.type !== expected[k]) return [-4];
  }
  const out: unknown[] = [1];
  for (let i = 0; i < n; i++) {
    const [parent, carry, owner] = argv.slice(4 + 3 * i, 7 + 3 * i);
    const single = [parent!, inDegree, ttl, carry!, ...(lease ? [owner!, leaseMs!, mark] : [])];
    out.push(fanIn(ks, keys, single, now));
  }
  return out;
};

export const memoryScripts: Record<ScriptName, Twin> = {
  fanIn,
  fanInBatch,
  fanInHold,
  taskBegin,
  leaseAcquire,
  leaseRenew,
  leaseRelease,
  writeOnce,
  readInputs,
};
