// The user side of remote access tunnels through the backend's admin API: open one and wait for the
// device to configure it, list, close. The CLI and the TUI share it.
import { VfleetError } from '@vfleet/core';
import type { AdminClient } from '../backend/admin-client.js';

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

/** A device's UUID from its identifier, UUID or PRN. */
export async function resolveDevice(client: AdminClient, device: string): Promise<{ uuid: string; identifier: string }> {
  if (UUID.test(device) || device.startsWith('prn:')) {
    const { device: d } = await client.call<{ device: { uuid: string; identifier: string } }>('GET', `/api/v1/devices/${encodeURIComponent(device)}`);
    return d;
  }
  const { devices } = await client.call<{ devices: { uuid: string; identifier: string }[] }>('GET', `/api/v1/devices?identifier=${encodeURIComponent(device)}`);
  const d = devices[0];
  if (d === undefined) throw new VfleetError('VFLEET_USAGE', `device ${JSON.stringify(device)}: not known to the backend (has it connected once?)`);
  return d;
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
  const { tunnel } = await o.client.call<{ tunnel: TunnelRow }>('POST', '/api/v1/tunnels', {
    device_uuid: device.uuid,
    device_tunnel_port: o.port,
    ...(o.ttlSeconds === undefined ? {} : { ttl_seconds: o.ttlSeconds }),
  });
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
    t = (await o.client.call<{ tunnel: TunnelRow }>('GET', `/api/v1/tunnels/${t.uuid}`)).tunnel;
  }
  if (t.state === 'closed') throw new VfleetError('VFLEET_IO', `tunnel to ${device.identifier}:${o.port}: closed before it opened (${t.close_reason ?? 'no reason given'})`);
  return t;
}

export async function listTunnels(client: AdminClient, filter: { state?: TunnelRow['state']; device?: string } = {}): Promise<TunnelRow[]> {
  const q = new URLSearchParams();
  if (filter.state !== undefined) q.set('state', filter.state);
  if (filter.device !== undefined) q.set('device_uuid', (await resolveDevice(client, filter.device)).uuid);
  const { tunnels } = await client.call<{ tunnels: TunnelRow[] }>('GET', `/api/v1/tunnels${q.size > 0 ? `?${q}` : ''}`);
  return tunnels;
}

/** Closes a tunnel (UUID or PRN): the device is told, the server end goes. */
export async function closeTunnel(client: AdminClient, id: string): Promise<TunnelRow> {
  return (await client.call<{ tunnel: TunnelRow }>('POST', `/api/v1/tunnels/${encodeURIComponent(id)}/close`)).tunnel;
}

export async function extendTunnel(client: AdminClient, id: string, ttlSeconds: number): Promise<TunnelRow> {
  return (await client.call<{ tunnel: TunnelRow }>('POST', `/api/v1/tunnels/${encodeURIComponent(id)}/extend`, { ttl_seconds: ttlSeconds })).tunnel;
}
