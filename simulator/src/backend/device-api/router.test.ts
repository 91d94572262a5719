// The device tunnel routes over HTTP (no TLS: a stub authenticator names the device), with the real
// tunnel service on a control-plane-only data plane.
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wgKeyPair } from '../../agent/tunnel/index.js';
import { seedCatalog } from '../store/fixtures/seed.js';
import { tempStore, type TempStore } from '../store/fixtures/temp-store.js';
import { StoreError, type Device, type Tunnel } from '../store/index.js';
import { createTunnelPlane } from '../wireguard/tunnel-plane.js';
import { createTunnelService } from '../wireguard/tunnel-service.js';
import { createDeviceRouter } from './router.js';
import type { DeviceTunnelHandler } from './tunnels.js';
import { offlineSocket } from '../../test-support/offline-socket.js';

const socket = offlineSocket;

let t: TempStore;
let home: string;
let device: Device;
let server: Server | undefined;
let port: number;
const errors: unknown[] = [];

beforeEach(() => {
  t = tempStore({ flushMs: 60_000 });
  home = mkdtempSync(join(tmpdir(), 'vfleet-device-router-'));
  const { product } = seedCatalog(t.store);
  device = t.store.devices.create({ product_uuid: product.uuid, identifier: 'EI-ML-0001' });
  errors.length = 0;
});
afterEach(async () => {
  server?.closeAllConnections();
  if (server !== undefined) await new Promise((r) => server?.close(r));
  server = undefined;
  t.cleanup();
  rmSync(home, { recursive: true, force: true });
});

async function start(tunnels?: DeviceTunnelHandler): Promise<Server> {
  const service = createTunnelService({
    store: t.store, socket, plane: createTunnelPlane({ missing: 'test: control plane only' }), home, endpointHost: '127.0.0.1', onError: (e) => errors.push(e),
  });
  const route = createDeviceRouter({
    store: t.store,
    auth: { authenticate: () => ({ ok: true, device, created: false }) },
    binaryUrl: () => 'http://127.0.0.1/none',
    tunnels: tunnels ?? service,
    onError: (e) => errors.push(e),
  });
  server = createServer((req, res) => void route(req, res));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
  return server;
}

const newTunnel = (): Tunnel => t.store.tunnels.create({ device_uuid: device.uuid, device_tunnel_port: 22, expires_at: new Date(Date.now() + 3600_000).toISOString() });

/** A request whose headers go now and whose body goes on `send`. */
function held(method: string, path: string, body: unknown) {
  const text = JSON.stringify(body);
  const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) } });
  const reply = new Promise<{ status: number; json: { error?: string; data?: Record<string, unknown> } }>((resolve, reject) => {
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString()) as { error?: string } }));
    });
  });
  req.flushHeaders();
  return { send: () => req.end(text), reply };
}

const call = (method: string, path: string, body: unknown) => {
  const r = held(method, path, body);
  r.send();
  return r.reply;
};

const configureBody = () => ({ cidr_blocks: ['10.77.0.0/16'], device_proxy_port: 51820, device_public_key: wgKeyPair().publicKey });

describe('device tunnel routes', () => {
  it('configures a tunnel once when two configure requests race (the second gets 409)', async () => {
    const s = await start();
    const tunnel = newTunnel();
    const requests: unknown[] = [];
    s.on('request', (r) => requests.push(r));
    const a = held('POST', `/tunnels/${tunnel.prn}/configure`, configureBody());
    const b = held('POST', `/tunnels/${tunnel.prn}/configure`, configureBody());
    // both have been routed (and found the tunnel requested) before either body arrives
    while (requests.length < 2) await new Promise((r) => setTimeout(r, 5));
    a.send();
    b.send();
    const replies = await Promise.all([a.reply, b.reply]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(replies.find((r) => r.status === 409)?.json).toEqual({ error: 'tunnel is open, not requested' });
    const opened = replies.find((r) => r.status === 200)?.json.data;
    expect(t.store.tunnels.get(tunnel.uuid)).toMatchObject({ state: 'open', device_proxy_ip_address: opened?.['device_proxy_ip_address'] });
    expect(t.store.events.list({ kind: 'tunnel_configured', limit: 10 })).toHaveLength(1);
    expect(errors).toEqual([]);
  });

  it.each([
    ['', null],
    ['\x1b[2Jx', '[2Jx'],
    ['\u009b2J\u009b31mRED\u0085', '2J31mRED'],
    ['x'.repeat(300), 'x'.repeat(100)],
  ])('records a device close with reason %j as %j', async (reason, kept) => {
    await start();
    const tunnel = newTunnel();
    const r = await call('PATCH', `/tunnels/${tunnel.prn}`, { state: 'closed', close_reason: reason });
    expect(r.status).toBe(200);
    expect(r.json.data).toMatchObject({ state: 'closed' });
    expect(t.store.tunnels.get(tunnel.uuid)).toMatchObject({ state: 'closed', close_reason: kept });
    expect(t.store.events.list({ kind: 'tunnel_closed', limit: 10 }).map((e) => e.data)).toEqual([{ tunnel: tunnel.prn, reason: kept, by: 'device' }]);
    expect(errors).toEqual([]);
  });

  it('keeps the reason of a tunnel closed while the device close was arriving', async () => {
    const s = await start();
    const tunnel = newTunnel();
    const requests: unknown[] = [];
    s.on('request', (r) => requests.push(r));
    const patch = held('PATCH', `/tunnels/${tunnel.prn}`, { state: 'closed', close_reason: 'normal' });
    while (requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    t.store.tunnels.update(tunnel.uuid, { state: 'closed', close_reason: 'ttl_timeout' });
    patch.send();
    expect((await patch.reply).status).toBe(200);
    expect(t.store.tunnels.get(tunnel.uuid)?.close_reason).toBe('ttl_timeout');
  });

  it('answers a store rejection with a 4xx naming the field, not 500', async () => {
    const throwing: DeviceTunnelHandler = {
      configure: () => {
        throw new StoreError('conflict', 'tunnel.state', 'cannot go from closed to open');
      },
      closed: () => {
        throw new StoreError('invalid', 'tunnel.close_reason', 'contains control characters');
      },
    };
    await start(throwing);
    const tunnel = newTunnel();
    expect(await call('PATCH', `/tunnels/${tunnel.prn}`, { state: 'closed', close_reason: 'x' })).toEqual({
      status: 422,
      json: { error: 'tunnel.close_reason: contains control characters' },
    });
    expect(await call('POST', `/tunnels/${tunnel.prn}/configure`, configureBody())).toEqual({
      status: 409,
      json: { error: 'tunnel.state: cannot go from closed to open' },
    });
    expect(errors).toEqual([]);
  });

  it('refuses a configure body offering more than 256 blocks, naming the field', async () => {
    await start();
    const tunnel = newTunnel();
    const r = await call('POST', `/tunnels/${tunnel.prn}/configure`, { ...configureBody(), cidr_blocks: Array(300).fill('127.0.0.0/8') });
    expect(r).toEqual({ status: 422, json: { error: 'cidr_blocks: 300 blocks; at most 256 accepted' } });
    expect(t.store.tunnels.get(tunnel.uuid)?.state).toBe('requested');
  });
});
