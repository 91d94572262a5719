// Checks of what the server sends about tunnels: the configure reply (§7.3), `GET /tunnels` (§7.5)
// and the socket events' payloads (§4.5). Each returns a value or a message naming the bad field.
import type { HttpResult } from '../types.js';
import { quoted } from '../connect/log-text.js';
import { parseIpv4 } from './cidr.js';
import { WG_KEY } from './wg-keys.js';

export interface ConfiguredTunnel {
  prn: string;
  expiresAt: string;
  deviceIp: string;
  serverProxyIp: string;
  serverTunnelIp: string;
  serverProxyPort: number;
  serverPublicKey: string;
}

export interface ServerTunnel {
  prn: string;
  state: string;
  dport: number;
  expiresAt: string | undefined;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPort = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 65535;
const isTime = (v: unknown): v is string => typeof v === 'string' && !Number.isNaN(Date.parse(v));
const excerpt = (body: unknown): string => quoted(body);

export function parseConfigureReply(r: HttpResult): ConfiguredTunnel | string {
  if (r.status < 200 || r.status > 299) return `configure answered ${r.status}: ${excerpt(r.body)}`;
  const d = isObject(r.body) ? r.body['data'] : undefined;
  if (!isObject(d)) return `configure reply: $.data: expected an object, got ${excerpt(r.body)}`;
  const bad = (field: string, what: string) => `configure reply: $.data.${field}: expected ${what}, got ${JSON.stringify(d[field]) ?? 'nothing'}`;
  const ip = (field: string) => typeof d[field] === 'string' && parseIpv4(d[field]) !== undefined;
  if (typeof d['prn'] !== 'string') return bad('prn', 'a tunnel PRN');
  if (!isTime(d['expires_at'])) return bad('expires_at', 'an ISO-8601 time');
  if (!ip('device_proxy_ip_address')) return bad('device_proxy_ip_address', 'a dotted IPv4 address');
  if (!ip('server_proxy_ip_address')) return bad('server_proxy_ip_address', 'a dotted IPv4 address');
  if (typeof d['server_tunnel_ip_address'] !== 'string' || !/^[A-Za-z0-9.:-]+$/.test(d['server_tunnel_ip_address'])) return bad('server_tunnel_ip_address', 'a host address');
  if (!isPort(d['server_proxy_port'])) return bad('server_proxy_port', 'a port number');
  if (typeof d['server_public_key'] !== 'string' || !WG_KEY.test(d['server_public_key'])) return bad('server_public_key', 'a base64 WireGuard public key');
  return {
    prn: d['prn'],
    expiresAt: d['expires_at'],
    deviceIp: d['device_proxy_ip_address'] as string,
    serverProxyIp: d['server_proxy_ip_address'] as string,
    serverTunnelIp: d['server_tunnel_ip_address'],
    serverProxyPort: d['server_proxy_port'],
    serverPublicKey: d['server_public_key'],
  };
}

export function parseTunnelList(r: HttpResult): ServerTunnel[] | string {
  if (r.status < 200 || r.status > 299) return `GET /tunnels answered ${r.status}: ${excerpt(r.body)}`;
  const list = isObject(r.body) ? r.body['tunnels'] : undefined;
  if (!Array.isArray(list)) return `GET /tunnels: $.tunnels: expected an array, got ${excerpt(r.body)}`;
  const out: ServerTunnel[] = [];
  for (const [i, t] of list.entries()) {
    if (!isObject(t) || typeof t['prn'] !== 'string' || typeof t['state'] !== 'string' || !isPort(t['device_tunnel_port'])) {
      return `GET /tunnels: $.tunnels[${i}]: expected {prn, state, device_tunnel_port}, got ${excerpt(t)}`;
    }
    out.push({ prn: t['prn'], state: t['state'], dport: t['device_tunnel_port'], expiresAt: isTime(t['expires_at']) ? t['expires_at'] : undefined });
  }
  return out;
}

export type TunnelEvent =
  | { event: 'tunnel_request'; prn: string; dport: unknown }
  | { event: 'tunnel_extend'; prn: string; expiresAt: string }
  | { event: 'tunnel_close'; prn: string };

/** A tunnel event of the device topic, a message when its payload is unusable, undefined for other events. */
export function parseTunnelEvent(event: string, payload: unknown): TunnelEvent | string | undefined {
  if (event !== 'tunnel_request' && event !== 'tunnel_extend' && event !== 'tunnel_close') return undefined;
  const p = isObject(payload) ? payload : {};
  if (typeof p['tunnel_prn'] !== 'string' || p['tunnel_prn'] === '') return `${event}: $.tunnel_prn: expected a tunnel PRN, got ${excerpt(payload)}`;
  const prn = p['tunnel_prn'];
  if (event === 'tunnel_request') return { event, prn, dport: p['device_tunnel_port'] };
  if (event === 'tunnel_close') return { event, prn };
  if (!isTime(p['expires_at'])) return `tunnel_extend: $.expires_at: expected an ISO-8601 time, got ${JSON.stringify(p['expires_at']) ?? 'nothing'}`;
  return { event, prn, expiresAt: p['expires_at'] };
}
