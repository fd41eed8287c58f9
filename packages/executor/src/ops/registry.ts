/**
 * The op registry: the only way a task names code. Graphs carry op names; the functions are compiled
 * into the executor bundle and looked up here by name, so no code is ever shipped or evaluated
 * (DESIGN.md §3). The registry doubles as the op manifest that graph validation checks names against.
 */
import type { OpManifest } from '@wukong/graph';
import { BadOpArgsError, UnknownOpError } from '../errors.js';
import type { Value } from '../values.js';

export interface OpContext {
  /** Key of the task being run, for error messages. */
  readonly task: string;
  /** Aborted when the executor gives up on the task (deadline). */
  readonly signal: AbortSignal;
}

export interface OpDefinition {
  readonly name: string;
  /** One line: what the op computes and what its arguments are. */
  readonly doc: string;
  readonly minArgs: number;
  /** `Infinity` for variadic ops. */
  readonly maxArgs: number;
  run(args: readonly Value[], context: OpContext): Value | Promise<Value>;
}

export class OpRegistry implements OpManifest {
  readonly #ops = new Map<string, OpDefinition>();

  constructor(definitions: Iterable<OpDefinition> = []) {
    for (const d of definitions) this.register(d);
  }

  register(definition: OpDefinition): this {
    if (this.#ops.has(definition.name)) throw new RangeError(`op '${definition.name}' is registered twice`);
    this.#ops.set(definition.name, definition);
    return this;
  }

  has(op: string): boolean {
    return this.#ops.has(op);
  }

  arity(op: string): { min: number; max: number } | undefined {
    const d = this.#ops.get(op);
    return d && { min: d.minArgs, max: d.maxArgs };
  }

  names(): string[] {
    return [...this.#ops.keys()].sort();
  }

  describe(): { name: string; doc: string; minArgs: number; maxArgs: number }[] {
    return this.names().map((n) => {
      const { name, doc, minArgs, maxArgs } = this.#ops.get(n)!;
      return { name, doc, minArgs, maxArgs };
    });
  }

  /** Looks the op up (again, at execute time) and checks its arity before running it. */
  resolve(op: string, task: string, argCount: number): OpDefinition {
    const d = this.#ops.get(op);
    if (d === undefined) throw new UnknownOpError(op, task);
    if (argCount < d.minArgs || argCount > d.maxArgs) {
      const range =
        d.maxArgs === Infinity
          ? `at least ${d.minArgs}`
          : d.minArgs === d.maxArgs
            ? `${d.minArgs}`
            : `${d.minArgs}..${d.maxArgs}`;
      throw new BadOpArgsError(op, `task '${task}' passes ${argCount} argument(s), expected ${range}`);
    }
    return d;
  }
}
