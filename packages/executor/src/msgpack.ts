/**
 * The executor's msgpack codec: one shared encoder and decoder (constructing one per call costs more than
 * encoding a small object). Encoding returns a fresh copy, so instances are safe to share.
 */
import { Decoder, Encoder } from '@msgpack/msgpack';

const encoder = new Encoder();
const decoder = new Decoder();

export function packMsg(value: unknown): Uint8Array {
  return encoder.encode(value);
}

export function unpackMsg(bytes: Uint8Array): unknown {
  return decoder.decode(bytes);
}
