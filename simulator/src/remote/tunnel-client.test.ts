// The tunnel client against a broken or hostile admin server: answers of the wrong shape become one-line
// errors naming the field, and a device's close reason never reaches the terminal as control characters.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VfleetError } from '@vfleet/core';
import { createAdminClient, type AdminClient } from '../backend/admin-client.js';
import { closeTunnel, listTunnels, openTunnel, resolveDevice, type TunnelRow } from './tunnel-client.js';

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** An admin API on 127.0.0.1 answering `METHOD /path` (query included) from `routes` with 200 and that JSON. */
async function serve(routes: Record<string, unknown>): Promise<AdminClient> {
  server = createServer((req, res) => {
    const key = `${req.method} ${req.url}`;
    const body = JSON.stringify(Object.hasOwn(routes, key) ? routes[key] : { error: { message: `no route ${key}` } });
    res.writeHead(Object.hasOwn(routes, key) ? 200 : 404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return createAdminClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'tok');
}

async function rejection(p: Promise<unknown>): Promise<VfleetError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(VfleetError);
  return e as VfleetError;
}

const DEVICE = { uuid: '0b5f1d2e-0000-4000-8000-000000000001', identifier: 'EI-ML-0001' };
const TUNNEL: TunnelRow = {
  uuid: '0b5f1d2e-0000-4000-8000-0000000000aa', prn: 'prn:1:x:tunnel:aa', device_uuid: DEVICE.uuid, state: 'requested', device_tunnel_port: 22,
  device_proxy_ip_address: null, server_proxy_ip_address: null, expires_at: '2026-03-01T13:00:00.000Z', close_reason: null, local_address: null, last_handshake_at: null,
};

describe('tunnel client against a hostile admin API', () => {
  it('returns rows of the expected shape as they are', async () => {
    const client = await serve({ 'GET /api/v1/tunnels': { tunnels: [TUNNEL] }, 'GET /api/v1/devices?identifier=EI-ML-0001': { devices: [DEVICE] } });
    expect(await listTunnels(client)).toEqual([TUNNEL]);
    expect(await resolveDevice(client, 'EI-ML-0001')).toEqual(DEVICE);
  });

  it.each([
    ['no list', { tunnels: null }, 'admin API answer tunnels: expected an array, got null'],
    ['no field', {}, 'admin API answer tunnels: expected an array, got undefined'],
    ['a null row', { tunnels: [null] }, 'admin API answer tunnels[0]: expected an object, got null'],
    ['an unknown state', { tunnels: [{ ...TUNNEL, state: 'weird' }] }, 'admin API answer tunnels[0].state: expected requested, open or closed, got "weird"'],
    ['a state with C1 controls', { tunnels: [{ ...TUNNEL, state: '\u009b2J' }] }, 'admin API answer tunnels[0].state: expected requested, open or closed, got "\\u009b2J"'],
    ['a numeric close_reason', { tunnels: [{ ...TUNNEL, close_reason: 5 }] }, 'admin API answer tunnels[0].close_reason: expected a string or null, got 5'],
  ])('listTunnels refuses %s with a one-line error naming the field', async (_what, answer, message) => {
    const client = await serve({ 'GET /api/v1/tunnels': answer });
    const e = await rejection(listTunnels(client));
    expect(e.code).toBe('VFLEET_IO');
    expect(e.message).toBe(message);
  });

  it.each([
    ['EI-ML-0001', 'GET /api/v1/devices?identifier=EI-ML-0001', { devices: null }, 'admin API answer devices: expected an array, got null'],
    ['EI-ML-0001', 'GET /api/v1/devices?identifier=EI-ML-0001', { devices: [null] }, 'admin API answer devices[0]: expected an object, got null'],
    ['EI-ML-0001', 'GET /api/v1/devices?identifier=EI-ML-0001', { devices: [{ uuid: 7 }] }, 'admin API answer devices[0].uuid: expected a string, got 7'],
    [DEVICE.uuid, `GET /api/v1/devices/${DEVICE.uuid}`, { device: null }, 'admin API answer device: expected an object, got null'],
  ])('resolveDevice(%s) refuses %s answering %j', async (device, route, answer, message) => {
    const client = await serve({ [route]: answer });
    expect((await rejection(resolveDevice(client, device))).message).toBe(message);
  });

  it('closeTunnel refuses an answer without a tunnel', async () => {
    const client = await serve({ 'POST /api/v1/tunnels/x/close': { tunnel: null } });
    expect((await rejection(closeTunnel(client, 'x'))).message).toBe('admin API answer tunnel: expected an object, got null');
  });

  it('a tunnel the device closed before it opened: its close reason is quoted with control characters escaped', async () => {
    const closed = { ...TUNNEL, state: 'closed', close_reason: '\u009b2J\u001b]0;OWNED\u0007\u0085' };
    const client = await serve({
      'GET /api/v1/devices?identifier=EI-ML-0001': { devices: [DEVICE] },
      'POST /api/v1/tunnels': { tunnel: TUNNEL },
      [`GET /api/v1/tunnels/${TUNNEL.uuid}`]: { tunnel: closed },
    });
    const e = await rejection(openTunnel({ client, device: 'EI-ML-0001', port: 22, pollMs: 10, timeoutMs: 5000 }));
    expect(e.message).toBe('tunnel to EI-ML-0001:22: closed before it opened (\\u009b2J\\u001b]0;OWNED\\u0007\\u0085)');
  });
});
