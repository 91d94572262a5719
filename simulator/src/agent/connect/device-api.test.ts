import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDeviceApi, IDLE_KEEPALIVE_MS, restIdleMs, SHORT_IDLE_MS, type DeviceApiClient, type DeviceApiOptions } from './device-api.js';
import { createDevicePaths } from './device-paths.js';
import { configFor, makeTestPki, startTlsServer, type TestPki, type TestServer } from './test-fixtures.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
  peerCn: string;
}

let pki: TestPki;
let srv: TestServer | undefined;
let api: DeviceApiClient | undefined;
let dir: string | undefined;
const seen: Seen[] = [];
let reply: (res: ServerResponse) => void = (res) => {
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end('{"status":"no_update"}');
};

beforeAll(() => {
  pki = makeTestPki();
});

afterEach(async () => {
  api?.close();
  api = undefined;
  await srv?.close();
  srv = undefined;
  seen.length = 0;
  reply = (res) => {
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end('{"status":"no_update"}');
  };
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

async function start(options: Partial<DeviceApiOptions> & { host?: string } = {}): Promise<DeviceApiClient> {
  srv = await startTlsServer(pki, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += String(c)));
    req.on('end', () => {
      const peerCn = String((req.socket as TLSSocket).getPeerCertificate().subject.CN);
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, peerCn });
      reply(res);
    });
  });
  const { host = '127.0.0.1', ...rest } = options;
  api = createDeviceApi({
    config: configFor(srv.port, { host }),
    identity: pki.device,
    caPem: pki.root.certPem,
    signal: new AbortController().signal,
    ...rest,
  } as DeviceApiOptions);
  return api;
}

