/** The longest delay Node's timers take: a longer one fires after 1 ms (with a TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * A configured delay as a timer can wait it. peridiod's Erlang timers take any interval; here one
 * of more than ~24.8 days waits that long instead of firing at once (a poll interval of 1000h polled
 * 400 times a second).
 */
export const timerMs = (ms: number): number => Math.min(ms, MAX_TIMER_MS);
