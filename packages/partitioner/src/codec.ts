/**
 * The Plan codec: a plan is stored once per job, either whole or as a header plus segments that executors
 * fetch on demand (DESIGN.md §4: 1,000 executors each pulling a 100 MB plan would move 100 GB).
 *
 * Both header and segments are frames of @wukong/graph (8-byte-aligned sections), so every typed array is
 * stored as raw little-endian bytes and decoded as a view, never element by element.
 *
 *   header  (magic "WKPH")  0 msgpack { v, taskCount, segmentTasks, segmentCount, edges, ops: [op names] }
 *                           1 leaves u32[]            2 finals u32[]
 *   segment (magic "WKPS")  tasks [first, first + count), count = segmentTasks except in the last segment
 *                           0 msgpack [first, count]
 *                           1 key lengths u32[count]  (UTF-16 code units)   14 keys, concatenated, UTF-8
 *                           2 op u32[count]           (index into header.ops)
 *                           3 argOffsets u32[count+1] 4 argSlots i32[]  (>= 0: dep task index; -1: next inline)
 *                           5 msgpack [inline values, packed]          6 tensor blob (raw, aligned)
 *                           7 depOffsets u32[count+1] 8 deps u32[]     (offsets local to the segment)
 *                           9 dependentOffsets u32[count+1]            10 dependents u32[]
 *                           11 priority f64[count]    12 preferredChild i32[count]   13 outputBytes f64[count]
 *
 * In-degree is not stored (it is the length of a task's deps). Keys travel as one UTF-8 string plus lengths:
 * the platform's TextEncoder/TextDecoder handle a million keys several times faster than per-string msgpack.
 * The segment holding task i is floor(i / segmentTasks). A PlanReader keeps decoded segments, so a warm
 * executor fetches each at most once.
 */
import { decode, encode } from '@msgpack/msgpack';
import { InlinePacker, decodeFrame, encodeFrame, sectionAs, unpackInline, type Inline } from '@wukong/graph';
import { PlanCodecError, PlanError, PlanSegmentError, TaskIndexError } from './errors.js';
import { DepArgCache, isDepArg, type Plan, type PlanArg, type PlanTask } from './plan.js';

/** The plan as stored: one header and the segments, each an independent byte string. */
export interface EncodedPlan {
  readonly header: Uint8Array;
  readonly segments: Uint8Array[];
}

export interface EncodePlanOptions {
  /**
   * Tasks per segment. A plan with at most this many tasks is a single segment.
   * @default 65_536
   */
  segmentTasks?: number;
}

export const DEFAULT_SEGMENT_TASKS = 65_536;
const PLAN_FORMAT_VERSION = 1;
/** "WKPH" / "WKPS" / "WKPL" read as little-endian u32. */
const HEADER_MAGIC = 0x48504b57;
const SEGMENT_MAGIC = 0x53504b57;
const WHOLE_MAGIC = 0x4c504b57;
const NO_INLINE = -1;

interface HeaderMeta {
  v: number;
  taskCount: number;
  segmentTasks: number;
  segmentCount: number;
  edges: number;
  ops: string[];
}

/** Encodes a plan as a header and segments of `segmentTasks` tasks. */
export function encodePlan(plan: Plan, opts: EncodePlanOptions = {}): EncodedPlan {
  const segmentTasks = opts.segmentTasks ?? DEFAULT_SEGMENT_TASKS;
  if (!Number.isSafeInteger(segmentTasks) || segmentTasks < 1) {
    throw new PlanCodecError(`option segmentTasks must be a positive integer, got ${segmentTasks}`);
  }
  const n = plan.taskCount;
  // Op names as a dictionary: a graph has few distinct ops and many tasks.
  const opNames: string[] = [];
  const opIds = new Map<string, number>();
  const opOf = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const op = plan.ops[i] as string;
    let id = opIds.get(op);
    if (id === undefined) {
      id = opNames.length;
      opNames.push(op);
      opIds.set(op, id);
    }
    opOf[i] = id;
  }
  const segmentCount = Math.max(1, Math.ceil(n / segmentTasks));
  const meta: HeaderMeta = {
    v: PLAN_FORMAT_VERSION,
    taskCount: n,
    segmentTasks,
    segmentCount,
    edges: plan.deps.length,
    ops: opNames,
  };
  const header = encodeFrame(HEADER_MAGIC, PLAN_FORMAT_VERSION, [encode(meta), plan.leaves, plan.finals]);
  const segments: Uint8Array[] = [];
  for (let s = 0; s < segmentCount; s++) {
    const first = s * segmentTasks;
    segments.push(encodeSegment(plan, opOf, first, Math.min(n, first + segmentTasks) - first));
  }
  return { header, segments };
}

