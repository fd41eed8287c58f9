// Bounded waiting for tests of failure paths: a call that should fail promptly must never hang.

/** What `settleWithin` returns for a promise that did not settle in time. */
export const HUNG = Symbol('hung');

/** The settled value or error of `p`, or HUNG when it has not settled within `ms`. */
export async function settleWithin<T>(p: Promise<T>, ms: number): Promise<T | unknown> {
  let timer: NodeJS.Timeout | undefined;
  const hung = new Promise((resolve) => (timer = setTimeout(() => resolve(HUNG), ms)));
  try {
    return await Promise.race([p.catch((e: unknown) => e), hung]);
  } finally {
    clearTimeout(timer);
  }
}
