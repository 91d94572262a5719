// peridio-rat's liveness check: 10 min after a tunnel starts, then every minute, a tunnel whose
// peer has not shaken hands for 5 min, or that sends without ever receiving, is reported inactive
// (a log line only; the tunnel stays).
import { readFile } from 'node:fs/promises';

export const LIVENESS_FIRST_MS = 10 * 60_000;
export const LIVENESS_EVERY_MS = 60_000;
const STALE_HANDSHAKE_S = 5 * 60;

export interface LivenessSample {
  /** Unix seconds of the latest handshake, 0 when there was none. */
  latestHandshake: number;
  rxPackets: number;
  txPackets: number;
}

export function tunnelInactive(s: LivenessSample, nowSeconds: number): boolean {
  return nowSeconds - s.latestHandshake > STALE_HANDSHAKE_S || (s.txPackets > 0 && s.rxPackets === 0);
}

/** The interface's packet counters from sysfs (0 when unreadable). */
export async function packetCounters(ifname: string): Promise<{ rxPackets: number; txPackets: number }> {
  const read = (name: string) => readFile(`/sys/class/net/${ifname}/statistics/${name}`, 'utf8').then(Number, () => 0);
  return { rxPackets: await read('rx_packets'), txPackets: await read('tx_packets') };
}

/** The handshake time from `wg show <if> latest-handshakes` output (`<pubkey>\t<unix s>`). */
export function latestHandshake(output: string): number {
  const times = output.split('\n').map((l) => Number(l.trim().split(/\s+/)[1])).filter((n) => Number.isFinite(n));
  return times.length === 0 ? 0 : Math.max(...times);
}
