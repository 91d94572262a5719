import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { RebootRequester } from '../types.js';
import { createDeviceTls } from './device-tls.js';
import { socketJoinParams } from './join-params.js';
import { createPhoenixClient, socketUrl, type PhoenixClient, type PhoenixClientOptions } from './phoenix-client.js';
import { RECONNECT_DELAYS_MS, reconnectDelay } from './reconnect-delay.js';
import { configFor, makeTestPki, startTlsServer, type TestPki, type TestServer } from './test-fixtures.js';

type Frame = [string | null, string | null, string, string, unknown];

interface Conn {
  ws: WebSocket;
  url: string;
  peerCn: string;
  frames: Frame[];
}

/** A minimal Phoenix v2 server: answers joins (unless told not to) and heartbeats (unless told not to). */
class FakePhoenix {
  readonly conns: Conn[] = [];
  answerHeartbeats = true;
  /** The payload of the next join replies (default `{status: 'ok', response: {}}`), as raw JSON text. */
  joinReplies: string[] = [];
  private waiters: (() => void)[] = [];
  constructor(readonly wss: WebSocketServer) {
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
      const conn: Conn = { ws, url: req.url ?? '', peerCn: String((req.socket as TLSSocket).getPeerCertificate().subject.CN), frames: [] };
      this.conns.push(conn);
      ws.on('message', (data) => {
        const f = JSON.parse(String(data)) as Frame;
        conn.frames.push(f);
        if (f[3] === 'phx_join') ws.send(`[${JSON.stringify(f[0])},${JSON.stringify(f[1])},${JSON.stringify(f[2])},"phx_reply",${this.joinReplies.shift() ?? '{"status":"ok","response":{}}'}]`);
        if (f[3] === 'heartbeat' && this.answerHeartbeats) ws.send(JSON.stringify([null, f[1], 'phoenix', 'phx_reply', { status: 'ok', response: {} }]));
        this.notify();
      });
      this.notify();
    });
  }
  private notify(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Resolves once `pred` holds, re-checked at every connection and frame. */
  async until<T>(pred: () => T | undefined | false, ms = 3000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = pred();
      if (v !== undefined && v !== false) return v;
      if (Date.now() > deadline) throw new Error('FakePhoenix: condition not met in time');
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }
  frames(i: number, event?: string, topic?: string): Frame[] {
    return (this.conns[i]?.frames ?? []).filter((f) => (event === undefined || f[3] === event) && (topic === undefined || f[2] === topic));
  }
}

let pki: TestPki;
let srv: TestServer | undefined;
let fake: FakePhoenix;
let client: PhoenixClient | undefined;
let logs: string[];
let reboots: string[];
let events: [string, string, unknown][];

beforeAll(() => {
  pki = makeTestPki();
});

afterEach(async () => {
  client?.close();
  client = undefined;
  fake?.wss.close();
  await srv?.close();
  srv = undefined;
});

const kv = new Map([
  ['peridio_active', 'a'],
  ['a.peridio_version', '1.0.0'],
  ['a.peridio_uuid', '53fd0000-0000-4000-8000-000000000000'],
  ['b.peridio_version', '0.9.0'],
]);

async function start(opts: Partial<PhoenixClientOptions> = {}, caPem?: string): Promise<PhoenixClient> {
  srv = await startTlsServer(pki);
  fake = new FakePhoenix(new WebSocketServer({ server: srv.server, path: '/socket/websocket' }));
  logs = [];
  reboots = [];
  events = [];
  const config = configFor(srv.port);
  const requestReboot: RebootRequester = (reason) => reboots.push(reason);
  client = createPhoenixClient({
    url: socketUrl(config),
    tls: createDeviceTls({ config, identity: pki.device, caPem: caPem ?? pki.root.certPem }),
    joinParams: () => socketJoinParams(kv),
    consoleEnabled: true,
    log: { debug: () => undefined, info: (m) => logs.push(m), warn: (m) => logs.push(m), error: (m) => logs.push(m) },
    signal: new AbortController().signal,
    onEvent: (t, e, p) => events.push([t, e, p]),
    requestReboot,
    reconnectDelaysMs: [20, 40],
    rejoinAfterMs: 30,
    ...opts,
  });
  return client;
}

const baseParams = {
  peridio_version: '1.0.0',
  peridio_uuid: '53fd0000-0000-4000-8000-000000000000',
  nerves_fw_uuid: '53fd0000-0000-4000-8000-000000000000',
  device_api_version: '1.0.0',
  console_version: '1.0.0',
};

