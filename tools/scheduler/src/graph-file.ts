/**
 * Loading graph files: the JSON file format of @wukong/graph (a file starting with "{" after optional
 * whitespace), or the binary graph codec (a file starting with its frame's magic number). A file that is
 * neither is refused as such, rather than with the codec's complaint about a magic number.
 */
import { readFile } from 'node:fs/promises';
import { decodeGraph, GRAPH_FRAME_MAGIC, hasFrameMagic, parseGraphJson, type Graph } from '@wukong/graph';
import { GraphFileError } from './errors.js';

const OPEN_BRACE = 0x7b;
const WHITESPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0xef, 0xbb, 0xbf]); // incl. a UTF-8 byte-order mark

export async function loadGraphFile(path: string): Promise<Graph> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new GraphFileError(path, (e as NodeJS.ErrnoException).code ?? (e as Error).message);
  }
  let first = 0;
  while (first < bytes.length && WHITESPACE.has(bytes[first] as number)) first++;
  if (bytes[first] === OPEN_BRACE) return parseGraphJson(new TextDecoder().decode(bytes));
  if (!hasFrameMagic(bytes, GRAPH_FRAME_MAGIC)) {
    throw new GraphFileError(
      path,
      'neither a JSON graph (an object, starting with "{") nor a binary graph frame',
    );
  }
  return decodeGraph(bytes);
}
