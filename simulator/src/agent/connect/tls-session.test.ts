import type { TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { createDeviceApi, type DeviceApiClient } from './device-api.js';
import { createDeviceTls, deviceConnector, type DeviceTls } from './device-tls.js';
import { createPhoenixClient, socketUrl, type PhoenixClient } from './phoenix-client.js';
import { configFor, makeTestPki, startTlsServer, type TestPki, type TestServer } from './test-fixtures.js';

let pki: TestPki;
let srv: TestServer | undefined;
let api: DeviceApiClient | undefined;
let socket: PhoenixClient | undefined;
/** Per server-side connection: resumed or full handshake, and the client certificate CN it authenticated. */
let handshakes: { reused: boolean; cn: string }[];

beforeAll(() => {
  pki = makeTestPki();
});

afterEach(async () => {
  socket?.close();
  socket = undefined;
  api?.close();
  api = undefined;
  await srv?.close();
  srv = undefined;
});

async function start(): Promise<DeviceTls> {
  handshakes = [];
  srv = await startTlsServer(pki, (req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ cn: (req.socket as TLSSocket).getPeerCertificate().subject.CN }));
  });
  srv.server.on('secureConnection', (s: TLSSocket) => {
    handshakes.push({ reused: s.isSessionReused(), cn: String(s.getPeerCertificate().subject.CN) });
  });
  return createDeviceTls({ config: configFor(srv.port), identity: pki.device, caPem: pki.root.certPem });
}

const until = async (pred: () => boolean, ms = 3000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('device TLS sessions', () => {
  it('resumes the session on the next REST connection, still authenticated as the device', async () => {
    const tls = await start();
    api = createDeviceApi({ config: configFor(srv?.port ?? 0), tls, signal: new AbortController().signal, idleKeepAliveMs: 50 });
    expect((await api.getUpdate({})).body).toEqual({ cn: 'EI-ML-0001' });
    await until(() => handshakes.length === 1 && tls.sessions.ticket !== undefined);
    await new Promise((r) => setTimeout(r, 150)); // the idle connection closes
    expect((await api.getUpdate({})).body).toEqual({ cn: 'EI-ML-0001' });
    expect(handshakes).toEqual([{ reused: false, cn: 'EI-ML-0001' }, { reused: true, cn: 'EI-ML-0001' }]);
  });

  it('sends calls made at once one after the other over one connection: one handshake', async () => {
    const tls = await start();
    api = createDeviceApi({ config: configFor(srv?.port ?? 0), tls, signal: new AbortController().signal });
    const [a, b] = await Promise.all([api.getUpdate({}), api.getTunnels()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(handshakes.map((h) => h.reused)).toEqual([false]);
  });

  it('makes a second connection of the device wait for the first handshake, then resume it', async () => {
    const tls = await start();
    const signal = new AbortController().signal;
    api = createDeviceApi({ config: configFor(srv?.port ?? 0), tls, signal });
    // a second client on the same TLS state stands in for the Phoenix socket connecting at the same time
    const other = createDeviceApi({ config: configFor(srv?.port ?? 0), tls, signal });
    try {
      const [a, b] = await Promise.all([api.getUpdate({}), other.getTunnels()]);
      expect([a.status, b.status]).toEqual([200, 200]);
      expect(handshakes.map((h) => h.reused)).toEqual([false, true]);
    } finally {
      other.close();
    }
  });

  it('lets the Phoenix socket resume the session the REST client got', async () => {
    const tls = await start();
    const wss = new WebSocketServer({ server: srv?.server, path: '/socket/websocket' });
    const joined: string[] = [];
    wss.on('connection', (ws) => {
      ws.on('message', (data) => {
        const [joinRef, ref, topic, event] = JSON.parse(String(data)) as [string, string, string, string];
        if (event === 'phx_join') ws.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]));
      });
    });
    const config = configFor(srv?.port ?? 0);
    api = createDeviceApi({ config, tls, signal: new AbortController().signal });
    await api.getUpdate({});
    socket = createPhoenixClient({
      url: socketUrl(config), tls, joinParams: () => ({}), consoleEnabled: false, signal: new AbortController().signal,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
      onEvent: () => undefined, onJoin: (topic) => joined.push(topic), requestReboot: () => undefined,
    });
    await until(() => joined.includes('device'));
    expect(handshakes).toEqual([{ reused: false, cn: 'EI-ML-0001' }, { reused: true, cn: 'EI-ML-0001' }]);
    wss.close();
  });

  it('does a full handshake again when the server no longer accepts the session', async () => {
    const tls = await start();
    api = createDeviceApi({ config: configFor(srv?.port ?? 0), tls, signal: new AbortController().signal, idleKeepAliveMs: 50 });
    await api.getUpdate({});
    await until(() => tls.sessions.ticket !== undefined);
    // new ticket keys, as after a server restart: the old ticket cannot be decrypted
    srv?.server.setTicketKeys(Buffer.alloc(48, 7));
    await new Promise((r) => setTimeout(r, 150));
    expect((await api.getUpdate({})).body).toEqual({ cn: 'EI-ML-0001' });
    expect(handshakes.map((h) => h.reused)).toEqual([false, false]);
  });

  it('hands the abort reason instead of a connection when the device stops while waiting', async () => {
    const tls = await start();
    const first = await new Promise<TLSSocket>((resolve, reject) => {
      deviceConnector(tls)({ host: '127.0.0.1', port: srv?.port ?? 0 }, (err, s) => (err ? reject(err) : resolve(s as TLSSocket)));
    });
    const ac = new AbortController();
    const second = new Promise<unknown>((resolve) => {
      deviceConnector(tls, ac.signal)({ host: '127.0.0.1', port: srv?.port ?? 0 }, (err, s) => resolve(err ?? s));
    });
    ac.abort(new Error('device stopped'));
    first.destroy(); // the first handshake ends without a session: the waiter goes on
    expect(await second).toMatchObject({ message: 'device stopped' });
  });
});
