/** Quantities written in scenarios and thresholds: durations, rates, percentages, byte rates. */
import { MAX_TIMER_MS } from '../agent/timer-ms.js';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const BYTE_UNITS: Record<string, number> = { b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/**
 * `500ms`, `2s`, `1.5m`, `1h`, `1m30s` → whole milliseconds; undefined when it is not a duration or
 * is longer than a timer can wait (MAX_TIMER_MS, about 24.8 days: a longer one would fire at once).
 */
export function parseDuration(text: string): number | undefined {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
  ms = Math.round(ms);
  return ms <= MAX_TIMER_MS ? ms : undefined;
}

/** `50/s`, `600/m`, `2.5/s` → per second. */
export function parseRate(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*\/\s*(s|m|h)\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) / ((DURATION_UNITS[m[2] as string] as number) / 1000);
}

/** `95%` → 0.95. */
export function parsePercent(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(text);
  return m ? Number(m[1]) / 100 : undefined;
}

/** `10MiB/s`, `512K/s`, `1.5 GiB/s`, `800B/s` → bytes per second. */
export function parseByteRate(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|[kmg](?:ib)?)\s*\/\s*s\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = BYTE_UNITS[(m[2] as string).toLowerCase()];
  return unit === undefined ? undefined : Number(m[1]) * unit;
}

/** 1234 → `1.23s`, 95000 → `1m35s`, 12 → `12ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${+ms.toFixed(ms < 10 ? 2 : 0)}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  if (ms < 600_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.round((ms % 60_000) / 1000);
  return s === 0 ? `${m}m` : `${m}m${s}s`;
}

/** Bytes per second for people: `12.5 MiB/s`. */
export function formatByteRate(bps: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = bps;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${+v.toFixed(v < 10 ? 2 : 1)} ${units[u]}/s`;
}

export function formatBytes(n: number): string {
  return formatByteRate(n).replace('/s', '');
}
