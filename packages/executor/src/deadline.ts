/**
 * Deadline signals shared per (job, deadline): every executor of a job on one host has the same deadline,
 * so they share one AbortController and one timer instead of making a pair per task. A signal aborts with
 * a DEADLINE_EXCEEDED ExecutorError when its deadline passes and takes any number of listeners. Timers
 * are unref'd (they never keep a host alive). The signals of at most MAX_JOBS jobs are remembered, the
 * oldest job forgotten first: its timers still fire, so an op that holds its signal is still aborted on
 * time. Signals are found by the job id, then the deadline, as they are: every invocation of a job asks,
 * and a key string built per call would be allocated and hashed each time.
 */
import { setMaxListeners } from 'node:events';
import { ExecutorError } from './errors.js';

const MAX_JOBS = 256;
/** Signals by job, then by deadline (one per job, or a few where executors have earlier deadlines). */
const signals = new Map<string, Map<number, AbortSignal>>();

export function deadlineSignal(job: string, deadlineMs: number, now: number): AbortSignal {
  let byDeadline = signals.get(job);
  const known = byDeadline?.get(deadlineMs);
  if (known !== undefined) return known;
  if (byDeadline === undefined) {
    byDeadline = new Map();
    signals.set(job, byDeadline);
    if (signals.size > MAX_JOBS) signals.delete(signals.keys().next().value!);
  }
  const deadlines = byDeadline;
  const controller = new AbortController();
  setMaxListeners(0, controller.signal); // every running op of the job may listen
  const timer = setTimeout(
    () => {
      deadlines.delete(deadlineMs);
      if (deadlines.size === 0 && signals.get(job) === deadlines) signals.delete(job);
      controller.abort(new ExecutorError('DEADLINE_EXCEEDED', `job '${job}' passed its deadline`));
    },
    Math.max(0, deadlineMs - now),
  );
  timer.unref();
  deadlines.set(deadlineMs, controller.signal);
  return controller.signal;
}