function rebased(offsets: Uint32Array, first: number, count: number): Uint32Array {
  const base = offsets[first] as number;
  const out = offsets.slice(first, first + count + 1);
  if (base !== 0) for (let k = 0; k <= count; k++) out[k]! -= base;
  return out;
}

function encodeSegment(plan: Plan, opOf: Uint32Array, first: number, count: number): Uint8Array {
  const end = first + count;
  let argTotal = 0;
  for (let i = first; i < end; i++) argTotal += (plan.args[i] as readonly PlanArg[]).length;
  const argOffsets = new Uint32Array(count + 1);
  const argSlots = new Int32Array(argTotal);
  const packer = new InlinePacker();
  const inlines: unknown[] = [];
  let slot = 0;
  for (let i = first; i < end; i++) {
    const args = plan.args[i] as readonly PlanArg[];
    for (let j = 0; j < args.length; j++) {
      const a = args[j] as PlanArg;
      if (isDepArg(a)) {
        argSlots[slot++] = a.dep;
      } else {
        argSlots[slot++] = NO_INLINE;
        inlines.push(packer.pack(a));
      }
    }
    argOffsets[i - first + 1] = slot;
  }
  const depFrom = plan.depOffsets[first] as number;
  const depTo = plan.depOffsets[end] as number;
  const dependentFrom = plan.dependentOffsets[first] as number;
  const dependentTo = plan.dependentOffsets[end] as number;
  const keys = plan.keys.slice(first, end);
  const keyLengths = new Uint32Array(count);
  for (let k = 0; k < count; k++) keyLengths[k] = (keys[k] as string).length;
  const keyText = keys.join('');
  const lone = LONE_SURROGATE.exec(keyText);
  if (lone !== null) {
    let k = 0;
    for (let at = 0; at + (keyLengths[k] as number) <= lone.index; k++) at += keyLengths[k] as number;
    throw new PlanCodecError(
      `task key ${JSON.stringify(keys[k])} is not well-formed Unicode (lone surrogate)`,
    );
  }
  return encodeFrame(SEGMENT_MAGIC, PLAN_FORMAT_VERSION, [
    encode([first, count]),
    keyLengths,
    opOf.subarray(first, end),
    argOffsets,
    argSlots,
    encode(inlines, { maxDepth: 200 }),
    packer.blob(),
    rebased(plan.depOffsets, first, count),
    plan.deps.subarray(depFrom, depTo),
    rebased(plan.dependentOffsets, first, count),
    plan.dependents.subarray(dependentFrom, dependentTo),
    plan.priority.subarray(first, end),
    plan.preferredChild.subarray(first, end),
    plan.outputBytes.subarray(first, end),
    utf8Encoder.encode(keyText),
  ]);
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
/** A UTF-16 surrogate without its pair: TextEncoder would silently replace it. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function decodeKeys(lengths: Uint32Array, text: Uint8Array, segment: number): string[] {
  let all: string;
  try {
    all = utf8Decoder.decode(text);
  } catch {
    throw new PlanSegmentError(segment, 'keys are not valid UTF-8');
  }
  const keys = new Array<string>(lengths.length);
  let at = 0;
  for (let k = 0; k < lengths.length; k++) {
    const len = lengths[k] as number;
    keys[k] = all.slice(at, at + len);
    at += len;
  }
  if (at !== all.length) throw new PlanSegmentError(segment, 'key lengths do not match the key text');
  return keys;
}

/** The decoded header: what every executor needs before it fetches any segment. */
export interface PlanHeader {
  readonly taskCount: number;
  readonly segmentTasks: number;
  readonly segmentCount: number;
  readonly edges: number;
  readonly ops: readonly string[];
  readonly leaves: Uint32Array;
  readonly finals: Uint32Array;
}

function msgpackSection(bytes: Uint8Array, what: string): unknown {
  try {
    return decode(bytes);
  } catch (e) {
    throw new PlanCodecError(`${what}: not valid msgpack (${(e as Error).message})`);
  }
}

function codecCall<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof PlanError) throw e;
    throw new PlanCodecError((e as Error).message);
  }
}

