/**
 * Fault injection for experiments and tests: an executor can be made to die at a named point of a task's
 * life, as a Lambda container that is lost there would. The dice are a hash of (seed, task, attempt,
 * point), so a run is reproducible and a retried attempt rolls afresh.
 */
import { InjectedCrashError } from './errors.js';
import type { CrashPoint, FaultConfig } from './payload.js';

/** 32-bit avalanche hash (murmur3 finaliser) of a few integers, mapped to [0, 1). */
function dice(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return (h >>> 0) / 4294967296;
}

const pointIds: Record<CrashPoint, number> = {
  'before-compute': 1,
  'after-compute': 2,
  'after-store': 3,
  'mid-fanout': 4,
};

export class FaultInjector {
  readonly #config: FaultConfig | undefined;
  readonly #tasks: Set<string> | undefined;

  constructor(config: FaultConfig | undefined) {
    this.#config = config;
    this.#tasks = config?.crashTasks ? new Set(config.crashTasks) : undefined;
  }

  /** Throws InjectedCrashError when the configuration says this task dies at this point. */
  check(point: CrashPoint, task: number, key: string, attempt: number): void {
    const c = this.#config;
    if (c === undefined) return;
    if (c.crashAt !== undefined && !c.crashAt.includes(point)) return;
    if (c.crashAt === undefined && c.crashRate === undefined) return;
    if (this.#tasks !== undefined && !this.#tasks.has(key)) return;
    if (!(c.crashAttempts ?? [1]).includes(attempt)) return;
    const rate = c.crashRate ?? 1;
    if (dice(c.seed ?? 0, task, attempt, pointIds[point]) < rate) throw new InjectedCrashError(point, key);
  }
}
