// Configure while the server peer is still coming up, on a stand-in data plane whose opens finish
// when the test says so.
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { wgKeyPair } from '../../agent/tunnel/index.js';
import { seedCatalog } from '../store/fixtures/seed.js';
import { tempStore, type TempStore } from '../store/fixtures/temp-store.js';
import type { Device, Tunnel } from '../store/index.js';
import type { PlaneOpenSpec, PlaneTunnel, TunnelPlane } from './tunnel-plane.js';
import { createTunnelService, type TunnelService } from './tunnel-service.js';
import { offlineSocket } from '../../test-support/offline-socket.js';

const socket = offlineSocket;

/** A data plane that records opens and closes; each open waits for `finish()`. */
function heldPlane() {
  const open = new Map<string, PlaneTunnel>();
  const waiting: (() => void)[] = [];
  const log: string[] = [];
  const plane: TunnelPlane = {
    missing: undefined,
    async open(spec: PlaneOpenSpec) {
      log.push(`open ${spec.deviceIp}`);
      await new Promise<void>((resolve) => waiting.push(resolve));
      const info = { uuid: spec.uuid, ifname: 'vfwg0', pid: 1, ...wgKeyPair(), listenPort: 51999, forwardPort: 40000 };
      open.set(spec.uuid, info);
      return info;
    },
    async close(uuid) {
      log.push('close');
      open.delete(uuid);
    },
    async closeAll() {
      open.clear();
    },
    list: () => [...open.values()],
    get: (uuid) => open.get(uuid),
    lastHandshake: async () => null,
  };
  const opening = async () => {
    while (waiting.length === 0) await new Promise((r) => setTimeout(r, 5));
  };
  return { plane, log, opening, finish: () => waiting.splice(0).forEach((f) => f()) };
}

let t: TempStore;
let home: string;
let device: Device;
let service: TunnelService | undefined;
const errors: unknown[] = [];

beforeEach(() => {
  t = tempStore({ flushMs: 60_000 });
  home = mkdtempSync(join(tmpdir(), 'vfleet-tunnel-service-'));
  device = t.store.devices.create({ product_uuid: seedCatalog(t.store).product.uuid, identifier: 'EI-ML-0001' });
  errors.length = 0;
});
afterEach(async () => {
  await service?.stop();
  service = undefined;
  t.cleanup();
  rmSync(home, { recursive: true, force: true });
});

function start(plane: TunnelPlane): TunnelService {
  service = createTunnelService({ store: t.store, socket, plane, home, endpointHost: '127.0.0.1', onError: (e) => errors.push(e) });
  return service;
}

const requested = (): Tunnel => service?.request(device.uuid, { device_tunnel_port: 22 }) as Tunnel;
const body = () => ({ cidr_blocks: ['198.18.0.0/16'], device_proxy_port: 51820, device_public_key: wgKeyPair().publicKey });

describe('tunnel configure with a data plane', () => {
  it('answers 409 to a second configure while the first is bringing the peer up, and opens one peer', async () => {
    const held = heldPlane();
    const s = start(held.plane);
    const tunnel = requested();
    const first = s.configure(device, tunnel, body(), '127.0.0.1');
    await held.opening();
    const second = s.configure(device, tunnel, body(), '127.0.0.1');
    const late = new Promise((r) => setTimeout(() => r('no answer while the first is under way'), 1000).unref());
    expect(await Promise.race([second, late])).toEqual({ status: 409, body: { error: 'tunnel is being configured by another request' } });
    held.finish();
    expect((await first).status).toBe(200);
    expect(held.log).toEqual(['open 198.18.0.2']);
    expect(held.plane.list()).toHaveLength(1);
    expect(t.store.tunnels.get(tunnel.uuid)?.state).toBe('open');
    // once configured, a late configure finds it open
    expect(await s.configure(device, tunnel, body(), '127.0.0.1')).toEqual({ status: 409, body: { error: 'tunnel is open, not requested' } });
    expect(errors).toEqual([]);
  });

  it('undoes the peer of a tunnel the device closed while it was coming up', async () => {
    const held = heldPlane();
    const s = start(held.plane);
    const tunnel = requested();
    const configuring = s.configure(device, tunnel, body(), '127.0.0.1');
    await held.opening();
    s.closed(device, t.store.tunnels.get(tunnel.uuid) as Tunnel, 'normal');
    held.finish();
    expect(await configuring).toEqual({ status: 409, body: { error: 'tunnel is closed, not requested' } });
    expect(held.plane.list()).toEqual([]);
    expect(t.store.tunnels.get(tunnel.uuid)).toMatchObject({ state: 'closed', close_reason: 'normal' });
    expect(errors).toEqual([]);
  });
});

describe('tunnel resume after a restart', () => {
  /** Opens a data-plane tunnel through a plane that comes up at once, then stops the service as a backend close does. */
  async function openThenStop(): Promise<Tunnel> {
    const held = heldPlane();
    const s = start(held.plane);
    const tunnel = requested();
    const configuring = s.configure(device, tunnel, body(), '127.0.0.1');
    await held.opening();
    held.finish();
    expect((await configuring).status).toBe(200);
    await s.stop();
    return t.store.tunnels.get(tunnel.uuid) as Tunnel;
  }

  it.each([
    ['garbage', (file: string) => writeFileSync(file, 'not json'), /does not hold the server key of open tunnel/],
    ['JSON without a key', (file: string) => writeFileSync(file, '{"device_endpoint":"127.0.0.1:51820"}'), /does not hold the server key/],
    ['missing', (file: string) => rmSync(file), /cannot read the server key of open tunnel .*ENOENT/],
    ['a FIFO', (file: string) => {
      rmSync(file);
      execFileSync('mkfifo', [file]);
    }, /cannot read the server key of open tunnel .*not a regular file/],
    // the key itself is intact: what it refuses is reading a file of any size into memory
    ['padded past 64 KiB', (file: string) => appendFileSync(file, ' '.repeat(64 * 1024)), /cannot read the server key of open tunnel .*more than 65536 bytes/],
  ])('closes an open tunnel whose saved key is %s, with a server error reason and an error naming the file', async (_what, damage, why) => {
    const open = await openThenStop();
    expect(open).toMatchObject({ state: 'open', server_tunnel_port: 40000 });
    const file = join(home, 'tunnels', `${open.uuid}.json`);
    damage(file);
    const held = heldPlane();
    const s = start(held.plane);
    await s.resume();
    expect(t.store.tunnels.get(open.uuid)).toMatchObject({ state: 'closed', close_reason: 'server_error_resume' });
    expect(await s.dataPlane(open.uuid)).toBeUndefined();
    expect(held.log).toEqual(['close']);
    expect(errors.map((e) => (e as Error).message)).toEqual([expect.stringContaining(file)]);
    expect((errors[0] as Error).message).toMatch(why);
  });
});
