import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Agent, request } from 'node:https';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { createIntermediateCa, createDeviceIdentity } from '@vfleet/core';
import { haveTools } from '@vfleet/core/test-support';
import { initWorkspace } from '../workspace/init.js';
import { workspacePaths } from '../workspace/home.js';
import { loadProduct } from '../product/product.js';
import { generateDevices } from '../devices/generate.js';
import { evkSpecs } from '../devices/spec.js';
import { startBackend, type Backend } from './server.js';
import { createAdminClient, type AdminClient } from './admin-client.js';
import { seedEvk } from './evk-seed.js';

let root: string;
let home: string;
let devices: string;
let backend: Backend;
let admin: AdminClient;
const product = loadProduct();
const r1001 = product.releases.find((r) => r.name === 'release-r1001');
const r1002 = product.releases.find((r) => r.name === 'release-r1002');

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-backend-'));
  home = join(root, 'home');
  devices = join(root, 'devices');
  const { manifest } = initWorkspace({ home });
  backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
  admin = createAdminClient(backend.admin.url, backend.adminToken);
  await seedEvk({ home, client: admin, sizeScale: 1 / 4096 });
  await generateDevices({
    home, out: devices, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: evkSpecs(product),
    deviceApi: backend.deviceApiUrl, deviceApiCa: backend.deviceApiCaPath,
  });
  expect(manifest.product).toBe('edge-inference');
}, 60_000);
afterAll(async () => {
  await backend?.close();
  rmSync(root, { recursive: true, force: true });
});

const dev = (id: string, file: string) => join(devices, id, file);
const org = () => backend.store.organization().uuid;
const stateHeaders = () => ({
  'peridio-release-prn': `prn:1:${org()}:release:${r1001?.uuid}`,
  'peridio-release-version': '1.1.0',
});

