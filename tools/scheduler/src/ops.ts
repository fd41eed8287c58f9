/**
 * The op names the standard executor bundle provides. Graphs are validated against this list before anything
 * is planned or started (DESIGN.md §3: an unknown op is rejected at submit time). It is the one place the
 * scheduler names ops; when the executor's op registry is available, validation takes its manifest instead.
 */
import type { OpManifest } from '@wukong/graph';

export const STANDARD_OP_NAMES: readonly string[] = Object.freeze([
  'add',
  'sum',
  'mul',
  'min',
  'max',
  'mod',
  'identity',
  'getitem',
  'sleep',
  'fail',
]);

/** The op manifest of the standard bundle (names only; arity is checked by the executor's registry). */
export function standardOpManifest(): OpManifest {
  return new Set(STANDARD_OP_NAMES);
}
