/**
 * Abort subscriptions in O(1). An EventTarget walks its listener list on every add and remove (to drop
 * duplicates), so with one signal shared by hundreds of running ops — the job's deadline signal, see
 * deadline.ts — a listener per op costs time in proportion to the ops already waiting. Here a signal gets
 * one listener, which calls a set of callbacks.
 */
const subscribers = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `signal` aborts (never, if it already has: check `signal.aborted` first).
 * Returns the unsubscribe function.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = subscribers.get(signal);
  if (callbacks === undefined) {
    const created = new Set<() => void>();
    callbacks = created;
    subscribers.set(signal, created);
    signal.addEventListener(
      'abort',
      () => {
        const due = [...created];
        created.clear();
        for (const cb of due) cb();
      },
      { once: true },
    );
  }
  const own = callbacks;
  own.add(callback);
  return () => void own.delete(callback);
}
