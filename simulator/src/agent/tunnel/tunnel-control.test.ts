// The tunnel control plane between a real agent and the embedded backend, without WireGuard: the
// backend keeps tunnels control-plane only and the device's PATH has no wg-quick.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initWorkspace } from '../../workspace/init.js';
import { loadProduct } from '../../product/product.js';
import { generateDevices } from '../../devices/generate.js';
import { evkSpecs } from '../../devices/spec.js';
import { startBackend, type Backend } from '../../backend/server.js';
import { createAdminClient, type AdminClient } from '../../backend/admin-client.js';
import { allocateAddresses, parseConfigureBody } from '../../backend/device-api/tunnels.js';
import { seedEvk } from '../../backend/evk-seed.js';
import { serverPlaneMissing } from '../../backend/wireguard/tunnel-plane.js';
import type { Tunnel } from '../../backend/store/index.js';
import { until } from '../../test-support/device.js';
import { createAgent, type Agent } from '../agent.js';
import { cidrContains, parseCidr, parseIpv4, type Cidr } from './cidr.js';
import { formatQuickConfig } from './quick-config.js';
import { wgKeyPair, WG_KEY } from './wg-keys.js';

const product = loadProduct();
let root: string;
let devices: string;
let backend: Backend;
let admin: AdminClient;
const agents: Agent[] = [];
/** EI-ML-0001's log in the first two tests. */
const first: string[] = [];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vft-tun-ctl-'));
  const home = join(root, 'home');
  devices = join(root, 'devices');
  initWorkspace({ home });
  backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0, tunnelDataPlane: false, tunnelRequestTimeoutMs: 2500 });
  admin = createAdminClient(backend.admin.url, backend.adminToken);
  await seedEvk({ home, client: admin, sizeScale: 1 / 1024 });
  await generateDevices({
    home, out: devices, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: evkSpecs(product).slice(0, 2),
    deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
  });
}, 60_000);
afterAll(async () => {
  await Promise.all(agents.map((a) => a.stop()));
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

/** An agent whose PATH has no wg-quick: tunnels get configured but cannot come up. */
async function start(id: string, lines: string[]): Promise<Agent> {
  const agent = await createAgent({ env: { PATH: '/nonexistent' }, deviceDir: join(devices, id), log: { sink: (l) => lines.push(l.trim()), format: 'console' } });
  agents.push(agent);
  await until(() => lines.some((l) => l.endsWith('[Cloud Socket] Joined Device channel')), 20_000, 25);
  return agent;
}

const deviceUuid = (id: string) => backend.store.devices.list().find((d) => d.identifier === id)?.uuid ?? '';
const tunnel = (uuid: string) => backend.store.tunnels.get(uuid) as Tunnel;
const request = async (id: string, port: number) =>
  (await admin.call<{ tunnel: Tunnel }>('POST', '/api/v1/tunnels', { device_uuid: deviceUuid(id), device_tunnel_port: port })).tunnel;
const has = (lines: string[], text: string) => lines.some((l) => l.includes(text));

describe('tunnel control plane, agent against the embedded backend', { timeout: 60_000 }, () => {
  it('configures on tunnel_request with a key, a listen port and an address from its offer, then closes device_error_interface_up without WireGuard', async () => {
    const lines = first;
    await start('EI-ML-0001', lines);
    await until(() => has(lines, '[Cloud Socket] Tunnels synchronizing'), 20_000, 25);
    const t = await request('EI-ML-0001', 22);
    await until(() => tunnel(t.uuid).state === 'closed', 20_000, 25);
    const done = tunnel(t.uuid);
    expect(done.close_reason).toBe('device_error_interface_up');
    expect(done.device_public_key).toMatch(WG_KEY);
    expect(done.device_proxy_port).toBeGreaterThanOrEqual(49152);
    const offered = ['172.16.0.0/12', '192.168.0.0/16', '10.0.0.0/8'].map((c) => parseCidr(c) as Cidr);
    expect(offered.some((c) => cidrContains(c, parseIpv4(done.device_proxy_ip_address ?? '') ?? -1))).toBe(true);
    const failed = lines.find((l) => l.includes(`Tunnel ${t.prn} failed to bring up interface`)) ?? '';
    expect(failed).toMatch(/interface peridio-[A-Z2-7]{7}: (wg-quick not found on PATH|no CAP_NET_ADMIN|no \/dev\/net\/tun)/);
    // the wg-quick file went with the tunnel
    expect(existsSync(join(devices, 'EI-ML-0001', 'root', 'tmp', `${/peridio-[A-Z2-7]{7}/.exec(failed)?.[0]}.conf`))).toBe(false);
  });

  it('refuses a port outside service_ports with peridiod’s warning and sends nothing; the server times the request out', async () => {
    const t = await request('EI-ML-0001', 80);
    await until(() => has(first, '[Cloud Socket] Remote Access Tunnel requested for port 80 but not enabled in service port list: [22]'), 20_000, 25);
    await until(() => tunnel(t.uuid).state === 'closed', 20_000, 25);
    expect(tunnel(t.uuid)).toMatchObject({ close_reason: 'request_timeout', device_public_key: null });
  });

  it('syncs after a join: configures requested tunnels, closes an open one it has no config for, resumes one it has, drops orphan configs', async () => {
    await Promise.all(agents.splice(0).map((a) => a.stop()));
    const uuid = deviceUuid('EI-ML-0001');
    const store = backend.store;
    const requested = store.tunnels.create({ device_uuid: uuid, device_tunnel_port: 22, expires_at: new Date(Date.now() + 600_000).toISOString() });
    const lost = store.tunnels.create({ device_uuid: uuid, device_tunnel_port: 22, expires_at: new Date(Date.now() + 600_000).toISOString() });
    store.tunnels.update(lost.uuid, { state: 'open', device_proxy_ip_address: '172.16.9.2', server_proxy_ip_address: '172.16.9.1' });
    const kept = store.tunnels.create({ device_uuid: uuid, device_tunnel_port: 22, expires_at: new Date(Date.now() + 600_000).toISOString() });
    store.tunnels.update(kept.uuid, { state: 'open', device_proxy_ip_address: '172.16.8.2', server_proxy_ip_address: '172.16.8.1' });
    const tmp = join(devices, 'EI-ML-0001', 'root', 'tmp');
    mkdirSync(tmp, { recursive: true });
    const conf = (ifname: string, prn: string) => formatQuickConfig({
      ifname, devicePublicKey: wgKeyPair().publicKey, privateKey: wgKeyPair().privateKey, address: '172.16.8.2', listenPort: 50000, table: 'auto', hooks: {},
      peer: { allowedIps: '172.16.8.1/32', publicKey: wgKeyPair().publicKey, endpoint: '127.0.0.1:50001', persistentKeepalive: 25 }, tunnelPrn: prn, dport: 22,
    });
    writeFileSync(join(tmp, 'peridio-KEPTAAA.conf'), conf('peridio-KEPTAAA', kept.prn), { mode: 0o600 });
    writeFileSync(join(tmp, 'peridio-ORPHANA.conf'), conf('peridio-ORPHANA', `prn:1:${store.organization().uuid}:tunnel:00000000-0000-4000-8000-000000000000`), { mode: 0o600 });

    const lines: string[] = [];
    await start('EI-ML-0001', lines);
    await until(() => [requested, lost, kept].every((t) => tunnel(t.uuid).state === 'closed'), 20_000, 25);
    expect(tunnel(lost.uuid).close_reason).toBe('device_tunnel_abnormal_down');
    expect(tunnel(requested.uuid)).toMatchObject({ close_reason: 'device_error_interface_up' });
    expect(tunnel(requested.uuid).device_public_key).toMatch(WG_KEY);
    // resumed from its config, which could not come up here either
    expect(tunnel(kept.uuid).close_reason).toBe('device_error_interface_up');
    expect(has(lines, `Tunnel ${kept.prn} failed to bring up interface peridio-KEPTAAA`)).toBe(true);
    expect(existsSync(join(tmp, 'peridio-KEPTAAA.conf'))).toBe(false);
    expect(existsSync(join(tmp, 'peridio-ORPHANA.conf'))).toBe(false);
  });

  it('closes device_error_interface_configure when the wg-quick file cannot be written', async () => {
    const config = join(devices, 'EI-ML-0002', 'peridio.json');
    const json = JSON.parse(readFileSync(config, 'utf8')) as { remote_access_tunnels: Record<string, unknown> };
    json.remote_access_tunnels['data_dir'] = '/etc/peridiod/peridio.json/tunnels'; // under a file: mkdir fails
    writeFileSync(config, JSON.stringify(json));
    const lines: string[] = [];
    const agent = await start('EI-ML-0002', lines);
    const t = await request('EI-ML-0002', 22);
    await until(() => tunnel(t.uuid).state === 'closed', 20_000, 25);
    expect(tunnel(t.uuid).close_reason).toBe('device_error_interface_configure');
    expect(lines.find((l) => l.includes(`Tunnel ${t.prn} failed to configure interface`))).toMatch(/ENOTDIR|not a directory/);
    await agent.stop();
  });

  it('refuses every request when tunnels are disabled, and skips the sync', async () => {
    const config = join(devices, 'EI-ML-0002', 'peridio.json');
    const json = JSON.parse(readFileSync(config, 'utf8')) as { remote_access_tunnels: { enabled: boolean } };
    json.remote_access_tunnels.enabled = false;
    writeFileSync(config, JSON.stringify(json));
    const lines: string[] = [];
    await start('EI-ML-0002', lines);
    await until(() => has(lines, '[Remote Access Tunnels] Disabled skipping sync'), 20_000, 25);
    const t = await request('EI-ML-0002', 22);
    await until(() => has(lines, `[Cloud Socket] Remote Access Tunnel requested but not enabled on the device: tunnel_prn=${t.prn}`), 20_000, 25);
    await until(() => tunnel(t.uuid).state === 'closed', 20_000, 25);
    expect(tunnel(t.uuid)).toMatchObject({ close_reason: 'request_timeout', device_public_key: null });
  });
});

describe('admin API for tunnels', () => {
  it('extends and closes, naming what is wrong otherwise', async () => {
    const t = await request('EI-ML-0001', 80); // refused by the device: stays requested until the timeout
    await expect(admin.call('POST', `/api/v1/tunnels/${t.uuid}/extend`, { ttl_seconds: 0 })).rejects.toThrow(/422 extend\.ttl_seconds: expected an integer from 1 to 86400, got 0/);
    await expect(admin.call('POST', `/api/v1/tunnels/${t.uuid}/extend`, { ttl: 5 })).rejects.toThrow(/400 extend\.ttl: unknown field/);
    const { tunnel: extended } = await admin.call<{ tunnel: Tunnel }>('POST', `/api/v1/tunnels/${t.prn}/extend`, { ttl_seconds: 7200 });
    expect(Date.parse(extended.expires_at) - Date.now()).toBeGreaterThan(7000_000);
    const { tunnel: closed } = await admin.call<{ tunnel: Tunnel & { local_address: unknown } }>('POST', `/api/v1/tunnels/${t.uuid}/close`);
    expect(closed).toMatchObject({ state: 'closed', close_reason: 'server_requested_close', local_address: null });
    await expect(admin.call('POST', `/api/v1/tunnels/${t.uuid}/extend`, { ttl_seconds: 60 })).rejects.toThrow(/409 tunnel .* is closed \(server_requested_close\)/);
    await expect(admin.call('POST', '/api/v1/tunnels/00000000-0000-4000-8000-000000000000/close')).rejects.toThrow(/404/);
  });
});

describe('backend tunnel offers', () => {
  it('allocates a /30 in the first offered block that has room, avoiding live tunnels and its own subnets', () => {
    const blocks = ['10.0.0.0/29', '192.168.0.0/30'].map((c) => parseCidr(c) as Cidr);
    expect(allocateAddresses(blocks, new Set())).toEqual({ server: '10.0.0.1', device: '10.0.0.2' });
    expect(allocateAddresses(blocks, new Set(['10.0.0.2']))).toEqual({ server: '10.0.0.5', device: '10.0.0.6' });
    expect(allocateAddresses(blocks, new Set(), [parseCidr('10.0.0.0/24') as Cidr])).toEqual({ server: '192.168.0.1', device: '192.168.0.2' });
    expect(allocateAddresses(blocks, new Set(['10.0.0.2', '10.0.0.6', '192.168.0.1']))).toBeUndefined();
  });

  it('says why the server cannot carry tunnel traffic', () => {
    const why = serverPlaneMissing({ PATH: '/nonexistent' });
    expect(why).toMatch(process.getuid?.() === 0 ? /^wireguard-go not found on PATH$|^no \/dev\/net\/tun$/ : /^no CAP_NET_ADMIN/);
  });

  it('names the bad field of a configure body', () => {
    const ok = { cidr_blocks: ['10.0.0.0/8'], port_ranges: ['49152-65535'], device_proxy_port: 51820, device_tunnel_port: 22, device_public_key: wgKeyPair().publicKey };
    expect(parseConfigureBody(ok)).toMatchObject({ deviceProxyPort: 51820 });
    expect(parseConfigureBody({ ...ok, cidr_blocks: ['10.0.0.0/8', '10.0.0.1'] })).toMatch(/^cidr_blocks\[1\]: expected an IPv4 CIDR/);
    expect(parseConfigureBody({ ...ok, port_ranges: ['1-2-3'] })).toMatch(/^port_ranges:/);
    expect(parseConfigureBody({ ...ok, device_public_key: 'abc' })).toMatch(/^device_public_key:/);
    expect(parseConfigureBody({ ...ok, device_proxy_port: 0 })).toMatch(/^device_proxy_port:/);
  });
});
