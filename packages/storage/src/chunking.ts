// Values above `chunkBytes` are stored as chunks spread over the shards, under a small manifest.
//
// set(key, v) with |v| > chunkBytes:
//   1. pick a random write id w; chunk i = v[i*chunkBytes, (i+1)*chunkBytes) goes to keys.chunkKey(key, w, i)
//      (each chunk has its own hash tag, so the chunks spread over the shards), all written in parallel;
//   2. only then the manifest goes to `key` (SET, or SET NX for setIfAbsent: a loser deletes its chunks).
// get(key) reads the manifest, fetches the chunks per shard in parallel and copies them into one buffer. A
// missing chunk is ObjectLost naming the chunk key and its shard: the value cannot be served whole.
//
// Manifest layout (fixed 48 bytes):
//   0   8 bytes magic 00 'WKCHNK' 01
//   8   uint32 LE chunk count
//   12  uint32 LE chunk size in bytes
//   16  float64 LE total length in bytes
//   24  24 bytes write id (ASCII hex, zero padded)
// A plain value that is exactly 48 bytes long and starts with the magic would read as a manifest, so `set`
// rejects such values (InvalidValue); every other value is stored as given.
import { randomBytes } from 'node:crypto';
import { CorruptValue, InvalidValue } from './errors.js';
import { chunkKey } from './keys.js';

const MAGIC = [0x00, 0x57, 0x4b, 0x43, 0x48, 0x4e, 0x4b, 0x01];
export const MANIFEST_BYTES = 48;
const WRITE_ID_BYTES = 24;

export interface ChunkManifest {
  readonly chunkCount: number;
  readonly chunkBytes: number;
  readonly totalBytes: number;
  readonly writeId: string;
}

function hasMagic(value: Uint8Array): boolean {
  for (let i = 0; i < MAGIC.length; i++) if (value[i] !== MAGIC[i]) return false;
  return true;
}

/** Whether a stored value is a chunk manifest (cheap: length and 8 bytes). */
export function isManifest(value: Uint8Array): boolean {
  return value.byteLength === MANIFEST_BYTES && hasMagic(value);
}

/** Rejects plain values that would be mistaken for a manifest. */
export function checkPlainValue(key: string, value: Uint8Array): void {
  if (isManifest(value)) {
    throw new InvalidValue(
      key,
      `a ${MANIFEST_BYTES}-byte value starting with the chunk-manifest magic cannot be stored`,
    );
  }
}

export function newWriteId(): string {
  return randomBytes(8).toString('hex');
}

export function planChunks(totalBytes: number, chunkBytes: number, writeId: string): ChunkManifest {
  return { chunkCount: Math.ceil(totalBytes / chunkBytes), chunkBytes, totalBytes, writeId };
}

export function encodeManifest(m: ChunkManifest): Uint8Array {
  const out = new Uint8Array(MANIFEST_BYTES);
  out.set(MAGIC, 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, m.chunkCount, true);
  view.setUint32(12, m.chunkBytes, true);
  view.setFloat64(16, m.totalBytes, true);
  out.set(Buffer.from(m.writeId, 'ascii').subarray(0, WRITE_ID_BYTES), 24);
  return out;
}

export function decodeManifest(key: string, value: Uint8Array): ChunkManifest {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  const chunkCount = view.getUint32(8, true);
  const chunkBytes = view.getUint32(12, true);
  const totalBytes = view.getFloat64(16, true);
  let end = 24;
  while (end < MANIFEST_BYTES && value[end] !== 0) end++;
  const writeId = Buffer.from(value.buffer, value.byteOffset + 24, end - 24).toString('ascii');
  if (
    chunkBytes < 1 ||
    !Number.isSafeInteger(totalBytes) ||
    chunkCount !== Math.ceil(totalBytes / chunkBytes) ||
    writeId.length === 0
  ) {
    throw new CorruptValue(key, 'chunk manifest is inconsistent');
  }
  return { chunkCount, chunkBytes, totalBytes, writeId };
}

/** Keys of all chunks of a manifest, in order. */
export function manifestChunkKeys(key: string, m: ChunkManifest): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.chunkCount; i++) out.push(chunkKey(key, m.writeId, i));
  return out;
}

/** The slice of `value` that chunk i holds (a view, no copy). */
export function chunkSlice(value: Uint8Array, m: ChunkManifest, i: number): Uint8Array {
  return value.subarray(i * m.chunkBytes, Math.min((i + 1) * m.chunkBytes, m.totalBytes));
}
