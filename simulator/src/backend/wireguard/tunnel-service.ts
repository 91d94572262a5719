// The backend's side of remote access tunnels (protocol §7): requests, configure with address
// allocation and the server WireGuard peer, device and admin closes, extend, TTL and request
// timeouts, and resuming open tunnels after a restart (same key and ports, from <home>/tunnels).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';
import { localSubnets, wgKeyPair } from '../../agent/tunnel/index.js';
import type { TunnelDataPlaneInfo, TunnelRequest } from '../admin/index.js';
import { allocateAddresses, parseConfigureBody, remoteIpv4, tunnelJson, type ConfigureBody, type DeviceTunnelHandler, type TunnelReply } from '../device-api/tunnels.js';
import type { PhoenixSocketServer } from '../socket/index.js';
import type { Device, Store, Tunnel } from '../store/index.js';
import { requestTunnel } from '../tunnel-request.js';
import type { TunnelPlane } from './tunnel-plane.js';

export interface TunnelServiceOptions {
  store: Store;
  socket: PhoenixSocketServer;
  plane: TunnelPlane;
  /** Workspace: server keys of open tunnels live in `<home>/tunnels/<uuid>.json` (0600). */
  home: string;
  /** Where devices reach the server's WireGuard endpoints (`server_tunnel_ip_address`). */
  endpointHost: string;
  /** A `requested` tunnel the device never configures is closed after this (a refusing device sends nothing). */
  requestTimeoutMs?: number;
  onError: (e: unknown) => void;
}

export interface TunnelService extends DeviceTunnelHandler {
  request(deviceUuid: string, request: TunnelRequest): Tunnel;
  /** Admin close: `tunnel_close` to the device, then the server end goes. */
  close(uuid: string, reason?: string): Promise<Tunnel>;
  extend(uuid: string, ttlSeconds: number): Tunnel;
  /** Where users connect and whether the device has shaken hands, when this backend carries the tunnel's traffic. */
  dataPlane(uuid: string): Promise<TunnelDataPlaneInfo | undefined>;
  /** After start: resume open tunnels, re-arm timers. */
  resume(): Promise<void>;
  /** Backend close: the server ends go, tunnels stay as they are in the store for the next start. */
  stop(): Promise<void>;
}

