// Every storage key of Wukong-TS is built here and nowhere else (DESIGN.md §5).
//
//   wk:{<job>}:plan                 the Plan (whole)
//   wk:{<job>}:plan:<n>             segment n of a segmented Plan
//   wk:{<job>}:events               the job's event stream
//   wk:{<job>:<task>}:out           a task's output, written at most once
//   wk:{<job>:<task>}:in            fan-in set: indices of the parents that have finished
//   wk:{<job>:<task>}:trigger       which parent won the right to run / invoke the task
//   wk:{<job>:<task>}:run           execution lease
//   wk:{<job>:<task>}:hold          the parent holding a large input for the task (delayed I/O)
//   wk:{<job>:<task>}:inputs        small outputs of parents carried in the fan-in (hash: parent → value)
//   wk:chunk:{<tag>#<write>.<i>}<suffix>   chunk i of a value above `chunkBytes` (see chunking.ts)
//
// The part in braces is the Redis Cluster hash tag: all keys of one task hash to one slot, so a script that
// touches a task's `in` and `trigger` never spans shards, and the client-side router of RedisShards uses the
// same slot function as Redis Cluster (CRC16 of the tag mod 16384, `slotOf`). Chunk keys
// deliberately get their own tag per chunk so the chunks of one large value spread over the shards. They
// start with `wk:chunk:` where every other key starts with `wk:{`, so no job or task name can collide with
// them. `{` and `}` are rejected in job ids and task keys because they would end the hash tag early; job ids
// also exclude `:` and `#` so that the SCAN patterns of one job never match another job's keys.
import { InvalidKeyPart } from './errors.js';

/** A task is named by its index in the Plan or by its graph key. */
export type TaskRef = number | string;

function checkPart(part: string, what: string): string {
  if (part.length === 0 || part.includes('{') || part.includes('}')) throw new InvalidKeyPart(part, what);
  return part;
}

/** The last job id that passed `checkJob`: the keys built one after another mostly name the same job. */
let checkedJob = '';

/** Job ids additionally exclude `:` and `#`, so one job's keys can never match another job's patterns. */
function checkJob(job: string): string {
  if (job === checkedJob) return job;
  if (job.includes(':') || job.includes('#')) throw new InvalidKeyPart(job, 'job id');
  checkedJob = checkPart(job, 'job id');
  return job;
}

function taskPart(task: TaskRef): string {
  if (typeof task === 'number') {
    if (!Number.isSafeInteger(task) || task < 0) throw new InvalidKeyPart(String(task), 'task index');
    return String(task);
  }
  return checkPart(task, 'task key');
}

function taskKey(job: string, task: TaskRef, suffix: string): string {
  return `wk:{${checkJob(job)}:${taskPart(task)}}:${suffix}`;
}

/** Builders for every key the engine stores. `task` is a task index or a task key string. */
export const keys = {
  plan: (job: string): string => `wk:{${checkJob(job)}}:plan`,
  planSegment: (job: string, n: number): string => {
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidKeyPart(String(n), 'plan segment number');
    return `wk:{${checkJob(job)}}:plan:${n}`;
  },
  events: (job: string): string => `wk:{${checkJob(job)}}:events`,
  out: (job: string, task: TaskRef): string => taskKey(job, task, 'out'),
  fanIn: (job: string, task: TaskRef): string => taskKey(job, task, 'in'),
  trigger: (job: string, task: TaskRef): string => taskKey(job, task, 'trigger'),
  lease: (job: string, task: TaskRef): string => taskKey(job, task, 'run'),
  hold: (job: string, task: TaskRef): string => taskKey(job, task, 'hold'),
  inputs: (job: string, task: TaskRef): string => taskKey(job, task, 'inputs'),
} as const;

/** All keys of one task (out, in, trigger, run, hold, inputs), e.g. to delete them. */
export function taskKeys(job: string, task: TaskRef): string[] {
  return [
    keys.out(job, task),
    keys.fanIn(job, task),
    keys.trigger(job, task),
    keys.lease(job, task),
    keys.hold(job, task),
    keys.inputs(job, task),
  ];
}

/**
 * The hash tag of a key, computed as Redis Cluster does: the text between the first `{` and the first `}`
 * after it, when that text is non-empty; otherwise the whole key.
 */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/**
 * The last `a` of `sameHashTag`, its tag bounds, and its text up to and including the tag's `}` (empty when
 * the whole key is hashed): a script's keys are all checked against its first.
 */
