import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { haveTools } from '@vfleet/core/test-support';
import { RawClient, startHarness, type Harness } from './test-harness.js';
import { makeTestPki, type TestPki } from './test-pki.js';
import type { PhoenixSocketOptions } from './types.js';

const OK = { status: 'ok', response: {} };
const WS = '/socket/websocket?vsn=2.0.0';
const tls = haveTools('openssl');

let dir: string;
let pki: TestPki;
let h: Harness | undefined;
const clients: RawClient[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-socket-'));
  if (tls) pki = makeTestPki(dir, ['dev-a', 'dev-b', 'stranger']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  clients.splice(0).forEach((c) => c.ws.terminate());
  await h?.stop();
  h = undefined;
});

async function start(opts: Partial<PhoenixSocketOptions> = {}): Promise<Harness> {
  h = await startHarness(pki, opts);
  return h;
}

async function connect(cn = 'dev-a', path = WS): Promise<RawClient> {
  const c = new RawClient(`${h!.origin}${path}`, pki.ca, pki.clients[cn]);
  clients.push(c);
  await c.opened;
  return c;
}

async function joined(cn = 'dev-a', params: Record<string, unknown> = { peridio_version: '1.0.0' }): Promise<RawClient> {
  const c = await connect(cn);
  expect(await c.call(['1', '1', 'device', 'phx_join', params])).toEqual(['1', '1', 'device', 'phx_reply', OK]);
  return c;
}

