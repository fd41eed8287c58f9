/** The op registry compiled into every executor: the standard ops, the array ops and the ML ops. */
import { arrayOps } from './array.js';
import { mlOps } from './ml.js';
import { OpRegistry } from './registry.js';
import { standardOps } from './standard.js';

export function createOpRegistry(): OpRegistry {
  return new OpRegistry([...standardOps, ...arrayOps, ...mlOps]);
}