/** GET /update with a device's identity, as peridiod does (keep-alive off to see each auth). */
function poll(id: string, headers: Record<string, string> = stateHeaders(), certs = { cert: dev(id, 'device-certificate.pem'), key: dev(id, 'device-private-key.pem') }): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: backend.deviceApiPort, path: '/update?expand%5B%5D=manifest.binary_prn', headers, cert: readFileSync(certs.cert), key: readFileSync(certs.key), ca: readFileSync(backend.deviceApiCaPath), servername: 'localhost', agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('embedded backend', () => {
  it.skipIf(!haveTools('curl'))('answers curl with a client certificate and refuses curl without one', async () => {
    const curl = (argv: string[]) => promisify(execFile)('curl', argv, { encoding: 'utf8' }).then((r) => ({ status: 0, stdout: r.stdout }), (e: { code: number; stdout: string }) => ({ status: e.code, stdout: e.stdout }));
    const args = ['-sS', '--cacert', backend.deviceApiCaPath, '-H', `peridio-release-prn: ${stateHeaders()['peridio-release-prn']}`, '-H', 'peridio-release-version: 1.1.0', `https://localhost:${backend.deviceApiPort}/update?expand%5B%5D=manifest.binary_prn&expand%5B%5D=manifest.url`];
    const ok = await curl(['--cert', dev('EI-ML-0001', 'device-certificate.pem'), '--key', dev('EI-ML-0001', 'device-private-key.pem'), ...args]);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ status: 'no_update' });
    const none = await curl(args);
    expect(none.status).not.toBe(0);
    expect(none.stdout).toBe('');
  });

  it('refuses a certificate from a CA that is not registered', async () => {
    const paths = workspacePaths(home);
    const root = { certPem: readFileSync(paths.rootCert, 'utf8'), keyPem: readFileSync(paths.rootKey, 'utf8') };
    const rogueCa = createIntermediateCa({ commonName: 'Intermediate CA rogue', issuer: root });
    const rogue = createDeviceIdentity({ deviceId: 'EI-ML-0001', issuer: rogueCa });
    writeFileSync(join(root_(), 'rogue.pem'), rogue.certPem);
    writeFileSync(join(root_(), 'rogue-chain.pem'), rogue.certPem + rogueCa.certPem);
    writeFileSync(join(root_(), 'rogue.key'), rogue.keyPem);
    // the leaf alone does not chain to a trusted CA: the handshake is refused
    await expect(poll('EI-ML-0001', stateHeaders(), { cert: join(root_(), 'rogue.pem'), key: join(root_(), 'rogue.key') })).rejects.toThrow();
    // with its intermediate it chains to the workspace root, but that intermediate is not registered
    const res = await poll('EI-ML-0001', stateHeaders(), { cert: join(root_(), 'rogue-chain.pem'), key: join(root_(), 'rogue.key') });
    expect(res.status).toBe(403);
    expect(String(res.json['error'])).toMatch(/not issued by a registered CA/);
  });

  it('offers r1002 to a canary only once it is enabled, with a manifest of the protocol shape', async () => {
    expect((await poll('EI-ML-0001')).json).toEqual({ status: 'no_update' });
    await admin.call('PATCH', `/api/v1/releases/${r1002?.uuid}`, { disabled: false });
    const res = await poll('EI-ML-0001');
    expect(res.status).toBe(200);
    const body = res.json as { status: string; source_type: string; release: Record<string, unknown>; bundle: { prn: string }; manifest: Array<Record<string, unknown>> };
    expect(body.status).toBe('update');
    expect(body.source_type).toBe('release');
    expect(body.release).toEqual({ prn: `prn:1:${org()}:release:${r1002?.uuid}`, name: 'release-r1002', version: '2.0.0', version_requirement: '~> 1.1' });
    expect(body.manifest).toHaveLength(6);
    const item = body.manifest.find((m) => (m['artifact'] as { name: string }).name === 'edge-inference-model');
    expect(Object.keys(item ?? {}).sort()).toEqual(['artifact', 'artifact_version', 'binary_prn', 'custom_metadata', 'hash', 'signatures', 'size', 'target', 'url']);
    expect((item?.['signatures'] as Array<{ public_value: string; signature: string }>)[0]?.public_value).toMatch(/^-----BEGIN PUBLIC KEY-----/);
    // the binary URL serves bytes of the announced hash and size over plain http
    const dl = await fetch(item?.['url'] as string);
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(bytes.length).toBe(item?.['size']);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(item?.['hash']);
  });

  it('creates a JITP device on first contact and phases it in by value', async () => {
    expect(backend.store.devices.list().map((d) => d.identifier)).not.toContain('EI-ML-0004');
    expect((await poll('EI-ML-0004')).json).toEqual({ status: 'no_update' });
    const created = backend.store.devices.list().find((d) => d.identifier === 'EI-ML-0004');
    expect(created?.origin).toBe('jitp');
    expect(created?.tags).toEqual(['JITP']);
    await admin.call('PATCH', `/api/v1/releases/${r1002?.uuid}`, { phase_value: 1.0 });
    expect((await poll('EI-ML-0004')).json['status']).toBe('update');
  });

  it('resumes a device TLS session on a new connection and still knows the device (the agent resumes every REST connection)', async () => {
    const agent = new Agent({ keepAlive: false, cert: readFileSync(dev('EI-ML-0001', 'device-certificate.pem')), key: readFileSync(dev('EI-ML-0001', 'device-private-key.pem')), ca: readFileSync(backend.deviceApiCaPath), servername: 'localhost' });
    const me = (): Promise<{ reused: boolean; json: Record<string, unknown> }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: backend.deviceApiPort, path: '/device/me', agent }, (res) => {
          const reused = (res.socket as TLSSocket).isSessionReused();
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ reused, json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const first = await me();
      await new Promise((r) => setTimeout(r, 50)); // the ticket arrives after the response
      const second = await me();
      expect([first.reused, second.reused]).toEqual([false, true]);
      expect((second.json['data'] as Record<string, unknown>)['identifier']).toBe('EI-ML-0001');
    } finally {
      agent.destroy();
    }
  });

  it('sees catalog changes on a kept-alive connection: quarantine at once, a deleted device refused', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1, cert: readFileSync(dev('EI-ML-0002', 'device-certificate.pem')), key: readFileSync(dev('EI-ML-0002', 'device-private-key.pem')), ca: readFileSync(backend.deviceApiCaPath), servername: 'localhost' });
    const sockets = new Set<unknown>();
    const onAgent = (): Promise<{ status: number; json: Record<string, unknown> }> =>
      new Promise((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: backend.deviceApiPort, path: '/update', headers: stateHeaders(), agent }, (res) => {
          sockets.add(res.socket);
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown> }));
        });
        req.on('error', reject);
        req.end();
      });
    try {
      const device = backend.store.devices.list({ identifier: 'EI-ML-0002' })[0];
      expect(device).toBeDefined();
      expect((await onAgent()).status).toBe(200);
      backend.store.devices.update(device?.uuid as string, { quarantined: true });
      expect((await onAgent()).json).toEqual({ status: 'device_quarantined' });
      backend.store.devices.update(device?.uuid as string, { quarantined: false });
      expect((await onAgent()).json['status']).not.toBe('device_quarantined');
      backend.store.devices.delete(device?.uuid as string);
      expect(await onAgent()).toEqual({ status: 403, json: { error: 'device was deleted' } });
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });

  it('answers odd request targets (//, *, bad escapes) on every port without crashing or hanging', async () => {
    const adminPort = Number(new URL(backend.admin.url).port);
    /** One raw request (plain TCP or mTLS); resolves with the status line, or 'closed' when none came. */
    const raw = (port: number, head: string, tls = false): Promise<string> =>
      new Promise((resolve, reject) => {
        const sock = tls
          ? tlsConnect({ host: '127.0.0.1', port, cert: readFileSync(dev('EI-ML-0001', 'device-certificate.pem')), key: readFileSync(dev('EI-ML-0001', 'device-private-key.pem')), ca: readFileSync(backend.deviceApiCaPath), servername: 'localhost' })
          : netConnect({ host: '127.0.0.1', port });
        let got = '';
        const timer = setTimeout(() => { sock.destroy(); resolve('no answer within 5 s'); }, 5000);
        sock.once(tls ? 'secureConnect' : 'connect', () => sock.write(head));
        sock.on('data', (d: Buffer) => { got += d.toString('latin1'); });
        sock.on('error', reject);
        sock.on('close', () => { clearTimeout(timer); resolve(got.split('\r\n')[0] || 'closed'); });
      });
    const get = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`;
    const upgrade = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`;
    const authed = (target: string) => `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${backend.adminToken}\r\nConnection: close\r\n\r\n`;
    // `//` is an empty path segment, not a host: answered like any unknown path (these crashed or hung once)
    expect(await raw(adminPort, get('//'))).toBe('HTTP/1.1 401 Unauthorized');
    expect(await raw(adminPort, authed('//'))).toBe('HTTP/1.1 404 Not Found');
    expect(await raw(adminPort, upgrade('//'))).toBe('HTTP/1.1 404 Not Found');
    expect(await raw(backend.binaryPort, get('//'))).toBe('HTTP/1.1 404 Not Found');
    expect(await raw(backend.binaryPort, get('//binaries/x'))).toBe('HTTP/1.1 404 Not Found');
    expect(await raw(backend.deviceApiPort, get('//'), true)).toBe('HTTP/1.1 404 Not Found');
    expect(await raw(backend.deviceApiPort, upgrade('//'), true)).toBe('HTTP/1.1 404 Not Found');
    // a target that names no path at all is a bad request
    expect(await raw(adminPort, authed('*'))).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw(adminPort, upgrade('*'))).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw(backend.binaryPort, get('*'))).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw(backend.deviceApiPort, get('*'), true)).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw(backend.deviceApiPort, upgrade('*'), true)).toBe('HTTP/1.1 400 Bad Request');
    expect(await raw(backend.deviceApiPort, get('/tunnels/%ZZ'), true)).toBe('HTTP/1.1 400 Bad Request');
    // and every server still answers
    expect((await poll('EI-ML-0001')).status).toBe(200);
    expect(await raw(adminPort, get('/api/v1/products'))).toBe('HTTP/1.1 401 Unauthorized');
  });

  it('lets a device join the Phoenix channel and marks it online', async () => {
    const ws = new WebSocket(`wss://localhost:${backend.deviceApiPort}/socket/websocket?vsn=2.0.0`, {
      cert: readFileSync(dev('EI-ML-0002', 'device-certificate.pem')),
      key: readFileSync(dev('EI-ML-0002', 'device-private-key.pem')),
      ca: readFileSync(backend.deviceApiCaPath),
    });
    const replies: unknown[] = [];
    ws.on('message', (m) => replies.push(JSON.parse(String(m))));
    await new Promise((r, j) => ws.once('open', r).once('error', j));
    ws.send(JSON.stringify(['1', '1', 'device', 'phx_join', { device_api_version: '1.0.0' }]));
    ws.send(JSON.stringify([null, '2', 'phoenix', 'heartbeat', {}]));
    await new Promise((r) => setTimeout(r, 300));
    expect(replies).toContainEqual(['1', '1', 'device', 'phx_reply', { status: 'ok', response: {} }]);
    expect(replies).toContainEqual([null, '2', 'phoenix', 'phx_reply', { status: 'ok', response: {} }]);
    const uuid = backend.store.devices.list().find((d) => d.identifier === 'EI-ML-0002')?.uuid ?? '';
    expect(backend.socket.isOnline(uuid)).toBe(true);
    ws.close();
  });

  it('relays console output to the user even when the store cannot record the socket event', async () => {
    const device = new WebSocket(`wss://localhost:${backend.deviceApiPort}/socket/websocket?vsn=2.0.0`, {
      cert: readFileSync(dev('EI-ML-0006', 'device-certificate.pem')),
      key: readFileSync(dev('EI-ML-0006', 'device-private-key.pem')),
      ca: readFileSync(backend.deviceApiCaPath),
    });
    const replies: unknown[] = [];
    device.on('message', (m) => replies.push(JSON.parse(String(m))));
    await new Promise((r, j) => device.once('open', r).once('error', j));
    device.send(JSON.stringify(['1', '1', 'device', 'phx_join', {}]));
    device.send(JSON.stringify(['2', '2', 'console', 'phx_join', {}]));
    const uuid = () => backend.store.devices.list().find((d) => d.identifier === 'EI-ML-0006')?.uuid ?? '';
    while (backend.socket.joinParams(uuid(), 'console') === undefined) await new Promise((r) => setTimeout(r, 10));
    const user = new WebSocket(`${backend.admin.url.replace(/^http/, 'ws')}/api/v1/devices/EI-ML-0006/console/websocket`, { headers: { authorization: `Bearer ${backend.adminToken}` } });
    const output: unknown[] = [];
    user.on('message', (m) => output.push(JSON.parse(String(m))));
    await new Promise((r, j) => user.once('open', r).once('error', j));
    const record = backend.store.recordEvent;
    backend.store.recordEvent = (kind, ...rest) => {
      if (kind.startsWith('socket_')) throw new Error('events table is full');
      record(kind, ...rest);
    };
    try {
      device.send(JSON.stringify([null, '3', 'console', 'up', { data: 'login: ' }]));
      const until = Date.now() + 2000;
      while (output.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(output).toEqual([{ type: 'output', data: 'login: ' }]);
      expect(replies).toContainEqual([null, '3', 'console', 'phx_reply', { status: 'ok', response: {} }]);
    } finally {
      backend.store.recordEvent = record;
      user.close();
      device.close();
    }
  });
});

function root_(): string {
  return root;
}

describe('embedded backend start-up', () => {
  it('names the port when it is taken and leaves nothing open', async () => {
    await expect(startBackend({ home, port: backend.deviceApiPort, adminPort: 0, binaryPort: 0 })).rejects.toThrow(
      new RegExp(`^backend: device API port ${backend.deviceApiPort} on 127\\.0\\.0\\.1 is in use`),
    );
    await expect(startBackend({ home, port: 0, adminPort: 0, binaryPort: backend.binaryPort })).rejects.toThrow(/binary port \d+ on 127\.0\.0\.1 is in use/);
    await expect(startBackend({ home, port: 0, adminPort: backend.admin.port, binaryPort: 0 })).rejects.toThrow(/admin API port \d+ is in use/);
  });
});