interface SavedKey {
  private_key: string;
  device_endpoint?: string;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_KEY_FILE_BYTES = 64 * 1024; // vfleet writes a key and an endpoint, under 200 bytes

export function createTunnelService(o: TunnelServiceOptions): TunnelService {
  const { store, socket, plane } = o;
  const timers = new Map<string, NodeJS.Timeout>();
  /** Tunnels whose configure is under way: a second configure of one of them gets 409. */
  const configuring = new Set<string>();
  const keyDir = join(o.home, 'tunnels');
  const keyFile = (uuid: string) => join(keyDir, `${uuid}.json`);
  let stopped = false;

  /** The saved server key of an open tunnel; throws naming the file when it is missing or damaged. */
  const readKey = (uuid: string): SavedKey => {
    const file = keyFile(uuid);
    // a FIFO put there must not hang the backend's start, nor a huge file fill its memory
    const r = readRegularFile(file, MAX_KEY_FILE_BYTES);
    if (r.status !== 'ok') {
      const why = r.status === 'not-regular' ? 'not a regular file' : r.status === 'too-big' ? `more than ${MAX_KEY_FILE_BYTES} bytes` : r.error.message;
      throw new VfleetError('VFLEET_WORKSPACE', `${file}: cannot read the server key of open tunnel ${uuid} (${why}); the tunnel is closed`, 'error' in r ? { cause: r.error } : undefined);
    }
    let v: unknown;
    try {
      v = JSON.parse(r.bytes.toString('utf8'));
    } catch {
      v = undefined;
    }
    const key = v as Partial<SavedKey> | undefined;
    if (typeof key?.private_key !== 'string' || (key.device_endpoint !== undefined && typeof key.device_endpoint !== 'string')) {
      throw new VfleetError('VFLEET_WORKSPACE', `${file}: does not hold the server key of open tunnel ${uuid} (JSON with a private_key string); the tunnel is closed`);
    }
    return key as SavedKey;
  };

  const removeKey = (uuid: string) => {
    try {
      rmSync(keyFile(uuid), { force: true });
    } catch (e) {
      o.onError(e); // a directory in its place: reported, and the rest of the close still happens
    }
  };

  const teardown = async (uuid: string) => {
    clearTimeout(timers.get(uuid));
    timers.delete(uuid);
    removeKey(uuid);
    await plane.close(uuid);
  };

  const markClosed = (t: Tunnel, reason: string): Tunnel => {
    const current = store.tunnels.get(t.uuid);
    if (!current || current.state === 'closed') return current ?? t;
    const closed = store.tunnels.update(t.uuid, { state: 'closed', close_reason: reason });
    store.recordEvent('tunnel_closed', t.device_uuid, { tunnel: t.prn, reason, by: 'server' });
    return closed;
  };

  const arm = (t: Tunnel, at: number, reason: string) => {
    clearTimeout(timers.get(t.uuid));
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(t.uuid);
      markClosed(t, reason);
      teardown(t.uuid).catch(o.onError);
    }, Math.min(Math.max(at - Date.now(), 0), MAX_TIMER_MS));
    timer.unref();
    timers.set(t.uuid, timer);
  };
  const armExpiry = (t: Tunnel) => arm(t, Date.parse(t.expires_at), 'ttl_timeout');
  const armRequest = (t: Tunnel) => arm(t, Math.min(Date.parse(t.inserted_at) + (o.requestTimeoutMs ?? 60_000), Date.parse(t.expires_at)), 'request_timeout');

  const bringUp = async (t: Tunnel, devicePublicKey: string, saved: SavedKey | undefined) => {
    const opened = await plane.open({
      uuid: t.uuid,
      serverIp: t.server_proxy_ip_address as string,
      deviceIp: t.device_proxy_ip_address as string,
      devicePublicKey,
      dport: t.device_tunnel_port,
      allowlist: t.cidr_block_allowlist,
      ...(saved?.device_endpoint === undefined ? {} : { deviceEndpoint: saved.device_endpoint }),
      ...(saved === undefined ? {} : { privateKey: saved.private_key }),
      ...(saved !== undefined && t.server_proxy_port !== null ? { listenPort: t.server_proxy_port } : {}),
      ...(saved !== undefined && t.server_tunnel_port !== null ? { forwardPort: t.server_tunnel_port } : {}),
    });
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    writeFileSync(keyFile(t.uuid), JSON.stringify({ private_key: opened.privateKey, ...(saved?.device_endpoint === undefined ? {} : { device_endpoint: saved.device_endpoint }) }), { mode: 0o600 });
    return opened;
  };

  /** Configure proper, for a tunnel no other request is configuring. */
  const configureOne = async (device: Device, stale: Tunnel, body: ConfigureBody, remoteAddress: string | undefined): Promise<TunnelReply> => {
    const tunnel = store.tunnels.get(stale.uuid) ?? stale;
    if (tunnel.state !== 'requested') return { status: 409, body: { error: `tunnel is ${tunnel.state}, not requested` } };
    const live = store.tunnels.list().filter((t) => t.state !== 'closed');
    const taken = new Set(live.flatMap((t) => [t.device_proxy_ip_address ?? '', t.server_proxy_ip_address ?? '']));
    // the server's own subnets: tunnel addresses must not shadow them
    const addresses = allocateAddresses(body.cidrBlocks, taken, plane.missing === undefined ? localSubnets() : []);
    if (!addresses) return { status: 422, body: { error: 'cidr_blocks: no free /30 in the offered blocks' } };
    const deviceIp = remoteIpv4(remoteAddress);
    let t = store.tunnels.update(tunnel.uuid, {
      device_public_key: body.devicePublicKey,
      device_proxy_port: body.deviceProxyPort,
      device_proxy_ip_address: addresses.device,
      server_proxy_ip_address: addresses.server,
      server_tunnel_ip_address: o.endpointHost,
    });
    let serverKey: string;
    let proxyPort: number;
    let forwardPort: number | null = null;
    if (plane.missing === undefined) {
      try {
        const saved = { private_key: wgKeyPair().privateKey, ...(deviceIp === undefined ? {} : { device_endpoint: `${deviceIp}:${body.deviceProxyPort}` }) };
        const opened = await bringUp(t, body.devicePublicKey, saved);
        serverKey = opened.publicKey;
        proxyPort = opened.listenPort;
        forwardPort = opened.forwardPort;
      } catch (e) {
        o.onError(e);
        markClosed(t, 'server_error_create');
        return { status: 503, body: { error: `server WireGuard peer: ${(e as Error).message}` } };
      }
      // closed (device, admin, timeout) while the peer came up: undo it rather than open a closed tunnel
      const after = store.tunnels.get(t.uuid);
      if (after?.state !== 'requested') {
        await teardown(t.uuid);
        return { status: 409, body: { error: `tunnel is ${after?.state ?? 'deleted'}, not requested` } };
      }
    } else {
      // control plane only: the device gets a real key and address, but nothing answers on the server side
      serverKey = wgKeyPair().publicKey;
      proxyPort = 51820;
      store.recordEvent('tunnel_no_data_plane', device.uuid, { tunnel: t.prn, reason: plane.missing });
    }
    t = store.tunnels.update(t.uuid, { state: 'open', server_public_key: serverKey, server_proxy_port: proxyPort, server_tunnel_port: forwardPort });
    store.recordEvent('tunnel_configured', device.uuid, { tunnel: t.prn, device_ip: addresses.device, forward_port: forwardPort });
    armExpiry(t);
    return { status: 200, body: { data: tunnelJson(t) } };
  };

  return {
    request(deviceUuid, request) {
      const t = requestTunnel(store, socket, deviceUuid, request);
      armRequest(t);
      return t;
    },

    async configure(device, tunnel, raw, remoteAddress) {
      const body = parseConfigureBody(raw);
      if (typeof body === 'string') return { status: 422, body: { error: body } };
      if (configuring.has(tunnel.uuid)) return { status: 409, body: { error: 'tunnel is being configured by another request' } };
      configuring.add(tunnel.uuid);
      try {
        return await configureOne(device, tunnel, body, remoteAddress);
      } finally {
        configuring.delete(tunnel.uuid);
      }
    },

    closed(device, tunnel, reason) {
      // closed is final: a tunnel the server closed first keeps the server's reason
      const t = tunnel.state === 'closed' ? tunnel : store.tunnels.update(tunnel.uuid, { state: 'closed', close_reason: reason });
      store.recordEvent('tunnel_closed', device.uuid, { tunnel: tunnel.prn, reason, by: 'device' });
      teardown(tunnel.uuid).catch(o.onError);
      return t;
    },

    async close(uuid, reason = 'server_requested_close') {
      const t = store.tunnels.get(uuid);
      if (!t) throw new Error(`no tunnel ${uuid}`);
      if (t.state !== 'closed') socket.push(t.device_uuid, 'device', 'tunnel_close', { tunnel_prn: t.prn });
      const closed = markClosed(t, reason);
      await teardown(uuid);
      return closed;
    },

    extend(uuid, ttlSeconds) {
      const t = store.tunnels.get(uuid);
      if (!t) throw new Error(`no tunnel ${uuid}`);
      if (t.state === 'closed') return t;
      const extended = store.tunnels.update(uuid, { expires_at: new Date(Date.now() + ttlSeconds * 1000).toISOString() });
      socket.push(t.device_uuid, 'device', 'tunnel_extend', { tunnel_prn: t.prn, expires_at: extended.expires_at });
      store.recordEvent('tunnel_extended', t.device_uuid, { tunnel: t.prn, expires_at: extended.expires_at });
      if (extended.state === 'open') armExpiry(extended);
      return extended;
    },

    async dataPlane(uuid) {
      const p = plane.get(uuid);
      if (p === undefined) return undefined;
      return { interface: p.ifname, local_address: `127.0.0.1:${p.forwardPort}`, last_handshake_at: await plane.lastHandshake(uuid) };
    },

    async resume() {
      for (const t of store.tunnels.list()) {
        if (t.state === 'requested') armRequest(t);
        if (t.state !== 'open') continue;
        if (Date.parse(t.expires_at) <= Date.now()) {
          markClosed(t, 'ttl_timeout');
          removeKey(t.uuid);
          continue;
        }
        // a tunnel opened with a data plane has a forward port and a saved key; one opened without has neither
        if (plane.missing === undefined && t.device_public_key !== null && t.server_tunnel_port !== null) {
          try {
            const saved = readKey(t.uuid);
            const opened = await bringUp(t, t.device_public_key, saved);
            // the device's peer names the old endpoint port: a tunnel that lost it cannot carry traffic
            if (opened.listenPort !== t.server_proxy_port) throw new Error(`tunnel ${t.prn}: WireGuard port ${t.server_proxy_port} is taken`);
            if (opened.forwardPort !== t.server_tunnel_port) store.tunnels.update(t.uuid, { server_tunnel_port: opened.forwardPort });
          } catch (e) {
            o.onError(e);
            socket.push(t.device_uuid, 'device', 'tunnel_close', { tunnel_prn: t.prn });
            markClosed(t, 'server_error_resume');
            await teardown(t.uuid);
            continue;
          }
        }
        armExpiry(t);
      }
    },

    async stop() {
      stopped = true;
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
      await plane.closeAll();
    },
  };
}