export function decodePlanHeader(bytes: Uint8Array): PlanHeader {
  return codecCall(() => {
    const frame = decodeFrame(bytes, HEADER_MAGIC, 'plan header');
    if (frame.version !== PLAN_FORMAT_VERSION || frame.sections.length !== 3) {
      throw new PlanCodecError(`plan header: unsupported format version ${frame.version}`);
    }
    const [metaBytes, leaves, finals] = frame.sections as [Uint8Array, Uint8Array, Uint8Array];
    const meta = msgpackSection(metaBytes, 'plan header') as Partial<HeaderMeta> | null;
    if (
      meta === null ||
      typeof meta !== 'object' ||
      !Number.isSafeInteger(meta.taskCount) ||
      !Number.isSafeInteger(meta.segmentTasks) ||
      !Number.isSafeInteger(meta.segmentCount) ||
      !Number.isSafeInteger(meta.edges) ||
      !Array.isArray(meta.ops)
    ) {
      throw new PlanCodecError('plan header: malformed metadata');
    }
    return {
      taskCount: meta.taskCount as number,
      segmentTasks: meta.segmentTasks as number,
      segmentCount: meta.segmentCount as number,
      edges: meta.edges as number,
      ops: meta.ops,
      leaves: sectionAs(Uint32Array, leaves, 'plan leaves'),
      finals: sectionAs(Uint32Array, finals, 'plan finals'),
    };
  });
}

/** One decoded segment: typed arrays are views on the segment bytes. */
interface Segment {
  readonly first: number;
  readonly count: number;
  readonly keys: readonly string[];
  readonly op: Uint32Array;
  readonly argOffsets: Uint32Array;
  readonly argSlots: Int32Array;
  readonly inlines: readonly unknown[];
  /** index into `inlines` of the first inline of each task */
  readonly inlineStart: Uint32Array;
  readonly blob: Uint8Array;
  readonly depOffsets: Uint32Array;
  readonly deps: Uint32Array;
  readonly dependentOffsets: Uint32Array;
  readonly dependents: Uint32Array;
  readonly priority: Float64Array;
  readonly preferredChild: Int32Array;
  readonly outputBytes: Float64Array;
}

function decodeSegment(bytes: Uint8Array, header: PlanHeader, expected: number): Segment {
  return codecCall(() => {
    const frame = decodeFrame(bytes, SEGMENT_MAGIC, 'plan segment');
    if (frame.version !== PLAN_FORMAT_VERSION || frame.sections.length !== 15) {
      throw new PlanSegmentError(expected, `unsupported format version ${frame.version}`);
    }
    const s = frame.sections as Uint8Array[];
    const range = msgpackSection(s[0] as Uint8Array, 'plan segment') as unknown;
    const first = header.segmentTasks * expected;
    const count = Math.min(header.taskCount - first, header.segmentTasks);
    if (!Array.isArray(range) || range[0] !== first || range[1] !== count) {
      throw new PlanSegmentError(
        expected,
        `holds tasks ${JSON.stringify(range)}, expected [${first}, ${count}]`,
      );
    }
    const keyLengths = sectionAs(Uint32Array, s[1] as Uint8Array, 'key lengths');
    if (keyLengths.length !== count) throw new PlanSegmentError(expected, 'malformed keys');
    const keys = decodeKeys(keyLengths, s[14] as Uint8Array, expected);
    const inlines = msgpackSection(s[5] as Uint8Array, 'plan segment inlines');
    if (!Array.isArray(inlines)) throw new PlanSegmentError(expected, 'malformed inline values');
    const argOffsets = sectionAs(Uint32Array, s[3] as Uint8Array, 'argOffsets');
    const argSlots = sectionAs(Int32Array, s[4] as Uint8Array, 'argSlots');
    const inlineStart = new Uint32Array(count + 1);
    let seen = 0;
    for (let k = 0; k < count; k++) {
      inlineStart[k] = seen;
      for (let e = argOffsets[k] as number; e < (argOffsets[k + 1] as number); e++) {
        if (argSlots[e] === NO_INLINE) seen++;
      }
    }
    inlineStart[count] = seen;
    if (seen !== inlines.length) throw new PlanSegmentError(expected, 'inline values do not match arg slots');
    return {
      first,
      count,
      keys,
      op: sectionAs(Uint32Array, s[2] as Uint8Array, 'op'),
      argOffsets,
      argSlots,
      inlines,
      inlineStart,
      blob: s[6] as Uint8Array,
      depOffsets: sectionAs(Uint32Array, s[7] as Uint8Array, 'depOffsets'),
      deps: sectionAs(Uint32Array, s[8] as Uint8Array, 'deps'),
      dependentOffsets: sectionAs(Uint32Array, s[9] as Uint8Array, 'dependentOffsets'),
      dependents: sectionAs(Uint32Array, s[10] as Uint8Array, 'dependents'),
      priority: sectionAs(Float64Array, s[11] as Uint8Array, 'priority'),
      preferredChild: sectionAs(Int32Array, s[12] as Uint8Array, 'preferredChild'),
      outputBytes: sectionAs(Float64Array, s[13] as Uint8Array, 'outputBytes'),
    };
  });
}