let lastA = '';
let lastAStart = 0;
let lastAEnd = 0;
let lastAPrefix = '';

/**
 * Whether two keys have the same hash tag (hence the same slot). Builds no substring of `b`, and one of `a`
 * only when `a` is not the last `a` asked about.
 */
export function sameHashTag(a: string, b: string): boolean {
  if (a !== lastA) {
    lastAStart = tagStart(a);
    lastAEnd = lastAStart === 0 ? a.length : a.indexOf('}', lastAStart);
    lastAPrefix = lastAStart === 0 ? '' : a.slice(0, lastAEnd + 1);
    lastA = a;
  }
  if (a === b) return true;
  // The usual case, keys of one task (`wk:{job:task}:in`, `...:out`): `b` starts with the same text up to
  // the tag's `}`, so its first `{` and the first `}` after it are where `a`'s are. Else, compare tags.
  if (lastAPrefix !== '' && b.startsWith(lastAPrefix)) return true;
  const aStart = lastAStart;
  const aEnd = lastAEnd;
  const bStart = tagStart(b);
  const bEnd = bStart === 0 ? b.length : b.indexOf('}', bStart);
  const length = aEnd - aStart;
  if (length !== bEnd - bStart) return false;
  for (let i = 0; i < length; i++) if (a.charCodeAt(aStart + i) !== b.charCodeAt(bStart + i)) return false;
  return true;
}

/** Index of the first character of the hash tag, or 0 when the whole key is hashed. */
function tagStart(key: string): number {
  const open = key.indexOf('{');
  if (open < 0) return 0;
  const close = key.indexOf('}', open + 1);
  return close < 0 || close === open + 1 ? 0 : open + 1;
}

/** CRC16/XMODEM (polynomial 0x1021, initial value 0), the checksum Redis Cluster hashes keys with. */
const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
    table[byte] = crc & 0xffff;
  }
  return table;
})();

function crc16(crc: number, byte: number): number {
  return ((crc << 8) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] as number)) & 0xffff;
}

/**
 * The Redis Cluster slot (0..16383) of a key: CRC16 of its hash tag (see `hashTag`), mod 16384, exactly
 * as Redis computes it (CLUSTER KEYSLOT). Every command of the Redis stores routes by it, so an ASCII tag
 * is hashed straight from the string without allocating; a tag with other characters is hashed as UTF-8.
 */
export function slotOf(key: string): number {
  const start = tagStart(key);
  const end = start > 0 ? key.indexOf('}', start) : key.length;
  let crc = 0;
  for (let i = start; i < end; i++) {
    const c = key.charCodeAt(i);
    if (c > 0x7f) {
      crc = 0;
      for (const byte of Buffer.from(key.slice(start, end), 'utf8')) crc = crc16(crc, byte);
      break;
    }
    crc = crc16(crc, c);
  }
  return crc & 16383;
}

/**
 * The key of chunk `index` of a value written under `key` by write `writeId`. The write id makes every
 * write's chunks distinct, so two racing `setIfAbsent` calls never overwrite each other's chunks.
 */
export function chunkKey(key: string, writeId: string, index: number): string {
  const tag = hashTag(key);
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  const suffix = close < 0 ? `:${key}` : key.slice(close + 1);
  return `wk:chunk:{${tag}#${writeId}.${index}}${suffix}`;
}

/** Escapes Redis glob metacharacters so a job id matches only itself in a SCAN pattern. */
function globEscape(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The SCAN pattern that matches every key of a job: a hash tag that starts with the job id followed by `}`
 * (job keys), `:` (task keys) or `#` (chunks of job keys). Job ids contain none of `{ } : #`, and task keys
 * no braces, so the pattern matches no other job's keys.
 */
export function jobKeyPattern(job: string): string {
  return `wk:*{${globEscape(checkJob(job))}[}:#]*`;
}

/** Whether `key` belongs to `job` (the in-memory twin of `jobKeyPattern`). */
export function isJobKey(job: string, key: string): boolean {
  checkJob(job);
  if (!key.startsWith('wk:')) return false;
  const open = key.indexOf('{');
  if (open < 0 || !key.startsWith(job, open + 1)) return false;
  const next = key[open + 1 + job.length];
  return next === '}' || next === ':' || next === '#';
}
