import { readFileSync } from 'node:fs';
import { freemem } from 'node:os';
import type { PreflightReport } from '../types.js';

/** The soft limit on open files of this process (`ulimit -n`), from /proc; undefined off Linux. */
export function openFileLimit(): number | undefined {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!m) return undefined;
    return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    return undefined;
  }
}

/** The file-descriptor and memory ceilings every runtime states before a start. */
export function hostCeilings(opts: { fdsPerDevice: number; memoryPerDevice: number; fdsNote: string }): PreflightReport['ceilings'] {
  const ceilings: PreflightReport['ceilings'] = [];
  const fds = openFileLimit();
  if (fds !== undefined) {
    ceilings.push({ what: 'open files', limit: Math.floor(Math.max(0, fds - 64) / opts.fdsPerDevice), note: `ulimit -n ${fds}, about ${opts.fdsPerDevice} per device (${opts.fdsNote})` });
  }
  const free = freemem();
  ceilings.push({
    what: 'memory',
    limit: Math.floor(free / opts.memoryPerDevice),
    note: `${Math.round(free / 2 ** 20)} MiB free, about ${formatBytes(opts.memoryPerDevice)} per device`,
  });
  return ceilings;
}

/** Problems for `count` devices against the ceilings. */
export function overCeilings(count: number, ceilings: PreflightReport['ceilings']): string[] {
  return ceilings.filter((c) => c.limit < count).map((c) => `${count} devices exceed the ${c.what} ceiling of ${c.limit} (${c.note})`);
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(n >= 10 * 2 ** 20 ? 0 : 1)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}
