import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runVfleet } from '../test-support/run-vfleet.js';
import { ttlSeconds } from './tunnel.js';

describe('vfleet tunnel --ttl', () => {
  it('takes seconds, minutes and hours up to a day', () => {
    expect(ttlSeconds('1h')).toBe(3600);
    expect(ttlSeconds('30m')).toBe(1800);
    expect(ttlSeconds('90s')).toBe(90);
    expect(ttlSeconds('600')).toBe(600);
    expect(ttlSeconds('24h')).toBe(86_400);
  });

  it('refuses what the backend would refuse, naming the flag', () => {
    for (const bad of ['0', '25h', '1d', '-5m', 'soon', '']) expect(() => ttlSeconds(bad)).toThrow(/^--ttl .*expected a duration from 1s to 24h/);
  });
});

// `vfleet tunnel` against a hostile admin API on 127.0.0.1: whatever it answers, one line and an exit code, and
// nothing it says reaches the terminal as a control character.
describe('vfleet tunnel against a hostile admin API', () => {
  let server: Server | undefined;
  let routes: Record<string, [number, string]> = {};
  const token = process.env['VFLEET_ADMIN_TOKEN'];
  beforeEach(async () => {
    process.env['VFLEET_ADMIN_TOKEN'] = 'tok';
    routes = {};
    server = createServer((req, res) => {
      const [status, body] = routes[`${req.method} ${req.url}`] ?? [404, '{"error":{"message":"no such route"}}'];
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  });
  afterEach(async () => {
    if (token === undefined) delete process.env['VFLEET_ADMIN_TOKEN'];
    else process.env['VFLEET_ADMIN_TOKEN'] = token;
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });
  const vfleet = (...argv: string[]) => runVfleet(join(tmpdir(), 'vft-no-home'), [...argv, '--admin-url', `http://127.0.0.1:${(server?.address() as AddressInfo).port}`]);
  const DEVICE = { uuid: '0b5f1d2e-0000-4000-8000-000000000001', identifier: 'EI-ML-\u001b[2J0001' };
  const TUNNEL = {
    uuid: '0b5f1d2e-0000-4000-8000-0000000000aa', prn: 'prn:1:x:tunnel:aa', device_uuid: DEVICE.uuid, state: 'closed', device_tunnel_port: 22,
    device_proxy_ip_address: null, server_proxy_ip_address: null, expires_at: '2026-03-01T13:00:00.000Z', close_reason: '\u009b2J\u009b31mRED\u0085\tx\ny',
    local_address: null, last_handshake_at: null,
  };

  it('ls --all prints what the device and backend said with control characters escaped', async () => {
    routes['GET /api/v1/tunnels'] = [200, JSON.stringify({ tunnels: [TUNNEL] })];
    routes[`GET /api/v1/devices/${DEVICE.uuid}`] = [200, JSON.stringify({ device: DEVICE })];
    const r = await vfleet('tunnel', 'ls', '--all');
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual([
      'PRN\tDEVICE\tPORT\tSTATE\tLOCAL\tDEVICE IP\tEXPIRES\tCLOSE REASON',
      'prn:1:x:tunnel:aa\tEI-ML-\\u001b[2J0001\t22\tclosed\t-\t-\t2026-03-01T13:00:00.000Z\t\\u009b2J\\u009b31mRED\\u0085\\u0009x\\u000ay',
    ]);
  });

  it('close prints the close reason escaped', async () => {
    routes['POST /api/v1/tunnels/x/close'] = [200, JSON.stringify({ tunnel: TUNNEL })];
    const r = await vfleet('tunnel', 'close', 'x');
    expect(r.code).toBe(0);
    expect(r.out).toBe('prn:1:x:tunnel:aa closed (\\u009b2J\\u009b31mRED\\u0085\\u0009x\\u000ay)');
  });

  it.each([
    ['200 null', 200, 'null', 1, 'vfleet: admin API GET /api/v1/tunnels: 200 but the body is null, not a JSON object'],
    ['500 null', 500, 'null', 2, 'vfleet: admin API GET /api/v1/tunnels: 500 null'],
    ['200 {"tunnels":[null]}', 200, '{"tunnels":[null]}', 1, 'vfleet: admin API answer tunnels[0]: expected an object, got null'],
    ['409 with escapes', 409, '{"error":{"message":"\\u001b]0;OWNED\\u0007\\u001b[2J\u009bgone"}}', 2, 'vfleet: admin API GET /api/v1/tunnels: 409 \\u001b]0;OWNED\\u0007\\u001b[2J\\u009bgone'],
  ])('ls against an admin API answering %s: one line, no stack', async (_what, status, body, code, line) => {
    routes['GET /api/v1/tunnels'] = [status, body];
    const r = await vfleet('tunnel', 'ls');
    expect({ code: r.code, err: r.err }).toEqual({ code, err: line });
  });

  it('an error message quoting C1 controls (from anywhere) is printed with them escaped', async () => {
    routes['GET /api/v1/devices?identifier=%C2%9B2J'] = [200, '{"devices":[]}'];
    const r = await vfleet('tunnel', 'ls', '--device', '\u009b2J');
    expect(r.code).toBe(2);
    expect(r.err).toBe('vfleet: device "\\u009b2J": not known to the backend (has it connected once?)');
  });
});
