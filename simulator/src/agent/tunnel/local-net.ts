// What the device's own network looks like: subnets and interfaces (getifaddrs, as peridio-rat reads
// them), ports in use (the `ss -tauH` scan, read from /proc/net) and whether WireGuard can run here.
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { parseCidr, type Cidr } from './cidr.js';
import { portsInProcNet } from './ports.js';

/** IPv4 subnets assigned to local interfaces (loopback included). */
export function localSubnets(): Cidr[] {
  const out: Cidr[] = [];
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      const c = a.family === 'IPv4' && a.cidr !== null ? parseCidr(a.cidr) : undefined;
      if (c) out.push(c);
    }
  }
  return out;
}

/** Interface names with an address. */
export const interfaceNames = (): string[] => Object.keys(networkInterfaces());

/** TCP and UDP ports bound in this network namespace. */
export async function usedPorts(): Promise<Set<number>> {
  const ports = new Set<number>();
  for (const f of ['tcp', 'tcp6', 'udp', 'udp6']) {
    const text = await readFile(`/proc/net/${f}`, 'utf8').catch(() => '');
    for (const p of portsInProcNet(text)) ports.add(p);
  }
  return ports;
}

const CAP_NET_ADMIN = 12;

/** Why a WireGuard interface cannot come up here (wg-quick + wireguard-go), or undefined when it can. */
export async function dataPlaneMissing(findTool: (name: string) => Promise<string | undefined>): Promise<string | undefined> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const capEff = /^CapEff:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (capEff === undefined || (BigInt(`0x${capEff}`) & (1n << BigInt(CAP_NET_ADMIN))) === 0n) return 'no CAP_NET_ADMIN';
  try {
    await access('/dev/net/tun', constants.R_OK | constants.W_OK);
  } catch {
    return 'no /dev/net/tun';
  }
  for (const tool of ['wg-quick', 'wg', 'ip']) if ((await findTool(tool)) === undefined) return `${tool} not found on PATH`;
  return undefined;
}
