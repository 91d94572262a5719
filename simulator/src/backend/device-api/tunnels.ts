import type { Device, Tunnel } from '../store/index.js';
import { cidrContains, formatIpv4, parseCidr, parseIpv4, WG_KEY, type Cidr } from '../../agent/tunnel/index.js';

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

/** The configure body, or a message naming the field that is wrong and what is accepted. */
export function parseConfigureBody(body: Record<string, unknown>): ConfigureBody | string {
  const blocks = body['cidr_blocks'];
  const key = body['device_public_key'];
  const port = body['device_proxy_port'];
  const ranges = body['port_ranges'];
  if (!Array.isArray(blocks) || blocks.length > 100_000) return 'cidr_blocks: expected an array of CIDR strings';
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
 */
export function allocateAddresses(blocks: readonly Cidr[], taken: ReadonlySet<string>, avoid: readonly Cidr[] = []): { server: string; device: string } | undefined {
  const clash = (n: number) => taken.has(formatIpv4(n)) || avoid.some((c) => cidrContains(c, n));
  for (const block of blocks) {
    if (block.prefix > 30) continue;
    const size = 2 ** (32 - block.prefix);
    for (let off = 0; off + 4 <= size && off < 4 * 65536; off += 4) {
      const server = block.base + off + 1;
      if (!clash(server) && !clash(server + 1)) return { server: formatIpv4(server), device: formatIpv4(server + 1) };
    }
  }
  return undefined;
}

/** A plain IPv4 address from a socket's remote address (`::ffff:a.b.c.d` included), else undefined. */
export function remoteIpv4(address: string | undefined): string | undefined {
  const ip = address?.replace(/^::ffff:/, '');
  return ip !== undefined && parseIpv4(ip) !== undefined ? ip : undefined;
}
