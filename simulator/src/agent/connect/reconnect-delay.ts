// Slipstream's reconnect schedule as peridiod configures it (Cloud.Backoff.delay_list(1000, 60000, 0.5)).

export const RECONNECT_DELAYS_MS: readonly number[] = [1000, 2000, 4000, 8000, 16000, 32000, 60000];

/** Delay before reconnect attempt `attempt` (0-based): the base (last one repeats) × a random factor in [1, 1.5]. */
export function reconnectDelay(attempt: number, bases: readonly number[], random: () => number): number {
  const base = bases[Math.min(attempt, bases.length - 1)] ?? 0;
  return Math.round(base * (1 + 0.5 * random()));
}