function segmentArgs(seg: Segment, k: number, depArgs: DepArgCache): PlanArg[] {
  const from = seg.argOffsets[k] as number;
  const to = seg.argOffsets[k + 1] as number;
  const out = new Array<PlanArg>(to - from);
  let inline = seg.inlineStart[k] as number;
  for (let e = from; e < to; e++) {
    const slot = seg.argSlots[e] as number;
    out[e - from] =
      slot === NO_INLINE
        ? (unpackInline(seg.inlines[inline++], seg.blob) satisfies Inline)
        : depArgs.get(slot);
  }
  return out;
}

/** Decodes a whole plan (all segments). */
export function decodePlan(encoded: EncodedPlan): Plan {
  const header = decodePlanHeader(encoded.header);
  if (encoded.segments.length !== header.segmentCount) {
    throw new PlanCodecError(`plan has ${header.segmentCount} segments, got ${encoded.segments.length}`);
  }
  const n = header.taskCount;
  const keys = new Array<string>(n);
  const ops = new Array<string>(n);
  const args = new Array<readonly PlanArg[]>(n);
  const depOffsets = new Uint32Array(n + 1);
  const deps = new Uint32Array(header.edges);
  const dependentOffsets = new Uint32Array(n + 1);
  const dependents = new Uint32Array(header.edges);
  const inDegree = new Uint32Array(n);
  const priority = new Float64Array(n);
  const preferredChild = new Int32Array(n);
  const outputBytes = new Float64Array(n);
  const depArgs = new DepArgCache(n);
  for (let s = 0; s < header.segmentCount; s++) {
    const seg = decodeSegment(encoded.segments[s] as Uint8Array, header, s);
    const first = seg.first;
    const depBase = depOffsets[first] as number;
    const dependentBase = dependentOffsets[first] as number;
    if (depBase + seg.deps.length > header.edges || dependentBase + seg.dependents.length > header.edges) {
      throw new PlanSegmentError(s, 'holds more edges than the header declares');
    }
    for (let k = 0; k < seg.count; k++) {
      const i = first + k;
      keys[i] = seg.keys[k] as string;
      const op = header.ops[seg.op[k] as number];
      if (op === undefined) throw new PlanSegmentError(s, `task ${i} has an op id outside the op table`);
      ops[i] = op;
      args[i] = segmentArgs(seg, k, depArgs);
      depOffsets[i + 1] = depBase + (seg.depOffsets[k + 1] as number);
      dependentOffsets[i + 1] = dependentBase + (seg.dependentOffsets[k + 1] as number);
      inDegree[i] = (seg.depOffsets[k + 1] as number) - (seg.depOffsets[k] as number);
    }
    deps.set(seg.deps, depBase);
    dependents.set(seg.dependents, dependentBase);
    priority.set(seg.priority, first);
    preferredChild.set(seg.preferredChild, first);
    outputBytes.set(seg.outputBytes, first);
  }
  return {
    taskCount: n,
    keys,
    ops,
    args,
    depOffsets,
    deps,
    dependentOffsets,
    dependents,
    inDegree,
    leaves: header.leaves,
    finals: header.finals,
    priority,
    preferredChild,
    outputBytes,
  };
}

/** Joins header and segments into one byte string (a plan small enough to ride inline in a payload). */
export function encodedPlanToBytes(encoded: EncodedPlan): Uint8Array {
  return encodeFrame(WHOLE_MAGIC, PLAN_FORMAT_VERSION, [encoded.header, ...encoded.segments]);
}

/** Splits {@link encodedPlanToBytes} output back into header and segments (views, no copy when aligned). */
export function encodedPlanFromBytes(bytes: Uint8Array): EncodedPlan {
  const frame = codecCall(() => decodeFrame(bytes, WHOLE_MAGIC, 'plan'));
  if (frame.version !== PLAN_FORMAT_VERSION || frame.sections.length < 2) {
    throw new PlanCodecError(`plan: unsupported format version ${frame.version}`);
  }
  const [header, ...segments] = frame.sections as Uint8Array[];
  return { header: header as Uint8Array, segments };
}

