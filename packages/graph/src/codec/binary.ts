/**
 * The binary graph codec: a frame (see frame.ts) with two sections,
 *
 *   0  msgpack { v: 1, t: [[key, op, args, outputBytes?], ...] }
 *        args: a Ref becomes { r: key }; inline values are packed by InlinePacker (tensors become
 *        { d, s?, o, n } maps pointing into section 1)
 *   1  the tensor blob: raw little-endian tensor bytes, each tensor 8-byte aligned
 *
 * Tensors therefore never travel as element lists, and decoding views them in place: tensors of a decoded
 * graph share memory with the encoded bytes (copy them before mutating either).
 */
import { decode, encode } from '@msgpack/msgpack';
import { GraphCodecError } from '../errors.js';
import { isRef, type Arg, type Graph, type Inline, type Task } from '../spec/types.js';
import { decodeFrame, encodeFrame } from './frame.js';
import { InlinePacker, unpackInline } from './inline.js';

/** "WKGR" read as a little-endian u32. */
export const GRAPH_FRAME_MAGIC = 0x52474b57;
export const GRAPH_FORMAT_VERSION = 1;

/** Encodes a graph to bytes. The graph should be valid; shape errors surface as GraphCodecError. */
export function encodeGraph(graph: Graph): Uint8Array {
  const packer = new InlinePacker();
  const tasks = graph.tasks;
  const packedTasks = new Array<unknown[]>(tasks.length);
  for (let i = 0; i < tasks.length; i++) {
    const t = tasks[i] as Task;
    const args = new Array<unknown>(t.args.length);
    for (let j = 0; j < t.args.length; j++) {
      const a = t.args[j] as Arg;
      args[j] = isRef(a) ? { r: a.ref } : packer.pack(a);
    }
    packedTasks[i] = t.outputBytes === undefined ? [t.key, t.op, args] : [t.key, t.op, args, t.outputBytes];
  }
  const structure = encode({ v: GRAPH_FORMAT_VERSION, t: packedTasks }, { maxDepth: 200 });
  return encodeFrame(GRAPH_FRAME_MAGIC, GRAPH_FORMAT_VERSION, [structure, packer.blob()]);
}

/** Decodes bytes written by {@link encodeGraph}. Throws GraphCodecError on anything else. */
export function decodeGraph(bytes: Uint8Array): Graph {
  const frame = decodeFrame(bytes, GRAPH_FRAME_MAGIC, 'graph');
  if (frame.version !== GRAPH_FORMAT_VERSION || frame.sections.length !== 2) {
    throw new GraphCodecError(`graph: unsupported format version ${frame.version}`);
  }
  const [structureBytes, blob] = frame.sections as [Uint8Array, Uint8Array];
  let structure: unknown;
  try {
    structure = decode(structureBytes);
  } catch (e) {
    throw new GraphCodecError(`graph: structure is not valid msgpack (${(e as Error).message})`);
  }
  const packedTasks = (structure as { t?: unknown } | null)?.t;
  if (!Array.isArray(packedTasks)) throw new GraphCodecError('graph: structure has no task list');
  const tasks = new Array<Task>(packedTasks.length);
  for (let i = 0; i < packedTasks.length; i++) {
    const pt: unknown = packedTasks[i];
    if (
      !Array.isArray(pt) ||
      typeof pt[0] !== 'string' ||
      typeof pt[1] !== 'string' ||
      !Array.isArray(pt[2])
    ) {
      throw new GraphCodecError(`graph: task ${i} is malformed`);
    }
    const packedArgs = pt[2] as unknown[];
    const args = new Array<Arg>(packedArgs.length);
    for (let j = 0; j < packedArgs.length; j++) {
      const pa = packedArgs[j];
      const r = (pa as { r?: unknown } | null)?.r;
      args[j] = typeof r === 'string' ? { ref: r } : (unpackInline(pa, blob) satisfies Inline);
    }
    const outputBytes: unknown = pt[3];
    if (outputBytes !== undefined && typeof outputBytes !== 'number') {
      throw new GraphCodecError(`graph: task ${i} has a non-numeric outputBytes`);
    }
    tasks[i] =
      outputBytes === undefined
        ? { key: pt[0], op: pt[1], args }
        : { key: pt[0], op: pt[1], args, outputBytes };
  }
  return { tasks };
}

/** "WKIN" read as a little-endian u32. */
const INLINES_FRAME_MAGIC = 0x4e494b57;
const INLINES_FORMAT_VERSION = 1;

/** Encodes a list of inline values (msgpack structure + aligned tensor blob), e.g. for a payload. */
export function encodeInlines(values: readonly Inline[]): Uint8Array {
  const packer = new InlinePacker();
  const structure = encode(packer.pack(values), { maxDepth: 200 });
  return encodeFrame(INLINES_FRAME_MAGIC, INLINES_FORMAT_VERSION, [structure, packer.blob()]);
}

/** Decodes {@link encodeInlines} output; tensors are views on `bytes` when it is aligned. */
export function decodeInlines(bytes: Uint8Array): Inline[] {
  const frame = decodeFrame(bytes, INLINES_FRAME_MAGIC, 'inline values');
  if (frame.version !== INLINES_FORMAT_VERSION || frame.sections.length !== 2) {
    throw new GraphCodecError(`inline values: unsupported format version ${frame.version}`);
  }
  const [structureBytes, blob] = frame.sections as [Uint8Array, Uint8Array];
  let structure: unknown;
  try {
    structure = decode(structureBytes);
  } catch (e) {
    throw new GraphCodecError(`inline values: not valid msgpack (${(e as Error).message})`);
  }
  if (!Array.isArray(structure)) throw new GraphCodecError('inline values: structure is not a list');
  return unpackInline(structure, blob) as Inline[];
}
