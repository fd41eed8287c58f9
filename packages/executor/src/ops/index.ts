/** The op registry compiled into every executor: the standard ops (array ops are added beside them). */
import { OpRegistry } from './registry.js';
import { standardOps } from './standard.js';

export function createOpRegistry(): OpRegistry {
  return new OpRegistry(standardOps);
}
