// How values of the memory store travel between threads. A large value lives in a SharedArrayBuffer that
// every thread shares instead of copying. A small one is copied: copying a few hundred bytes costs less than
// a SharedArrayBuffer does (its allocation, its registration in every message that carries it, and its
// release by the garbage collector of each thread that held it).

/** Values of at least this many bytes are shared between threads; smaller ones are copied. */
export const SHARE_MIN_BYTES = 4096;

/**
 * A value ready to leave this thread or to be kept by the store: large ones SharedArrayBuffer-backed (as is
 * when they already are, else copied once), small ones in a compact buffer of their own (a view of a larger
 * buffer would carry the whole buffer along in a message). `owned` says the caller will not touch `value`
 * again, so a compact small value needs no copy.
 */
export function toStoredBytes(value: Uint8Array, owned: boolean): Uint8Array {
  if (value.byteLength < SHARE_MIN_BYTES) {
    return owned && value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
      ? value
      : value.slice();
  }
  return toSharedBytes(value);
}

/** The value as a SharedArrayBuffer-backed view: as is when it already is one, else copied once. */
export function toSharedBytes(value: Uint8Array): Uint8Array {
  if (value.buffer instanceof SharedArrayBuffer) return value;
  const shared = new Uint8Array(new SharedArrayBuffer(value.byteLength));
  shared.set(value);
  return shared;
}

/** Whether a value is backed by shared memory. */
export function isSharedBytes(value: Uint8Array): boolean {
  return value.buffer instanceof SharedArrayBuffer;
}
