// The admin client against a broken or hostile server: every answer becomes a value or a one-line VfleetError.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { VfleetError } from '@vfleet/core';
import { createAdminClient, type AdminClientLimits } from './admin-client.js';

let server: Server | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

/** A server on 127.0.0.1 answering every request with `answer`; resolves with its client. */
async function serve(answer: (req: IncomingMessage, res: ServerResponse) => void, limits?: AdminClientLimits) {
  server = createServer(answer);
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return createAdminClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, 'tok', limits);
}

const json = (status: number, body: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
};

async function rejection(p: Promise<unknown>): Promise<VfleetError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(VfleetError);
  return e as VfleetError;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

describe('admin client', () => {
  it('resolves a JSON object, and {} for an empty body', async () => {
    const client = await serve((req, res) => json(200, req.url === '/empty' ? '' : '{"tunnels":[]}')(req, res));
    expect(await client.call('GET', '/api/v1/tunnels')).toEqual({ tunnels: [] });
    expect(await client.call('GET', '/empty')).toEqual({});
  });

  it.each([
    ['null', /^admin API GET \/x: 200 but the body is null, not a JSON object$/],
    ['[1,2]', /^admin API GET \/x: 200 but the body is \[1,2\], not a JSON object$/],
    ['"\\u001b[2J\u009b"', /^admin API GET \/x: 200 but the body is "\\u001b\[2J\\u009b", not a JSON object$/],
    ['<html>', /^admin API GET \/x: 200 but the body is not JSON$/],
  ])('a 200 answering %s is refused with a one-line VFLEET_IO error', async (body, message) => {
    const client = await serve(json(200, body));
    const e = await rejection(client.call('GET', '/x'));
    expect(e.code).toBe('VFLEET_IO');
    expect(e.message).toMatch(message);
  });

  it.each([
    ['null', 'null'],
    ['{"error":null}', '{"error":null}'],
    ['{"error":"internal error"}', 'internal error'],
    ['{"error":{"message":7}}', '{"error":{"message":7}}'],
    ['{"error":{"code":"x","message":"device \\u001b]0;OWNED\\u0007\\u001b[2J\\u009b31mgone\\nnext"}}', 'device \\u001b]0;OWNED\\u0007\\u001b[2J\\u009b31mgone\\u000anext'],
  ])('a 500 answering %s: one line, control characters escaped', async (body, detail) => {
    const client = await serve(json(500, body));
    const e = await rejection(client.call('GET', '/x'));
    expect(e.message).toBe(`admin API GET /x: 500 ${detail}`);
    expect(e.message).not.toMatch(CONTROL);
  });

  it('reads a refusal body only up to its cap, keeps the start for the message and drops the connection', async () => {
    let closed = false;
    const client = await serve((req, res) => {
      res.writeHead(409, { 'content-type': 'text/plain' });
      res.write(Buffer.alloc(256 * 1024, 'A')); // more than the cap, and the body never ends
      res.on('close', () => (closed = true));
    });
    const e = await rejection(client.call('GET', '/x'));
    expect(e.message).toBe(`admin API GET /x: 409 ${'A'.repeat(300)}…`);
    await expect.poll(() => closed, { timeout: 2000 }).toBe(true);
  });

  it('refuses a success body over its cap without reading the rest', async () => {
    const client = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`{"a":"${'x'.repeat(4096)}`);
    }, { maxBodyBytes: 1024 });
    const e = await rejection(client.call('GET', '/x'));
    expect(e.code).toBe('VFLEET_IO');
    expect(e.message).toBe('admin API GET /x: the response is larger than 1024 bytes');
  });

  it('gives up on a body that trickles past the deadline: a refusal says what came, a success fails', async () => {
    const trickle = (status: number) => (_req: IncomingMessage, res: ServerResponse) => {
      res.writeHead(status, { 'content-type': 'text/plain' });
      const iv = setInterval(() => res.write('x'), 20);
      res.on('close', () => clearInterval(iv));
    };
    const refusing = await serve(trickle(409), { bodyTimeoutMs: 300 });
    const started = Date.now();
    const e = await rejection(refusing.call('GET', '/x'));
    expect(e.message).toMatch(/^admin API GET \/x: 409 x+$/);
    expect(Date.now() - started).toBeLessThan(2000);
    await new Promise((r) => server?.close(r));
    const ok = await serve(trickle(200), { bodyTimeoutMs: 300 });
    expect((await rejection(ok.call('GET', '/x'))).message).toBe('admin API GET /x: the response body did not arrive within 0.3 s');
  });
});

describe('an admin server that never answers', () => {
  it('is given up after the idle timeout with one line, not waited on for ever', async () => {
    const client = await serve(() => undefined, { idleTimeoutMs: 200 });
    const t0 = Date.now();
    const e = await rejection(client.call('GET', '/api/v1/releases'));
    expect(e.message).toMatch(/^admin API GET \/api\/v1\/releases: no answer from http:\/\/127\.0\.0\.1:\d+ for 0\.2 s$/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});
