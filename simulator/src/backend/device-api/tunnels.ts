import type { Device, Tunnel } from '../store/index.js';
import { formatIpv4, parseCidr, parseIpv4, WG_KEY, type Cidr } from '../../agent/tunnel/index.js';

export type TunnelReply = { status: number; body: unknown };

/** What the device router needs from the backend's tunnel side. */
export interface DeviceTunnelHandler {
  /** `POST /tunnels/<prn>/configure` (protocol §7.3); `remoteAddress` is where the request came from. */
  configure(device: Device, tunnel: Tunnel, body: Record<string, unknown>, remoteAddress: string | undefined): Promise<TunnelReply>;
  /** `PATCH /tunnels/<prn>` `{state: "closed", close_reason}` from the device. */
  closed(device: Device, tunnel: Tunnel, reason: string | null): Tunnel;
}

/** The tunnel fields a device reads (protocol §7.2). */
export function tunnelJson(t: Tunnel): Record<string, unknown> {
  return {
    prn: t.prn,
    state: t.state,
    device_tunnel_port: t.device_tunnel_port,
    device_proxy_ip_address: t.device_proxy_ip_address,
    device_proxy_port: t.device_proxy_port,
    device_public_key: t.device_public_key,
    server_proxy_ip_address: t.server_proxy_ip_address,
    server_proxy_port: t.server_proxy_port,
    server_public_key: t.server_public_key,
    server_tunnel_ip_address: t.server_tunnel_ip_address,
    server_tunnel_port: t.server_tunnel_port,
    cidr_block_allowlist: t.cidr_block_allowlist,
    expires_at: t.expires_at,
    inserted_at: t.inserted_at,
    updated_at: t.updated_at,
  };
}

export interface ConfigureBody {
  cidrBlocks: Cidr[];
  devicePublicKey: string;
  deviceProxyPort: number;
}

/** Most CIDR blocks a configure body may offer (peridiod sends the few of its config). */
export const MAX_CIDR_BLOCKS = 256;
/** Most /30s `allocateAddresses` looks at over all blocks: bounds the work a body can cause. */
const MAX_CANDIDATES = 65_536;

/** The configure body, or a message naming the field that is wrong and what is accepted. */
export function parseConfigureBody(body: Record<string, unknown>): ConfigureBody | string {
  const blocks = body['cidr_blocks'];
  const key = body['device_public_key'];
  const port = body['device_proxy_port'];
  const ranges = body['port_ranges'];
  if (!Array.isArray(blocks)) return 'cidr_blocks: expected an array of CIDR strings';
  if (blocks.length > MAX_CIDR_BLOCKS) return `cidr_blocks: ${blocks.length} blocks; at most ${MAX_CIDR_BLOCKS} accepted`;
  const cidrs: Cidr[] = [];
  for (const [i, b] of blocks.entries()) {
    const c = typeof b === 'string' && b.includes('/') ? parseCidr(b) : undefined;
    if (c === undefined) return `cidr_blocks[${i}]: expected an IPv4 CIDR such as "172.16.0.0/12", got ${JSON.stringify(b)}`;
    cidrs.push(c);
  }
  if (ranges !== undefined && (!Array.isArray(ranges) || !ranges.every((r) => typeof r === 'string' && /^\d{1,5}-\d{1,5}$/.test(r)))) {
    return 'port_ranges: expected an array of "start-end" strings';
  }
  if (typeof key !== 'string' || !WG_KEY.test(key)) return 'device_public_key: expected a base64 WireGuard public key';
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return 'device_proxy_port: expected a port number';
  return { cidrBlocks: cidrs, devicePublicKey: key, deviceProxyPort: port };
}

/**
 * A free /30 inside the offered blocks, in their order: .1 server side, .2 device side. An address
 * is free when no live tunnel holds it and it is outside every subnet in `avoid` (the server's own).
 * Each step either finds the /30, passes one taken /30 or jumps past a whole avoided subnet, so the
 * work grows with the live tunnels and avoided subnets, not with the blocks' sizes; duplicate blocks
 * are looked at once and at most MAX_CANDIDATES /30s in all.
 */
export function allocateAddresses(blocks: readonly Cidr[], taken: ReadonlySet<string>, avoid: readonly Cidr[] = []): { server: string; device: string } | undefined {
  const takenIps = new Set<number>();
  for (const ip of taken) {
    const n = parseIpv4(ip);
    if (n !== undefined) takenIps.add(n);
  }
  const avoided = avoid.map((c) => ({ first: c.base, last: c.base + 2 ** (32 - c.prefix) - 1 }));
  /** The last address of an avoided subnet holding `n` or `n + 1` (furthest one), or -1. */
  const avoidedUntil = (n: number): number => {
    let until = -1;
    for (const a of avoided) if (n + 1 >= a.first && n <= a.last) until = Math.max(until, a.last);
    return until;
  };
  const seen = new Set<string>();
  let budget = MAX_CANDIDATES;
  for (const block of blocks) {
    const id = `${block.base}/${block.prefix}`;
    if (block.prefix > 30 || seen.has(id)) continue;
    seen.add(id);
    const end = block.base + 2 ** (32 - block.prefix);
    // the base of a /30-or-larger block is 4-aligned, so `start` is always the first address of a /30
    for (let start = block.base; start + 4 <= end && budget > 0; budget--) {
      const server = start + 1;
      const until = avoidedUntil(server);
      if (until >= 0) {
        start = until + 1 + ((4 - ((until + 1) % 4)) % 4);
        continue;
      }
      if (!takenIps.has(server) && !takenIps.has(server + 1)) return { server: formatIpv4(server), device: formatIpv4(server + 1) };
      start += 4;
    }
  }
  return undefined;
}

/** A plain IPv4 address from a socket's remote address (`::ffff:a.b.c.d` included), else undefined. */
export function remoteIpv4(address: string | undefined): string | undefined {
  const ip = address?.replace(/^::ffff:/, '');
  return ip !== undefined && parseIpv4(ip) !== undefined ? ip : undefined;
}

/** Longest close reason kept (the store's limit for `tunnel.close_reason`). */
export const MAX_CLOSE_REASON = 100;

/**
 * A device's `close_reason` as the backend keeps it: tabs and line breaks become spaces, other C0
 * controls, DEL and C1 controls (0x80-0x9F, which terminals read as CSI and friends) go, and it is
 * cut to MAX_CLOSE_REASON without splitting a surrogate pair. Null when nothing usable is left, so
 * a bad reason never costs the close itself.
 */
export function closeReason(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  let text = raw.replace(/[\t\n\r]+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f]/g, '').trim();
  if (text.length > MAX_CLOSE_REASON) {
    const cut = /[\ud800-\udbff]/.test(text.charAt(MAX_CLOSE_REASON - 1)) ? MAX_CLOSE_REASON - 1 : MAX_CLOSE_REASON;
    text = text.slice(0, cut).trimEnd();
  }
  return text === '' ? null : text;
}
