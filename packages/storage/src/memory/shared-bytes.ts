// Values of the memory store live in SharedArrayBuffers so worker threads share them instead of copying.

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
