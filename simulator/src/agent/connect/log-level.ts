import type { LogLevel } from '@vfleet/core';

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warning: 2, error: 3 };

export function levelEnabled(threshold: LogLevel, level: LogLevel): boolean {
  return RANK[level] >= RANK[threshold];
}

/**
 * `PERIDIO_LOG_LEVEL` as peridiod's runtime.exs reads it: debug, info or warning; any other
 * value (even "error" spelled differently) means error; unset means the prod default, info.
 */
export function logLevelFromEnv(value: string | undefined): LogLevel {
  if (value === undefined) return 'info';
  return value === 'debug' || value === 'info' || value === 'warning' ? value : 'error';
}
