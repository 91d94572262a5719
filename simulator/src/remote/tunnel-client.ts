// The user side of remote access tunnels through the backend's admin API: open one and wait for the
// device to configure it, list, close. The CLI and the TUI share it.
import { VfleetError } from '@vfleet/core';
import { peerText, type AdminClient } from '../backend/admin-client.js';

/** A tunnel as the admin API returns it (protocol §7.2 fields, plus where users connect). */
export interface TunnelRow {
  uuid: string;
  prn: string;
  device_uuid: string;
  state: 'requested' | 'open' | 'closed';
  device_tunnel_port: number;
  device_proxy_ip_address: string | null;
  server_proxy_ip_address: string | null;
  expires_at: string;
  close_reason: string | null;
  /** `127.0.0.1:<port>` when this backend carries the tunnel's traffic, else null. */
  local_address: string | null;
  /** The device's last WireGuard handshake with the backend; null until its end is up. */
  last_handshake_at: string | null;
}

export interface OpenTunnelOptions {
  client: AdminClient;
  /** Device identifier (`EI-ML-0001`), UUID or PRN. */
  device: string;
  port: number;
  ttlSeconds?: number;
  /** How long the device has to configure the tunnel (default 30 s). */
  timeoutMs?: number;
  pollMs?: number;
  signal?: AbortSignal;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// The admin API's answers are checked where they are read: a broken or hostile server gets an error naming the field, not a TypeError.
type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const strOrNull: Check = (v) => v === null || typeof v === 'string';
const TUNNEL_FIELDS: Record<keyof TunnelRow, [Check, string]> = {
  uuid: [str, 'a string'],
  prn: [str, 'a string'],
  device_uuid: [str, 'a string'],
  state: [(v) => v === 'requested' || v === 'open' || v === 'closed', 'requested, open or closed'],
  device_tunnel_port: [(v) => Number.isInteger(v), 'an integer'],
  device_proxy_ip_address: [strOrNull, 'a string or null'],
  server_proxy_ip_address: [strOrNull, 'a string or null'],
  expires_at: [str, 'a string'],
  close_reason: [strOrNull, 'a string or null'],
  local_address: [strOrNull, 'a string or null'],
  last_handshake_at: [strOrNull, 'a string or null'],
};

const unexpected = (where: string, what: string, value: unknown): VfleetError =>
  new VfleetError('VFLEET_IO', `admin API answer ${where}: expected ${what}, got ${peerText(JSON.stringify(value) ?? String(value), 60)}`);

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw unexpected(where, 'an object', value);
  return value as Record<string, unknown>;
}

function list(value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw unexpected(where, 'an array', value);
  return value;
}

function tunnelRow(value: unknown, where = 'tunnel'): TunnelRow {
  const t = record(value, where);
  for (const [name, [ok, what]] of Object.entries(TUNNEL_FIELDS)) if (!ok(t[name])) throw unexpected(`${where}.${name}`, what, t[name]);
  return t as unknown as TunnelRow;
}

function deviceRef(value: unknown, where: string): { uuid: string; identifier: string } {
  const d = record(value, where);
  for (const name of ['uuid', 'identifier']) if (typeof d[name] !== 'string') throw unexpected(`${where}.${name}`, 'a string', d[name]);
  return d as { uuid: string; identifier: string };
}

const tunnelOf = async (answer: Promise<Record<string, unknown>>): Promise<TunnelRow> => tunnelRow((await answer)['tunnel']);

/** A device's UUID from its identifier, UUID or PRN. */
export async function resolveDevice(client: AdminClient, device: string): Promise<{ uuid: string; identifier: string }> {
  if (UUID.test(device) || device.startsWith('prn:')) {
    return deviceRef((await client.call('GET', `/api/v1/devices/${encodeURIComponent(device)}`))['device'], 'device');
  }
  const devices = list((await client.call('GET', `/api/v1/devices?identifier=${encodeURIComponent(device)}`))['devices'], 'devices');
  if (devices.length === 0) throw new VfleetError('VFLEET_USAGE', `device ${JSON.stringify(device)}: not known to the backend (has it connected once?)`);
  return deviceRef(devices[0], 'devices[0]');
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason as Error);
    }, { once: true });
  });

/**
 * Requests a tunnel and resolves once the device has opened it (and, where the backend carries
 * the traffic, its WireGuard end has shaken hands); rejects with why it did not.
 */
export async function openTunnel(o: OpenTunnelOptions): Promise<TunnelRow> {
  const device = await resolveDevice(o.client, o.device);
  const tunnel = await tunnelOf(o.client.call('POST', '/api/v1/tunnels', {
    device_uuid: device.uuid,
    device_tunnel_port: o.port,
    ...(o.ttlSeconds === undefined ? {} : { ttl_seconds: o.ttlSeconds }),
  }));
  const deadline = Date.now() + (o.timeoutMs ?? 30_000);
  let t = tunnel;
  const waiting = (x: TunnelRow) => x.state === 'requested' || (x.state === 'open' && x.local_address !== null && x.last_handshake_at === null);
  while (waiting(t)) {
    if (Date.now() > deadline) {
      await closeTunnel(o.client, t.uuid).catch(() => undefined);
      const within = `within ${(o.timeoutMs ?? 30_000) / 1000} s`;
      throw new VfleetError('VFLEET_IO', t.state === 'requested'
        ? `tunnel to ${device.identifier}:${o.port}: the device did not open it ${within} (offline, tunnels disabled, or port ${o.port} not in its service_ports)`
        : `tunnel to ${device.identifier}:${o.port}: the device configured it but its WireGuard end never shook hands ${within} (can it reach the backend over UDP?)`);
    }
    await sleep(o.pollMs ?? 200, o.signal);
    t = await tunnelOf(o.client.call('GET', `/api/v1/tunnels/${encodeURIComponent(t.uuid)}`));
  }
  if (t.state === 'closed') throw new VfleetError('VFLEET_IO', `tunnel to ${device.identifier}:${o.port}: closed before it opened (${t.close_reason === null ? 'no reason given' : peerText(t.close_reason, 100)})`);
  return t;
}

export async function listTunnels(client: AdminClient, filter: { state?: TunnelRow['state']; device?: string } = {}): Promise<TunnelRow[]> {
  const q = new URLSearchParams();
  if (filter.state !== undefined) q.set('state', filter.state);
  if (filter.device !== undefined) q.set('device_uuid', (await resolveDevice(client, filter.device)).uuid);
  const tunnels = list((await client.call('GET', `/api/v1/tunnels${q.size > 0 ? `?${q}` : ''}`))['tunnels'], 'tunnels');
  return tunnels.map((t, i) => tunnelRow(t, `tunnels[${i}]`));
}

/** Closes a tunnel (UUID or PRN): the device is told, the server end goes. */
export async function closeTunnel(client: AdminClient, id: string): Promise<TunnelRow> {
  return tunnelOf(client.call('POST', `/api/v1/tunnels/${encodeURIComponent(id)}/close`));
}

export async function extendTunnel(client: AdminClient, id: string, ttlSeconds: number): Promise<TunnelRow> {
  return tunnelOf(client.call('POST', `/api/v1/tunnels/${encodeURIComponent(id)}/extend`, { ttl_seconds: ttlSeconds }));
}
