/**
 * A binary frame: a list of byte sections, each starting at an 8-byte-aligned offset, so typed arrays stored
 * in a section can be viewed in place (no element lists, no per-element decoding). The graph codec and the
 * plan codec (@wukong/partitioner) are both built from frames.
 *
 * Layout (little-endian):
 *
 *   offset 0   u32 magic            caller-chosen, identifies what the frame holds
 *          4   u16 version          caller-chosen
 *          6   u16 sectionCount
 *          8   sectionCount x (f64 byteOffset, f64 byteLength)   offsets from the start of the frame
 *          ..  sections, each padded with zeros to a multiple of 8 bytes
 *
 * Offsets are f64 so that frames over 4 GiB stay representable. A frame whose first byte sits at an
 * unaligned address (e.g. a buffer returned by a socket at an odd offset) is copied once on decode so that
 * every section is aligned again.
 */
import { GraphCodecError } from '../errors.js';
import type { TypedArray } from '../spec/types.js';

const ALIGN = 8;
const FIXED_HEADER = 8;
const ENTRY_BYTES = 16;

const isLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function assertLittleEndian(): void {
  if (!isLittleEndian) throw new GraphCodecError('binary codecs need a little-endian host');
}

function alignUp(n: number): number {
  return Math.ceil(n / ALIGN) * ALIGN;
}

/** Anything whose bytes can be a section. */
export type SectionBytes = ArrayBufferView;

/** Lays `sections` out in a frame. */
export function encodeFrame(magic: number, version: number, sections: readonly SectionBytes[]): Uint8Array {
  assertLittleEndian();
  const headerBytes = alignUp(FIXED_HEADER + ENTRY_BYTES * sections.length);
  let total = headerBytes;
  const offsets: number[] = [];
  for (const s of sections) {
    offsets.push(total);
    total += alignUp(s.byteLength);
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, magic, true);
  view.setUint16(4, version, true);
  view.setUint16(6, sections.length, true);
  sections.forEach((s, k) => {
    view.setFloat64(FIXED_HEADER + ENTRY_BYTES * k, offsets[k] as number, true);
    view.setFloat64(FIXED_HEADER + ENTRY_BYTES * k + 8, s.byteLength, true);
    out.set(new Uint8Array(s.buffer, s.byteOffset, s.byteLength), offsets[k] as number);
  });
  return out;
}

export interface DecodedFrame {
  readonly version: number;
  /** The sections, as views on one 8-byte-aligned buffer. */
  readonly sections: readonly Uint8Array[];
}

/** Whether `bytes` start with the magic number `magic`, as a frame of that kind does. */
export function hasFrameMagic(bytes: Uint8Array, magic: number): boolean {
  return (
    bytes.byteLength >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === magic
  );
}

/** Reads a frame written by {@link encodeFrame}; `what` names the content in error messages. */
export function decodeFrame(bytes: Uint8Array, magic: number, what: string): DecodedFrame {
  assertLittleEndian();
  if (!(bytes instanceof Uint8Array) || bytes.byteLength < FIXED_HEADER) {
    throw new GraphCodecError(`${what}: too short to be a frame (${bytes?.byteLength ?? 0} bytes)`);
  }
  const aligned = bytes.byteOffset % ALIGN === 0 ? bytes : bytes.slice();
  const view = new DataView(aligned.buffer, aligned.byteOffset, aligned.byteLength);
  if (!hasFrameMagic(aligned, magic)) {
    throw new GraphCodecError(`${what}: wrong magic number (not a ${what} frame)`);
  }
  const version = view.getUint16(4, true);
  const count = view.getUint16(6, true);
  if (FIXED_HEADER + ENTRY_BYTES * count > aligned.byteLength) {
    throw new GraphCodecError(`${what}: section table is truncated`);
  }
  const sections: Uint8Array[] = [];
  for (let k = 0; k < count; k++) {
    const offset = view.getFloat64(FIXED_HEADER + ENTRY_BYTES * k, true);
    const length = view.getFloat64(FIXED_HEADER + ENTRY_BYTES * k + 8, true);
    if (
      !Number.isSafeInteger(offset) ||
      !Number.isSafeInteger(length) ||
      offset % ALIGN !== 0 ||
      length < 0 ||
      offset + length > aligned.byteLength
    ) {
      throw new GraphCodecError(`${what}: section ${k} lies outside the frame`);
    }
    sections.push(aligned.subarray(offset, offset + length));
  }
  return { version, sections };
}

type TypedArrayConstructor<T extends TypedArray> = {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  new (length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** Views a section as a typed array without copying (sections are aligned); `what` names it in errors. */
export function sectionAs<T extends TypedArray>(
  ctor: TypedArrayConstructor<T>,
  section: Uint8Array,
  what: string,
): T {
  const size = ctor.BYTES_PER_ELEMENT;
  if (section.byteLength % size !== 0) {
    throw new GraphCodecError(`${what}: ${section.byteLength} bytes is not a whole number of elements`);
  }
  if (section.byteOffset % size !== 0) {
    const copy = new ctor(section.byteLength / size);
    new Uint8Array(copy.buffer).set(section);
    return copy;
  }
  return new ctor(section.buffer, section.byteOffset, section.byteLength / size);
}
