// The console relay between a user's WebSocket and a stand-in device socket whose send queue the test sets.
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { PhoenixSocketServer } from '../socket/index.js';
import { seedCatalog } from '../store/fixtures/seed.js';
import { tempStore, type TempStore } from '../store/fixtures/temp-store.js';
import type { Device } from '../store/index.js';
import { attachConsoleRelay, type ConsoleRelay } from './relay.js';

let t: TempStore;
let device: Device;
let server: Server;
let relay: ConsoleRelay;
let queued = 0;
const pushed: [string, unknown][] = [];
const users: WebSocket[] = [];

const socket: PhoenixSocketServer = {
  push: (_uuid, _topic, event, payload) => {
    pushed.push([event, payload]);
    return true;
  },
  isOnline: () => true,
  onlineCount: () => 1,
  bufferedBytes: () => queued,
  joinParams: (_uuid, topic) => (topic === 'console' ? {} : undefined),
  close: async () => undefined,
};

beforeEach(async () => {
  t = tempStore({ flushMs: 60_000 });
  device = t.store.devices.create({ product_uuid: seedCatalog(t.store).product.uuid, identifier: 'EI-ML-0001' });
  queued = 0;
  pushed.length = 0;
  server = createServer();
  relay = attachConsoleRelay({ server, authorized: (h) => h === 'Bearer token', store: t.store, socket });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterEach(async () => {
  users.splice(0).forEach((u) => u.terminate());
  await relay.close();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  t.cleanup();
});

async function user(): Promise<{ ws: WebSocket; closed: Promise<{ code: number; reason: string }> }> {
  const { port } = server.address() as AddressInfo;
  const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/devices/${device.uuid}/console/websocket`, { headers: { authorization: 'Bearer token' } });
  users.push(ws);
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.once('close', (code, reason) => r({ code, reason: String(reason) })));
  await once(ws, 'open');
  return { ws, closed };
}

const sent = async (ws: WebSocket, m: unknown) => {
  await new Promise<void>((resolve, reject) => ws.send(JSON.stringify(m), (e) => (e ? reject(e) : resolve())));
};

describe('console relay toward the device', () => {
  it('relays input while the device reads and ends the session once 16 MiB wait for it, relaying no more', async () => {
    const u = await user();
    await sent(u.ws, { type: 'input', data: 'ls\n' });
    while (pushed.length < 1) await new Promise((r) => setTimeout(r, 5));
    expect(pushed).toEqual([['dn', { data: 'ls\n' }]]);
    queued = 16 * 1024 * 1024 + 1;
    await sent(u.ws, { type: 'input', data: 'rm -rf /tmp/x\n' });
    const late = new Promise((r) => setTimeout(() => r('still open'), 2000).unref());
    expect(await Promise.race([u.closed, late])).toEqual({ code: 4002, reason: 'device EI-ML-0001 does not read its console input; session closed' });
    expect(pushed).toHaveLength(1);
    expect(relay.sessions()).toEqual([]);
  });

  it('relays input while no more than 16 MiB wait for the device', async () => {
    queued = 16 * 1024 * 1024; // at the limit, not beyond it
    const u = await user();
    await sent(u.ws, { type: 'resize', width: 80, height: 24 });
    while (pushed.length < 1) await new Promise((r) => setTimeout(r, 5));
    expect(pushed).toEqual([['window_size', { height: 24, width: 80 }]]);
  });
});
