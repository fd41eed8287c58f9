/**
 * Deadline signals shared per (job, deadline): every executor of a job on one host has the same deadline,
 * so they share one AbortController and one timer instead of making a pair per task. A signal aborts with
 * a DEADLINE_EXCEEDED ExecutorError when its deadline passes and takes any number of listeners. Timers
 * are unref'd (they never keep a host alive). At most MAX_SIGNALS are remembered, the oldest forgotten
 * first: its timer still fires, so an op that holds its signal is still aborted on time.
 */
import { setMaxListeners } from 'node:events';
import { ExecutorError } from './errors.js';

const MAX_SIGNALS = 256;
const signals = new Map<string, AbortSignal>();

export function deadlineSignal(job: string, deadlineMs: number, now: number): AbortSignal {
  const id = `${job}@${deadlineMs}`;
  const known = signals.get(id);
  if (known !== undefined) return known;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every running op of the job may listen
  const timer = setTimeout(
    () => {
      signals.delete(id);
      controller.abort(new ExecutorError('DEADLINE_EXCEEDED', `job '${job}' passed its deadline`));
    },
    Math.max(0, deadlineMs - now),
  );
  timer.unref();
  signals.set(id, controller.signal);
  if (signals.size > MAX_SIGNALS) signals.delete(signals.keys().next().value!);
  return controller.signal;
}