describe.skipIf(!tls)('Phoenix socket server over mTLS (raw ws client)', () => {
  it('joins device and console, records params and presence, answers heartbeats with the same ref', async () => {
    const s = await start();
    const c = await joined('dev-a', { peridio_version: '1.1.0', currently_downloading_uuid: null });
    expect(await c.call(['2', '2', 'console', 'phx_join', { console_version: '1.0.0' }])).toEqual(['2', '2', 'console', 'phx_reply', OK]);
    expect(await c.call([null, '3', 'phoenix', 'heartbeat', {}])).toEqual([null, '3', 'phoenix', 'phx_reply', OK]);
    expect(s.socket.isOnline('dev-dev-a')).toBe(true);
    expect(s.socket.onlineCount()).toBe(1);
    expect(s.socket.joinParams('dev-dev-a')).toEqual({ peridio_version: '1.1.0', currently_downloading_uuid: null });
    expect(s.socket.joinParams('dev-dev-a', 'console')).toEqual({ console_version: '1.0.0' });
    expect(s.events.map((e) => e.kind)).toEqual(['join', 'online', 'join', 'heartbeat']);
  });

  it('answers frames that are not Phoenix arrays with phx_error and keeps serving', async () => {
    const s = await start();
    const c = await joined();
    const other = await joined('dev-b');
    expect(await c.call('{"topic":"device"}')).toEqual([null, null, 'phoenix', 'phx_error', { reason: expect.stringContaining('got object; expected an array of 5') }]);
    expect(await c.call('not json')).toEqual([null, null, 'phoenix', 'phx_error', { reason: expect.stringContaining('frame: not JSON') }]);
    expect(await c.call('[null,"4"]')).toEqual([null, null, 'phoenix', 'phx_error', { reason: expect.stringContaining('got an array of 2') }]);
    expect(await c.call('[null,"5","device",7,{}]')).toEqual([null, '5', 'device', 'phx_reply', { status: 'error', response: { reason: 'frame[3] event: got number; expected a non-empty string' } }]);
    expect(await c.call('["1",6,"device","up",{}]')).toEqual(['1', null, 'device', 'phx_error', { reason: 'frame[1] ref: got number; expected a string or null' }]);
    expect(await c.call([null, '7', 'phoenix', 'heartbeat', {}])).toEqual([null, '7', 'phoenix', 'phx_reply', OK]);
    expect(await other.call([null, '2', 'phoenix', 'heartbeat', {}])).toEqual([null, '2', 'phoenix', 'phx_reply', OK]);
    expect(s.events.filter((e) => e.kind === 'protocol_error')).toHaveLength(5);
    expect(s.socket.isOnline('dev-dev-a')).toBe(true);
  });

  it('answers a frame nested too deep with phx_error, joins nothing and keeps serving', async () => {
    const s = await start();
    const c = await connect();
    const deep = `["1","1","device","phx_join",{"a":${'['.repeat(500_000)}${']'.repeat(500_000)}}]`;
    expect(await c.call(deep)).toEqual([null, null, 'phoenix', 'phx_error', { reason: expect.stringMatching(/^frame: nested deeper than 64 levels/) }]);
    expect(s.socket.joinParams('dev-dev-a')).toBeUndefined();
    expect(s.events.map((e) => e.kind)).toEqual(['protocol_error']);
    expect(await c.call([null, '2', 'phoenix', 'heartbeat', {}])).toEqual([null, '2', 'phoenix', 'phx_reply', OK]);
  });

  it('reports the bytes queued toward a device, 0 for one not connected', async () => {
    const s = await start();
    await joined();
    expect(s.socket.bufferedBytes('dev-dev-a')).toBe(0);
    expect(s.socket.bufferedBytes('dev-nobody')).toBe(0);
  });

  it('replies "unmatched topic" to an unknown topic and to a push before joining', async () => {
    const s = await start();
    const c = await connect();
    const unmatched = { status: 'error', response: { reason: 'unmatched topic' } };
    expect(await c.call(['1', '1', 'room:lobby', 'phx_join', {}])).toEqual(['1', '1', 'room:lobby', 'phx_reply', unmatched]);
    expect(await c.call([null, '2', 'device', 'rebooting', {}])).toEqual([null, '2', 'device', 'phx_reply', unmatched]);
    expect(await c.call([null, '3', 'phoenix', 'nonsense', {}])).toEqual([null, '3', 'phoenix', 'phx_reply', unmatched]);
    expect(s.events.map((e) => (e.kind === 'protocol_error' ? e.message : e.kind))).toEqual([
      'topic "room:lobby": unknown; this server has "device" and "console"',
      'device "rebooting": topic not joined; send phx_join first',
      'topic "phoenix": unknown; this server has "device" and "console"',
    ]);
  });

  it('routes pushes with a null join_ref by topic and acknowledges them', async () => {
    const s = await start();
    const c = await joined();
    await c.call(['2', '2', 'console', 'phx_join', {}]);
    expect(await c.call([null, '5', 'device', 'fwup_progress', { value: 42 }])).toEqual([null, '5', 'device', 'phx_reply', OK]);
    expect(await c.call([null, '6', 'console', 'up', { data: 'login: ' }])).toEqual([null, '6', 'console', 'phx_reply', OK]);
    expect(await c.call(['1', '7', 'device', 'status_update', { status: 'fwup error boom' }])).toEqual(['1', '7', 'device', 'phx_reply', OK]);
    c.send([null, null, 'device', 'rebooting', {}]);
    expect(await c.call([null, '8', 'device', 'fwup_progress', { value: 101 }])).toEqual([null, '8', 'device', 'phx_reply',
      { status: 'error', response: { reason: 'device "fwup_progress": payload.value must be an integer 0..100' } }]);
    expect(s.events.slice(-5)).toEqual([
      { kind: 'fwup_progress', deviceUuid: 'dev-dev-a', value: 42 },
      { kind: 'console_up', deviceUuid: 'dev-dev-a', data: 'login: ' },
      { kind: 'status_update', deviceUuid: 'dev-dev-a', status: 'fwup error boom' },
      { kind: 'rebooting', deviceUuid: 'dev-dev-a' },
      { kind: 'protocol_error', deviceUuid: 'dev-dev-a', message: 'device "fwup_progress": payload.value must be an integer 0..100' },
    ]);
  });

  it('pushes reboot with the join_ref of the device channel, and only to joined topics', async () => {
    const s = await start();
    const c = await connect();
    await c.call(['9', '9', 'device', 'phx_join', {}]);
    expect(s.socket.push('dev-dev-a', 'device', 'reboot', {})).toBe(true);
    expect(await c.next()).toEqual(['9', null, 'device', 'reboot', {}]);
    expect(s.socket.push('dev-dev-a', 'console', 'dn', { data: 'x' })).toBe(false);
    expect(s.socket.push('dev-nobody', 'device', 'reboot', {})).toBe(false);
  });

  it('leaves a topic with a reply and phx_close, and goes offline', async () => {
    const s = await start();
    const c = await joined();
    expect(await c.call(['1', '4', 'device', 'phx_leave', {}])).toEqual(['1', '4', 'device', 'phx_reply', OK]);
    expect(await c.next()).toEqual(['1', '1', 'device', 'phx_close', {}]);
    expect(s.socket.isOnline('dev-dev-a')).toBe(false);
    expect(s.socket.onlineCount()).toBe(0);
    expect(s.events.slice(-2)).toEqual([
      { kind: 'leave', deviceUuid: 'dev-dev-a', topic: 'device' },
      { kind: 'offline', deviceUuid: 'dev-dev-a', identifier: 'dev-a', reason: 'left' },
    ]);
  });

  it('replaces the old connection of a device that connects again', async () => {
    const s = await start();
    const first = await joined();
    const second = await joined();
    expect(await first.closed).toEqual({ code: 4000, reason: 'replaced by a newer connection of this device' });
    expect(s.socket.onlineCount()).toBe(1);
    expect(s.socket.push('dev-dev-a', 'device', 'reboot', {})).toBe(true);
    expect(await second.next()).toEqual(['1', null, 'device', 'reboot', {}]);
    expect(s.events.filter((e) => e.kind === 'online' || e.kind === 'offline').map((e) => e.kind === 'offline' ? e.reason : e.kind))
      .toEqual(['online', 'replaced', 'online']);
  });

  it('closes a connection that sends no frame for idleTimeoutMs and keeps one that heartbeats', async () => {
    const s = await start({ idleTimeoutMs: 200 });
    const quiet = await joined('dev-a');
    const busy = await joined('dev-b');
    const beat = setInterval(() => busy.send([null, 'hb', 'phoenix', 'heartbeat', {}]), 50);
    const started = Date.now();
    expect((await quiet.closed).code).toBe(4002);
    clearInterval(beat);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(s.socket.isOnline('dev-dev-a')).toBe(false);
    expect(s.socket.isOnline('dev-dev-b')).toBe(true);
    expect(s.events).toContainEqual({ kind: 'offline', deviceUuid: 'dev-dev-a', identifier: 'dev-a', reason: 'idle_timeout' });
  });

  it('closes with 1009 on an oversize message and 1003 on a binary one, serving the others', async () => {
    const s = await start({ maxFrameBytes: 1024 });
    const big = await joined('dev-a');
    const other = await joined('dev-b');
    big.send(JSON.stringify([null, '2', 'console', 'up', { data: 'x'.repeat(2000) }]));
    expect((await big.closed).code).toBe(1009);
    expect(await other.call([null, '2', 'phoenix', 'heartbeat', {}])).toEqual([null, '2', 'phoenix', 'phx_reply', OK]);
    other.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect((await other.closed).code).toBe(1003);
    expect(s.socket.onlineCount()).toBe(0);
  });

  it('refuses a TLS client without a certificate or with an untrusted one before any upgrade', async () => {
    const s = await start();
    const bare = new RawClient(`${s.origin}${WS}`, pki.ca);
    const rogue = new RawClient(`${s.origin}${WS}`, pki.ca, pki.untrusted);
    clients.push(bare, rogue);
    await expect(bare.opened).rejects.toThrow(/certificate required|socket hang up|ECONNRESET/);
    await expect(rogue.opened).rejects.toThrow(/unknown ca|socket hang up|ECONNRESET/);
    expect(s.authenticated).toEqual([]);
  });

  it('answers 403 for an unregistered identity, 400 for another vsn and 404 for another path', async () => {
    const s = await start();
    await expect(connect('stranger')).rejects.toThrow('HTTP 403: client certificate does not belong to a registered device');
    await expect(connect('dev-a', '/socket/websocket?vsn=1.0.0')).rejects.toThrow(
      'HTTP 400: /socket/websocket: vsn=1.0.0; this server speaks the Phoenix serializer vsn=2.0.0');
    await expect(connect('dev-a', '/socket/websocket')).rejects.toThrow('HTTP 400: /socket/websocket: no vsn;');
    await expect(connect('dev-a', '/live/websocket?vsn=2.0.0')).rejects.toThrow('HTTP 404');
    expect(s.authenticated).toEqual(['stranger']);
    expect(s.socket.onlineCount()).toBe(0);
  });

  it('accepts an async authenticate and answers 500 when authenticate throws', async () => {
    await start({ authenticate: async () => ({ deviceUuid: 'dev-async', identifier: 'async' }) });
    const c = await joined('dev-a');
    expect(h!.socket.isOnline('dev-async')).toBe(true);
    c.ws.terminate();
    await h!.stop();
    await start({ authenticate: () => { throw new Error('store is locked'); } });
    await expect(connect('dev-a')).rejects.toThrow('HTTP 500: authentication failed: store is locked');
  });

  it('close() closes every connection with 1001 and reports them offline', async () => {
    const s = await start();
    const a = await joined('dev-a');
    const b = await joined('dev-b');
    await s.socket.close();
    expect([(await a.closed).code, (await b.closed).code]).toEqual([1001, 1001]);
    expect(s.socket.onlineCount()).toBe(0);
    expect(s.events.filter((e) => e.kind === 'offline').map((e) => e.kind === 'offline' && e.reason)).toEqual(['server_closing', 'server_closing']);
  });
});
