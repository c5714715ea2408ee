/** What untilAborted resolves to when the signal fired first. */
export const ABORTED: unique symbol = Symbol('aborted');

/**
 * `p`'s outcome, or ABORTED as soon as `signal` aborts. `p` goes on unobserved: a failure it
 * meets later is dropped (nobody waits for it any more).
 */
export function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | typeof ABORTED> {
  p.catch(() => undefined);
  if (signal.aborted) return Promise.resolve(ABORTED);
  let off = (): void => undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    const on = (): void => resolve(ABORTED);
    signal.addEventListener('abort', on, { once: true });
    off = () => signal.removeEventListener('abort', on);
  });
  return Promise.race([p, aborted]).finally(off);
}
