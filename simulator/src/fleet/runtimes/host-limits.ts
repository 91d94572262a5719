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

/** Problems for `count` devices against the ceilings (advisory ones are not problems). */
export function overCeilings(count: number, ceilings: PreflightReport['ceilings']): string[] {
  return ceilings.filter((c) => c.advisory !== true && c.limit < count).map((c) => `${count} devices exceed the ${c.what} ceiling of ${c.limit} (${c.note})`);
}

/**
 * Kernel socket memory one binary download holds when the device writes slower than the network
 * delivers (bench/rollout.mjs, 1,000 in-process devices and the embedded backend on one host, from
 * `ss -tm`): its receive queue grows to ~1.2–1.6 MiB and the backend's send queue to ~3.3 MiB;
 * about 3 MiB a download over a whole rollout.
 */
export const DOWNLOAD_SOCKET_BYTES = 3 * 2 ** 20;

/** tcp_mem counts pages: 4 KiB on x86-64 and most arm64 kernels; with larger pages the ceiling stated is only lower than the real one. */
const PAGE_BYTES = 4096;

/**
 * How many devices can download at once before the kernel's TCP memory reaches the pressure
 * threshold of net.ipv4.tcp_mem (pages: low, pressure, max). Past it Linux shrinks socket buffers,
 * drops segments and retransmits after timeouts (1,000 simultaneous 16 MiB downloads here: 4 to 19
 * pressure episodes, 3,700 to 40,000 retransmission timeouts a rollout); past the maximum it logs
 * "TCP: out of memory" and resets connections. Downloads then fail and are retried at the next poll.
 * `tcpMem` is the text of /proc/sys/net/ipv4/tcp_mem (readTcpMem); undefined when there is none.
 */
export function tcpDownloadCeiling(tcpMem: string | undefined): PreflightReport['ceilings'][number] | undefined {
  const pages = tcpMem?.trim().split(/\s+/).map(Number);
  if (pages?.length !== 3 || pages.some((n) => !Number.isSafeInteger(n) || n <= 0)) return undefined;
  const pressure = (pages[1] as number) * PAGE_BYTES;
  return {
    what: 'simultaneous downloads',
    limit: Math.floor(pressure / DOWNLOAD_SOCKET_BYTES),
    advisory: true,
    note: `net.ipv4.tcp_mem enters memory pressure at ${formatBytes(pressure)} of socket buffers, about ${formatBytes(DOWNLOAD_SOCKET_BYTES)} per download; past it the kernel drops and retransmits, past ${formatBytes((pages[2] as number) * PAGE_BYTES)} it resets connections (failed downloads are retried at the next poll)`,
  };
}

/** Slots are never fewer than this, whatever tcp_mem says (a device at a time would starve a rollout). */
const MIN_DOWNLOAD_SLOTS = 16;

/**
 * Downloads the in-process runtime lets its devices run at once: half of what tcp_mem's pressure
 * threshold holds (tcpDownloadCeiling), leaving the other half to everything else on the host. One
 * process on this host's cores gains nothing from more (bench/rollout.mjs, 1,000 x 16 MiB: with all
 * 1,000 at once 19 s in memory pressure, 30,000 receive-queue drops and 30,000 retransmission
 * timeouts; with 64 or 200 at once none, in the same wall time or less). Undefined (no limit) where
 * tcp_mem cannot be read.
 */
export function inprocDownloadSlots(tcpMem: string | undefined): number | undefined {
  const ceiling = tcpDownloadCeiling(tcpMem);
  return ceiling === undefined ? undefined : Math.max(MIN_DOWNLOAD_SLOTS, Math.floor(ceiling.limit / 2));
}

/** The text of /proc/sys/net/ipv4/tcp_mem; undefined where it cannot be read (not Linux). */
export function readTcpMem(): string | undefined {
  try {
    return readFileSync('/proc/sys/net/ipv4/tcp_mem', 'utf8');
  } catch {
    return undefined;
  }
}

export function formatBytes(n: number): string {
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(n >= 10 * 2 ** 20 ? 0 : 1)} MiB`;
  return `${Math.round(n / 1024)} KiB`;
}