describe('createPhoenixClient', () => {
  it('connects with the device certificate and joins device and console with the §4.5 params', async () => {
    const c = await start();
    await fake.until(() => c.isJoined('device') && c.isJoined('console'));
    const conn = fake.conns[0] as Conn;
    expect(conn.url).toBe('/socket/websocket?vsn=2.0.0');
    expect(conn.peerCn).toBe('EI-ML-0001');
    const [device, console] = fake.frames(0, 'phx_join');
    expect(device).toEqual(['1', '1', 'device', 'phx_join', { ...baseParams, currently_downloading_uuid: null }]);
    expect(console).toEqual(['2', '2', 'console', 'phx_join', baseParams]);
    expect(logs).toEqual(['[Cloud Socket] Joined Device channel', '[Cloud Socket] Joined Console channel: getty']);
  });

  it('joins only the device topic when the console is disabled, and pushes only on joined topics', async () => {
    const c = await start({ consoleEnabled: false });
    expect(c.push('device', 'early', {})).toBe(false);
    await fake.until(() => c.isJoined('device'));
    expect(c.push('device', 'fwup_progress', { value: 5 })).toBe(true);
    expect(c.push('console', 'up', { data: 'x' })).toBe(false);
    const pushed = await fake.until(() => fake.frames(0, 'fwup_progress')[0]);
    expect(pushed).toEqual(['1', '2', 'device', 'fwup_progress', { value: 5 }]);
    expect(fake.frames(0, 'phx_join').map((f) => f[2])).toEqual(['device']);
  });

  it('sends a heartbeat every interval and drops the socket when one goes unanswered', async () => {
    await start({ heartbeatIntervalMs: 40 });
    const beats = await fake.until(() => (fake.frames(0, 'heartbeat').length >= 3 ? fake.frames(0, 'heartbeat') : undefined));
    expect(beats.every((f) => f[0] === null && f[2] === 'phoenix' && JSON.stringify(f[4]) === '{}')).toBe(true);
    expect(new Set(beats.map((f) => f[1])).size).toBe(beats.length);
    fake.answerHeartbeats = false;
    await fake.until(() => fake.conns.length >= 2 && fake.frames(1, 'phx_join').length === 2);
    expect(logs).toContain('[Client] error: heartbeat timeout');
  });

  it('reconnects with the injected backoff after the server drops the socket, and joins again', async () => {
    const c = await start({ reconnectDelaysMs: [150], random: () => 0 });
    await fake.until(() => c.isJoined('device'));
    const droppedAt = Date.now();
    fake.conns[0]?.ws.terminate();
    await fake.until(() => fake.conns.length === 2);
    expect(Date.now() - droppedAt).toBeGreaterThanOrEqual(140);
    await fake.until(() => c.isJoined('device') && c.isJoined('console'));
    expect(fake.frames(1, 'phx_join', 'device')[0]?.[4]).toEqual({ ...baseParams, currently_downloading_uuid: null });
    expect(logs.filter((l) => l.startsWith('[Client] error: '))).toHaveLength(1);
    expect(logs.filter((l) => l === '[Cloud Socket] Joined Device channel')).toHaveLength(2);
  });

  it('rejoins a topic 5 s (here 30 ms) after the server closes it, with new refs and the stored params', async () => {
    const c = await start();
    await fake.until(() => c.isJoined('device') && c.isJoined('console'));
    const [joinRef] = fake.frames(0, 'phx_join', 'device')[0] as Frame;
    const closedAt = Date.now();
    fake.conns[0]?.ws.send(JSON.stringify([joinRef, null, 'device', 'phx_close', {}]));
    const rejoin = await fake.until(() => fake.frames(0, 'phx_join', 'device')[1]);
    expect(Date.now() - closedAt).toBeGreaterThanOrEqual(25);
    expect(rejoin[0]).not.toBe(joinRef);
    expect(rejoin[4]).toEqual(baseParams);
    await fake.until(() => c.isJoined('device'));
    expect(fake.conns).toHaveLength(1);
    expect(fake.frames(0, 'phx_join', 'console')).toHaveLength(1);
  });

  it('answers a reboot event: logs, pushes rebooting {} and then requests a reboot', async () => {
    const c = await start();
    await fake.until(() => c.isJoined('device'));
    const [joinRef] = fake.frames(0, 'phx_join', 'device')[0] as Frame;
    fake.conns[0]?.ws.send(JSON.stringify([joinRef, null, 'device', 'reboot', {}]));
    const rebooting = await fake.until(() => fake.frames(0, 'rebooting')[0]);
    expect(rebooting).toEqual([joinRef, expect.any(String), 'device', 'rebooting', {}]);
    await fake.until(() => reboots.length > 0);
    expect(reboots).toEqual(['server']);
    expect(logs).toContain('[Cloud Socket] Reboot Request');
    expect(events).toEqual([]);
  });

  it('survives frames nested 100 000 deep and a hostile join refusal: logs, ignores, rejoins', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const c = await start({ onEvent: (t, e, p) => events.push([t, e, JSON.parse(JSON.stringify(p)) as unknown]) });
    fake.joinReplies.push(`{"status":"error","response":{"reason":${deep}}}`, '{"status":"error","response":{"reason":"no\\n12:00:00.000 [info] forged"}}');
    await fake.until(() => c.isJoined('device') && c.isJoined('console'));
    expect(logs.filter((l) => l.includes('refused'))).toEqual([
      '[Client] error: join device refused: {…}',
      '[Client] error: join console refused: {"reason":"no\\n12:00:00.000 [info] forged"}',
    ]);
    const [joinRef] = fake.frames(0, 'phx_join', 'device').at(-1) as Frame;
    fake.conns[0]?.ws.send(`[${JSON.stringify(joinRef)},null,"device","tunnel_request",${deep}]`);
    fake.conns[0]?.ws.send(JSON.stringify([joinRef, null, 'device', 'tunnel_close', { tunnel_prn: 'after' }]));
    await fake.until(() => events.length === 1);
    expect(events).toEqual([['device', 'tunnel_close', { tunnel_prn: 'after' }]]);
    expect(logs.filter((l) => l.includes('failed'))).toEqual(['[Cloud Socket] device tunnel_request handler failed: Maximum call stack size exceeded']);
  });

  it('delivers other events of joined topics to onEvent and ignores stale or unknown topics', async () => {
    const c = await start();
    await fake.until(() => c.isJoined('device') && c.isJoined('console'));
    const ws = fake.conns[0]?.ws;
    ws?.send(JSON.stringify(['999', null, 'device', 'tunnel_close', { tunnel_prn: 'stale' }]));
    ws?.send(JSON.stringify([null, null, 'other', 'x', {}]));
    ws?.send('not json');
    ws?.send(JSON.stringify([null, null, 'device', 'tunnel_request', { tunnel_prn: 'prn:1:o:tunnel:t', device_tunnel_port: 22 }]));
    ws?.send(JSON.stringify(['2', null, 'console', 'dn', { data: 'ls\r' }]));
    await fake.until(() => events.length === 2);
    expect(events).toEqual([
      ['device', 'tunnel_request', { tunnel_prn: 'prn:1:o:tunnel:t', device_tunnel_port: 22 }],
      ['console', 'dn', { data: 'ls\r' }],
    ]);
  });

  it('keeps retrying, logging the TLS failure, when the server certificate is not trusted', async () => {
    await start({}, pki.rogue.certPem);
    await fake.until(() => logs.filter((l) => l.startsWith('[Client] error: ')).length >= 2);
    expect(logs[0]).toMatch(/^\[Client\] error: .*certificate/);
    expect(fake.conns).toHaveLength(0);
  });

  it('stops for good on abort: no rejoin, no heartbeat and no reconnect afterwards', async () => {
    const ac = new AbortController();
    const c = await start({ signal: ac.signal, heartbeatIntervalMs: 40, rejoinAfterMs: 60, reconnectDelaysMs: [30] });
    await fake.until(() => c.isJoined('device'));
    const [joinRef] = fake.frames(0, 'phx_join', 'device')[0] as Frame;
    fake.conns[0]?.ws.send(JSON.stringify([joinRef, null, 'device', 'phx_close', {}]));
    await fake.until(() => !c.isJoined('device'));
    ac.abort();
    expect(c.isJoined('console')).toBe(false);
    // frames written before the abort may still be on the wire
    await new Promise((r) => setTimeout(r, 30));
    const sent = fake.frames(0).length;
    // well past the rejoin delay, several heartbeat intervals and the reconnect delay
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.frames(0).length).toBe(sent);
    expect(fake.conns).toHaveLength(1);
  });
});

describe('reconnectDelay', () => {
  it('walks 1, 2, 4 … 60 s, repeats the last, and scales by a factor in [1, 1.5]', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7, 50].map((a) => reconnectDelay(a, RECONNECT_DELAYS_MS, () => 0))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000,
    ]);
    expect(reconnectDelay(0, RECONNECT_DELAYS_MS, () => 1)).toBe(1500);
    expect(reconnectDelay(6, RECONNECT_DELAYS_MS, () => 0.5)).toBe(75000);
  });
});
