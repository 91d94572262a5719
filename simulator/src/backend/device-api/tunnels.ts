import { generateKeyPairSync } from 'node:crypto';
import type { Device, Store, Tunnel } from '../store/index.js';

export type TunnelReply = { status: number; body: unknown };

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

const ipv4ToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const intToIpv4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** Picks a free /30 inside the first offered block: .1 server side, .2 device side. */
export function allocateAddresses(cidrBlocks: readonly string[], taken: ReadonlySet<string>): { server: string; device: string } | undefined {
  for (const block of cidrBlocks) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(block);
    if (!m || Number(m[2]) > 30) continue;
    const base = ipv4ToInt(m[1] as string);
    const size = 2 ** (32 - Number(m[2]));
    for (let off = 0; off + 4 <= size && off < 4 * 65536; off += 4) {
      const device = intToIpv4(base + off + 2);
      if (!taken.has(device)) return { server: intToIpv4(base + off + 1), device };
    }
  }
  return undefined;
}

export interface TunnelServerSide {
  /** Address devices reach the server's WireGuard endpoint on. */
  endpointHost: string;
  endpointPort: number;
}

/** `POST /tunnels/<prn>/configure` (protocol §7.3). */
export function configureTunnel(store: Store, device: Device, tunnel: Tunnel, body: Record<string, unknown>, server: TunnelServerSide): TunnelReply {
  const blocks = body['cidr_blocks'];
  const key = body['device_public_key'];
  const port = body['device_proxy_port'];
  if (!Array.isArray(blocks) || !blocks.every((b) => typeof b === 'string')) return bad('cidr_blocks: expected an array of CIDR strings');
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(key)) return bad('device_public_key: expected a base64 WireGuard public key');
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return bad('device_proxy_port: expected a port number');
  if (tunnel.state !== 'requested') return { status: 409, body: { error: `tunnel is ${tunnel.state}, not requested` } };
  const taken = new Set(store.tunnels.list({ state: 'open' }).map((t) => t.device_proxy_ip_address ?? ''));
  const addresses = allocateAddresses(blocks as string[], taken);
  if (!addresses) return bad('cidr_blocks: no free /30 in the offered blocks');
  const serverKey = generateKeyPairSync('x25519').publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('base64');
  const updated = store.tunnels.update(tunnel.uuid, {
    state: 'open',
    device_public_key: key,
    device_proxy_port: port,
    device_proxy_ip_address: addresses.device,
    server_proxy_ip_address: addresses.server,
    server_public_key: serverKey,
    server_tunnel_ip_address: server.endpointHost,
    server_proxy_port: server.endpointPort,
    server_tunnel_port: server.endpointPort,
  });
  store.recordEvent('tunnel_configured', device.uuid, { tunnel: tunnel.prn, device_ip: addresses.device });
  return { status: 200, body: { data: tunnelJson(updated) } };
}

function bad(message: string): TunnelReply {
  return { status: 422, body: { error: message } };
}