/** Decoded tasks a PlanReader keeps; past this it starts afresh. */
const TASK_CACHE_SIZE = 4096;

/**
 * Reads a segmented plan lazily: the header up front, each segment only when a task in it is asked for, and
 * each segment at most once (concurrent requests share one fetch; a failed fetch is retried on next use).
 */
export class PlanReader {
  readonly taskCount: number;
  readonly leaves: Uint32Array;
  readonly finals: Uint32Array;
  readonly segmentCount: number;
  readonly segmentTasks: number;
  readonly ops: readonly string[];
  private readonly header: PlanHeader;
  private readonly segments = new Map<number, Promise<Segment>>();
  /** Segments whose fetch has completed, for the synchronous `taskIfLoaded`. */
  private readonly loaded = new Map<number, Segment>();
  private readonly depArgs: DepArgCache;
  private readonly decoded = new Map<number, PlanTask>();

  constructor(
    header: Uint8Array,
    private readonly fetchSegment: (n: number) => Promise<Uint8Array>,
  ) {
    this.header = decodePlanHeader(header);
    this.taskCount = this.header.taskCount;
    this.leaves = this.header.leaves;
    this.finals = this.header.finals;
    this.segmentCount = this.header.segmentCount;
    this.segmentTasks = this.header.segmentTasks;
    this.ops = this.header.ops;
    this.depArgs = new DepArgCache(this.taskCount);
  }

  /** The segment that holds task i. */
  segmentOf(i: number): number {
    if (!Number.isInteger(i) || i < 0 || i >= this.taskCount) throw new TaskIndexError(i, this.taskCount);
    return Math.floor(i / this.segmentTasks);
  }

  /** Segments fetched and decoded so far. */
  get loadedSegments(): number[] {
    return [...this.segments.keys()].sort((a, b) => a - b);
  }

  private segment(n: number): Promise<Segment> {
    let p = this.segments.get(n);
    if (p === undefined) {
      p = (async () => {
        let bytes: Uint8Array;
        try {
          bytes = await this.fetchSegment(n);
        } catch (e) {
          throw new PlanSegmentError(n, `fetch failed: ${(e as Error).message}`);
        }
        const segment = decodeSegment(bytes, this.header, n);
        this.loaded.set(n, segment);
        return segment;
      })();
      this.segments.set(n, p);
      p.catch(() => this.segments.delete(n));
    }
    return p;
  }

  /**
   * Everything about task i. Recently decoded fan-in tasks are kept (up to TASK_CACHE_SIZE): each of
   * their parents looks them up, so the returned objects are shared, never to be modified. Other tasks
   * are looked up about once and not kept (kept, they would only outlive their use).
   */
  async task(i: number): Promise<PlanTask> {
    return this.taskIfLoaded(i) ?? this.taskOf(await this.segment(this.segmentOf(i)), i);
  }

  /**
   * Task i without waiting, when its segment is already here (the common case on a warm executor: the
   * hot path then makes no promise); undefined when the segment still has to be fetched.
   */
  taskIfLoaded(i: number): PlanTask | undefined {
    const cached = this.decoded.get(i);
    if (cached !== undefined) return cached;
    const seg = this.loaded.get(this.segmentOf(i));
    return seg === undefined ? undefined : this.taskOf(seg, i);
  }

  private taskOf(seg: Segment, i: number): PlanTask {
    const s = this.segmentOf(i);
    const k = i - seg.first;
    const op = this.ops[seg.op[k] as number];
    if (op === undefined) throw new PlanSegmentError(s, `task ${i} has an op id outside the op table`);
    const task: PlanTask = {
      index: i,
      key: seg.keys[k] as string,
      op,
      args: segmentArgs(seg, k, this.depArgs),
      deps: seg.deps.subarray(seg.depOffsets[k], seg.depOffsets[k + 1]),
      dependents: seg.dependents.subarray(seg.dependentOffsets[k], seg.dependentOffsets[k + 1]),
      inDegree: (seg.depOffsets[k + 1] as number) - (seg.depOffsets[k] as number),
      priority: seg.priority[k] as number,
      preferredChild: seg.preferredChild[k] as number,
      outputBytes: seg.outputBytes[k] as number,
    };
    if (task.inDegree > 1) {
      if (this.decoded.size >= TASK_CACHE_SIZE) this.decoded.clear();
      this.decoded.set(i, task);
    }
    return task;
  }
}
