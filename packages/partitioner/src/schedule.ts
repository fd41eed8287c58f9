/**
 * Wukong's static schedules: one per leaf, produced by a depth-first search from that leaf (Carver et al.,
 * SoCC'20 §3). The executor started at a leaf may run any task reachable from it, so its schedule is exactly
 * that reachable set, annotated at every task with the become/invoke split: after running the task the
 * executor *becomes* one child (runs it next, here) and *invokes* new executors for the others. A child with
 * several parents (a fan-in) is run by whichever parent finishes last, so the split says what this executor
 * does if it is that parent.
 *
 *        a     b          priority (bottom level): a 4, d 3, b 3, c 2, e 2, f 1
 *       / \    |
 *      c   d   |          schedule(a): a d e f c       a: become d, invoke c    (d: priority 3 > c: 2)
 *      |    \  |                                       d: become e              (e: fan-in of d and b)
 *      |     \ |                                       e: become f              (f: fan-in of c and e)
 *      |      e                                        f: final
 *       \    /                                         c: become f
 *         f               schedule(b): b e f           b: become e, e: become f, f: final
 *
 * The children of every task are ordered once by the become rule of plan.ts (priority, then known output
 * size, then task index; never key spelling): the first is the become child (= plan.preferredChild), the
 * rest are invoked in that order. The DFS visits the become child's subtree before the invoked ones, so a
 * schedule lists tasks in the order one executor meets them along its become chain, then the branches it
 * hands off. It is iterative (an explicit stack; a 1,000,000-task chain is one loop), and every schedule
 * reuses one visited-stamp array, so S schedules over a plan of n tasks allocate O(n) once plus their output.
 */
import { compareChildren, type Plan } from './plan.js';
import { TaskIndexError } from './errors.js';

export interface Schedule {
  /** The leaf this schedule starts at. */
  readonly leaf: number;
  /** Every task reachable from the leaf, each once, in DFS preorder (become child first). */
  readonly tasks: Uint32Array;
  /** Parallel to `tasks`: the child the executor becomes after tasks[k], or -1 at a final. */
  readonly become: Int32Array;
  /** CSR parallel to `tasks`: the children invoked after tasks[k], in preference order. */
  readonly invokeOffsets: Uint32Array;
  readonly invoke: Uint32Array;
}

/** Computes schedules for many leaves of one plan, sharing the ordered-children index and the DFS scratch. */
export class StaticScheduler {
  /** CSR over plan.dependentOffsets: each task's children in become-preference order. */
  private readonly ordered: Uint32Array;
  private readonly stamp: Int32Array;
  private nextStamp = 0;

  constructor(private readonly plan: Plan) {
    const { dependentOffsets, priority, outputBytes } = plan;
    this.ordered = plan.dependents.slice();
    for (let v = 0; v < plan.taskCount; v++) {
      const start = dependentOffsets[v] as number;
      const end = dependentOffsets[v + 1] as number;
      if (end - start > 1) {
        this.ordered.subarray(start, end).sort((a, b) => compareChildren(priority, outputBytes, a, b));
      }
    }
    this.stamp = new Int32Array(plan.taskCount).fill(-1);
  }

  /** The schedule of one leaf (any task may be used as a start; Wukong starts at leaves). */
  scheduleFrom(leaf: number): Schedule {
    const plan = this.plan;
    if (!Number.isInteger(leaf) || leaf < 0 || leaf >= plan.taskCount) {
      throw new TaskIndexError(leaf, plan.taskCount);
    }
    const offsets = plan.dependentOffsets;
    const ordered = this.ordered;
    const stamp = this.stamp;
    const mark = this.nextStamp++;
    const tasks: number[] = [];
    const become: number[] = [];
    const invokeOffsets: number[] = [0];
    const invoke: number[] = [];
    const stack: number[] = [leaf];
    while (stack.length > 0) {
      const v = stack.pop() as number;
      if (stamp[v] === mark) continue;
      stamp[v] = mark;
      tasks.push(v);
      const start = offsets[v] as number;
      const end = offsets[v + 1] as number;
      become.push(start < end ? (ordered[start] as number) : -1);
      for (let e = start + 1; e < end; e++) invoke.push(ordered[e] as number);
      invokeOffsets.push(invoke.length);
      // Push in reverse so the become child is explored first, then the invoked ones in order.
      for (let e = end - 1; e >= start; e--) {
        const c = ordered[e] as number;
        if (stamp[c] !== mark) stack.push(c);
      }
    }
    return {
      leaf,
      tasks: Uint32Array.from(tasks),
      become: Int32Array.from(become),
      invokeOffsets: Uint32Array.from(invokeOffsets),
      invoke: Uint32Array.from(invoke),
    };
  }
}

/** Wukong's static schedules: one per leaf, in the order of plan.leaves. */
export function staticSchedules(plan: Plan): Schedule[] {
  const scheduler = new StaticScheduler(plan);
  return Array.from(plan.leaves, (leaf) => scheduler.scheduleFrom(leaf));
}

/** One task of a schedule, by key: what the executor does after running it. */
export interface ScheduleStep {
  readonly task: string;
  /** the child to become, null at a final */
  readonly become: string | null;
  /** the children to invoke */
  readonly invoke: readonly string[];
}

/** A schedule by key, for printing and tests. */
export interface ScheduleDescription {
  readonly leaf: string;
  readonly steps: readonly ScheduleStep[];
}

export function describeSchedule(plan: Plan, schedule: Schedule): ScheduleDescription {
  const steps: ScheduleStep[] = [];
  for (let k = 0; k < schedule.tasks.length; k++) {
    const b = schedule.become[k] as number;
    const invoke: string[] = [];
    for (let e = schedule.invokeOffsets[k] as number; e < (schedule.invokeOffsets[k + 1] as number); e++) {
      invoke.push(plan.keys[schedule.invoke[e] as number] as string);
    }
    steps.push({
      task: plan.keys[schedule.tasks[k] as number] as string,
      become: b < 0 ? null : (plan.keys[b] as string),
      invoke,
    });
  }
  return { leaf: plan.keys[schedule.leaf] as string, steps };
}