describe('createDeviceApi', () => {
  it('sends GET /update with the exact expand query, state headers, user agent and the device certificate', async () => {
    const a = await start({ userAgent: 'peridiod/3.4.1 (unix,linux; x86_64-pc-linux-gnu) test' });
    const result = await a.getUpdate({ 'peridio-release-version': '1.1.0', 'peridio-bundle-prn': 'prn:1:o:bundle:b' });
    expect(result).toEqual({ status: 200, body: { status: 'no_update' } });
    const s = seen[0] as Seen;
    expect(s.method).toBe('GET');
    expect(s.url).toBe(
      '/update?expand%5B%5D=manifest.binary_prn&expand%5B%5D=manifest.custom_metadata&expand%5B%5D=manifest.hash' +
        '&expand%5B%5D=manifest.target&expand%5B%5D=manifest.url&expand%5B%5D=manifest.signatures&expand%5B%5D=manifest.size' +
        '&expand%5B%5D=manifest.artifact.prn&expand%5B%5D=manifest.artifact.name&expand%5B%5D=manifest.artifact_version.prn' +
        '&expand%5B%5D=manifest.artifact_version.version&expand%5B%5D=bundle.prn&expand%5B%5D=release.prn' +
        '&expand%5B%5D=release.version&expand%5B%5D=release.version_requirement&expand%5B%5D=bundle_override&expand%5B%5D=source_type',
    );
    expect(s.headers['user-agent']).toBe('peridiod/3.4.1 (unix,linux; x86_64-pc-linux-gnu) test');
    expect(s.headers['peridio-release-version']).toBe('1.1.0');
    expect(s.headers['peridio-bundle-prn']).toBe('prn:1:o:bundle:b');
    expect(s.headers['peridio-release-prn']).toBeUndefined();
    expect(s.headers['host']).toBe(`127.0.0.1:${srv?.port}`);
    expect(s.peerCn).toBe('EI-ML-0001');
  });

  it('uses a peridiod-style default user agent and verifies the server by host name (SNI localhost)', async () => {
    const a = await start({ host: 'localhost' });
    expect(a.baseUrl).toBe(`https://localhost:${srv?.port}`);
    await a.getUpdate({});
    expect(seen[0]?.headers['user-agent']).toMatch(/^peridiod\/3\.4\.1 \(unix,linux; [a-z0-9_]+-[a-z]+-linux-gnu[a-z]*\) Node\/\d+/);
  });

  it('refuses a server its CA does not vouch for, unless device_api.verify is false', async () => {
    const a = await start({ caPem: pki.rogue.certPem });
    await expect(a.getUpdate({})).rejects.toMatchObject({ code: 'VFLEET_IO', message: expect.stringMatching(/^GET https:\/\/127\.0\.0\.1:\d+\/update: .*certificate/) as unknown });
    expect(seen).toHaveLength(0);
    a.close();
    api = createDeviceApi({
      config: configFor(srv?.port ?? 0, { verify: false }),
      identity: pki.device,
      caPem: pki.rogue.certPem,
      signal: new AbortController().signal,
    });
    expect((await api.getUpdate({})).status).toBe(200);
  });

  it('reads the CA from device_api.certificate_path through the device paths', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vfleet-api-'));
    writeFileSync(join(dir, 'peridio-cert.pem'), pki.root.certPem);
    srv = await startTlsServer(pki, (_req, res) => res.end('ok'));
    api = createDeviceApi({
      config: configFor(srv.port, { certificatePath: '/etc/peridiod/peridio-cert.pem' }),
      identity: pki.device,
      paths: createDevicePaths({ root: dir, mode: 'mapped' }),
      signal: new AbortController().signal,
    });
    expect(await api.getTunnels()).toEqual({ status: 200, body: 'ok' });
    expect(() =>
      createDeviceApi({
        config: configFor(1, { certificatePath: '/etc/peridiod/missing.pem' }),
        identity: pki.device,
        paths: createDevicePaths({ root: dir as string, mode: 'mapped' }),
        signal: new AbortController().signal,
      }),
    ).toThrow('device_api.certificate_path /etc/peridiod/missing.pem: cannot read the CA certificate (ENOENT)');
  });

  it('puts tunnel PRNs in paths verbatim, sends JSON bodies and the state headers on every call', async () => {
    const prn = 'prn:1:org-1:tunnel:3b4e0c2a-0000-4000-8000-000000000001';
    const a = await start({ stateHeaders: () => ({ 'peridio-release-version': '2.0.0' }) });
    await a.getTunnels();
    await a.configureTunnel(prn, { device_public_key: 'k', cidr_blocks: ['10.0.0.0/8'] });
    await a.closeTunnel(prn, 'normal');
    expect(seen.map((s) => `${s.method} ${s.url} ${s.body}`)).toEqual([
      'GET /tunnels ',
      `POST /tunnels/${prn}/configure {"device_public_key":"k","cidr_blocks":["10.0.0.0/8"]}`,
      `PATCH /tunnels/${prn} {"state":"closed","close_reason":"normal"}`,
    ]);
    expect(seen.map((s) => s.headers['peridio-release-version'])).toEqual(['2.0.0', '2.0.0', '2.0.0']);
    expect(seen[1]?.headers['content-type']).toBe('application/json');
    await expect(a.closeTunnel('prn:1:o:tunnel:x/../../update', 'r')).rejects.toMatchObject({ code: 'VFLEET_PRN_INVALID' });
    expect(seen).toHaveLength(3);
  });

  it('returns non-2xx and non-JSON responses as values', async () => {
    const a = await start();
    reply = (res) => {
      res.statusCode = 503;
      res.setHeader('content-type', 'application/json');
      res.end('not json{');
    };
    expect(await a.getUpdate({})).toEqual({ status: 503, body: 'not json{' });
  });

  it('gives up after the timeout with a message naming the call', async () => {
    const a = await start({ timeoutMs: 150 });
    reply = () => undefined;
    await expect(a.getUpdate({})).rejects.toThrow(/^GET https:\/\/127\.0\.0\.1:\d+\/update: no response within 150 ms$/);
  });

  it('keeps one connection alive between calls and drops it on close()', async () => {
    const a = await start();
    let connections = 0;
    let closedConnections = 0;
    srv?.server.on('secureConnection', (s: TLSSocket) => {
      connections++;
      s.on('close', () => closedConnections++);
    });
    await a.getUpdate({});
    await a.getUpdate({});
    expect(connections).toBe(1);
    a.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(closedConnections).toBe(1);
  });

  it('closes an idle connection after idleKeepAliveMs and reconnects for the next call', async () => {
    const a = await start({ idleKeepAliveMs: 100 });
    let connections = 0;
    let closedConnections = 0;
    srv?.server.on('secureConnection', (s: TLSSocket) => {
      connections++;
      s.on('close', () => closedConnections++);
    });
    await a.getUpdate({});
    await new Promise((r) => setTimeout(r, 300));
    expect(closedConnections).toBe(1);
    expect((await a.getUpdate({})).status).toBe(200);
    expect(connections).toBe(2);
  });

  it('keeps idle connections across polls only when polls come within the keep-alive time', () => {
    expect(restIdleMs(5_000)).toBe(IDLE_KEEPALIVE_MS);
    expect(restIdleMs(IDLE_KEEPALIVE_MS)).toBe(IDLE_KEEPALIVE_MS);
    expect(restIdleMs(30_000)).toBe(SHORT_IDLE_MS);
    expect(SHORT_IDLE_MS).toBeLessThan(IDLE_KEEPALIVE_MS);
  });

  it('stops when its signal aborts', async () => {
    const ac = new AbortController();
    const a = await start({ signal: ac.signal });
    reply = () => undefined;
    const pending = a.getUpdate({});
    setTimeout(() => ac.abort(), 30);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
    await expect(a.getTunnels()).rejects.toMatchObject({ name: 'AbortError' });
  });
});
