/** The longest delay a Node timer takes; a longer one fires after 1 ms (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Waits `ms`, or less when `signal` aborts; resolves true when the full time passed. A delay beyond a
 * timer's limit is waited in chunks (Infinity waits for the signal); NaN counts as no delay.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  const until = Date.now() + (ms > 0 ? ms : 0);
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const done = (full: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(full);
    };
    const onAbort = () => done(false);
    const wait = () => {
      const left = until - Date.now();
      timer = left > MAX_TIMER_MS ? setTimeout(wait, MAX_TIMER_MS) : setTimeout(() => done(true), Math.max(0, left));
    };
    wait();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
