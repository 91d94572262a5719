// Port choices of the open flow (protocol §7.3): a free listen port and the advertised port ranges.
import type { PortRange } from '@vfleet/core';

/** peridio-rat picks the WireGuard listen port from the dynamic range, whatever port_range says. */
export const DYNAMIC_PORTS: PortRange = { start: 49152, end: 65535 };

/** Local ports in /proc/net/{tcp,udp}[6] text (the `local_address` column, `ADDR:PORT` in hex). */
export function portsInProcNet(text: string): number[] {
  const ports: number[] = [];
  for (const line of text.split('\n').slice(1)) {
    const local = line.trim().split(/\s+/)[1];
    const hex = local?.split(':').pop();
    if (hex !== undefined && /^[0-9A-Fa-f]{4}$/.test(hex)) ports.push(parseInt(hex, 16));
  }
  return ports;
}

/** A random port of `range` not in `used`, or undefined when every port is taken. */
export function pickFreePort(range: PortRange, used: ReadonlySet<number>, random: () => number = Math.random): number | undefined {
  const span = range.end - range.start + 1;
  const first = Math.floor(random() * span);
  for (let i = 0; i < span; i++) {
    const port = range.start + ((first + i) % span);
    if (!used.has(port)) return port;
  }
  return undefined;
}

/** `range` split around `used` ports, as `"a-b"` strings. */
export function freePortRanges(range: PortRange, used: ReadonlySet<number>): string[] {
  const out: string[] = [];
  const taken = [...used].filter((p) => p >= range.start && p <= range.end).sort((a, b) => a - b);
  let start = range.start;
  for (const p of taken) {
    if (p > start) out.push(`${start}-${p - 1}`);
    start = Math.max(start, p + 1);
  }
  if (start <= range.end) out.push(`${start}-${range.end}`);
  return out;
}
