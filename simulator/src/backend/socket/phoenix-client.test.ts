import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Socket, type Channel } from 'phoenix';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { haveTools } from '@vfleet/core/test-support';
import { startHarness, type Harness } from './test-harness.js';
import { makeTestPki, type KeyPair, type TestPki } from './test-pki.js';

/** The phoenix client wants a browser-like WebSocket constructor; this one presents a client certificate. */
function certTransport(client: KeyPair, ca: string): new (url: string) => WebSocket {
  return class CertWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { cert: client.cert, key: client.key, ca });
    }
  };
}

function joinChannel(ch: Channel): Promise<unknown> {
  return new Promise((resolve, reject) => {
    ch.join().receive('ok', resolve).receive('error', reject).receive('timeout', () => reject(new Error(`${ch.topic}: join timeout`)));
  });
}

const tls = haveTools('openssl');
let dir: string;
let pki: TestPki;
let h: Harness | undefined;
let client: Socket | undefined;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-phx-'));
  if (tls) pki = makeTestPki(dir, ['evk-1']);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(async () => {
  client?.disconnect();
  client = undefined;
  await h?.stop();
  h = undefined;
});

describe.skipIf(!tls)('the official phoenix JS client', () => {
  it('joins device and console over mTLS, gets heartbeat replies, server pushes and push acks', async () => {
    h = await startHarness(pki);
    const heartbeatReplies: unknown[] = [];
    let closes = 0;
    client = new Socket(`${h.origin}/socket`, { transport: certTransport(pki.clients['evk-1']!, pki.ca), heartbeatIntervalMs: 100 });
    client.onMessage((m) => {
      const msg = m as { topic: string; event: string; payload: unknown };
      if (msg.topic === 'phoenix' && msg.event === 'phx_reply') heartbeatReplies.push(msg.payload);
    });
    client.onClose(() => {
      closes += 1;
    });
    client.connect();

    const device = client.channel('device', { device_api_version: '1.0.0', currently_downloading_uuid: null });
    const consoleCh = client.channel('console', { console_version: '1.0.0' });
    expect(await joinChannel(device)).toEqual({});
    expect(await joinChannel(consoleCh)).toEqual({});
    expect(h.socket.joinParams('dev-evk-1')).toEqual({ device_api_version: '1.0.0', currently_downloading_uuid: null });

    const latency = await new Promise<number>((resolve) => client!.ping(resolve));
    expect(latency).toBeGreaterThanOrEqual(0);

    const reboot = new Promise((resolve) => device.on('reboot', resolve));
    const dn = new Promise((resolve) => consoleCh.on('dn', resolve));
    expect(h.socket.push('dev-evk-1', 'device', 'reboot', { reason: 'test' })).toBe(true);
    expect(h.socket.push('dev-evk-1', 'console', 'dn', { data: 'peridio\r' })).toBe(true);
    expect(await reboot).toEqual({ reason: 'test' });
    expect(await dn).toEqual({ data: 'peridio\r' });

    const ack = await new Promise((resolve, reject) => {
      device.push('rebooting', {}).receive('ok', resolve).receive('error', reject);
    });
    expect(ack).toEqual({});

    // Several heartbeat intervals: a missing reply would make the client drop and reconnect.
    await new Promise((resolve) => setTimeout(resolve, 450));
    expect(heartbeatReplies.length).toBeGreaterThanOrEqual(3);
    expect(heartbeatReplies.every((p) => JSON.stringify(p) === '{"status":"ok","response":{}}')).toBe(true);
    expect(closes).toBe(0);
    expect(h.events.filter((e) => e.kind === 'online')).toHaveLength(1);
    expect(h.events).toContainEqual({ kind: 'rebooting', deviceUuid: 'dev-evk-1' });
  });
});
