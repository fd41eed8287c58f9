/**
 * A small builder for hand-made graphs. Each `task` call returns a Ref to the new task's output, so graphs
 * read in data-flow order:
 *
 *   const b = new GraphBuilder();
 *   const x = b.task('x', 'add', 1, 2);
 *   const y = b.task('y', 'mul', x, 10);
 *   const graph = b.build();
 *
 * The builder rejects duplicate keys as they are added; everything else is validateGraph's job. Blocked-array
 * and ML builders build on it (they use `freshKey` for generated names).
 */
import { DuplicateKeyError } from './errors.js';
import type { Arg, Graph, Key, Ref, Task } from './spec/types.js';

export interface TaskOptions {
  /** Size hint of the task's output in bytes. */
  outputBytes?: number;
}

export class GraphBuilder {
  private readonly tasks: Task[] = [];
  private readonly keys = new Set<Key>();
  private readonly counters = new Map<string, number>();

  /** Adds a task and returns a reference to its output. */
  task(key: Key, op: string, ...args: Arg[]): Ref {
    return this.add({ key, op, args });
  }

  /** Adds a task with options (size hint). */
  taskWith(key: Key, op: string, args: readonly Arg[], options: TaskOptions): Ref {
    return this.add(
      options.outputBytes === undefined
        ? { key, op, args: [...args] }
        : { key, op, args: [...args], outputBytes: options.outputBytes },
    );
  }

  /** Adds a task object as is. */
  add(task: Task): Ref {
    if (this.keys.has(task.key)) throw new DuplicateKeyError(task.key);
    this.keys.add(task.key);
    this.tasks.push(task);
    return { ref: task.key };
  }

  /** A reference to a task by key (it may be added later). */
  ref(key: Key): Ref {
    return { ref: key };
  }

  /** True when a task with this key was added. */
  has(key: Key): boolean {
    return this.keys.has(key);
  }

  /** A key `<prefix>-<n>` not used yet in this builder. */
  freshKey(prefix: string): Key {
    let n = this.counters.get(prefix) ?? 0;
    let key = `${prefix}-${n}`;
    while (this.keys.has(key)) key = `${prefix}-${++n}`;
    this.counters.set(prefix, n + 1);
    return key;
  }

  get size(): number {
    return this.tasks.length;
  }

  /** The graph built so far (a snapshot: later additions do not change it). */
  build(): Graph {
    return { tasks: [...this.tasks] };
  }
}
