import { createHash, randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { BODY_CHUNK_BYTES, httpGet, MAX_HEAD_BYTES, parseResponseHead, requestHead } from './http-get.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const request = (url: string, extra: { signal?: AbortSignal; idleTimeoutMs?: number; headers?: Record<string, string> } = {}) => ({
  url: new URL(url), headers: extra.headers ?? { 'User-Agent': 'Peridiod/test' }, signal: extra.signal ?? new AbortController().signal, idleTimeoutMs: extra.idleTimeoutMs ?? 5000,
});

let servers: (Server | NetServer)[] = [];
const connections = new Set<Socket>();
afterEach(async () => {
  for (const c of connections) c.destroy();
  connections.clear();
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  servers = [];
});

async function listen<T extends Server | NetServer>(server: T): Promise<string> {
  servers.push(server);
  server.on('connection', (c: Socket) => connections.add(c));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A server that writes `raw` byte strings as they are, one write per element, then closes. */
function rawServer(parts: (string | Buffer)[], onRequest?: (head: string) => void): Promise<string> {
  return listen(createNetServer((socket: Socket) => {
    let head = '';
    socket.on('data', async (d) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      onRequest?.(head);
      for (const p of parts) {
        socket.write(p);
        await sleep(2);
      }
      socket.end();
    });
    socket.on('error', () => undefined);
  }));
}

describe('httpGet', () => {
  it('sends a plain HTTP/1.1 GET with the given headers and Connection: close', async () => {
    let seen = '';
    const base = await rawServer(['HTTP/1.1 204 No Content\r\n\r\n'], (h) => (seen = h));
    const res = await httpGet(request(`${base}/bin/x?X-Amz-Signature=s`, { headers: { 'X-Retry-Number': '0', 'User-Agent': 'Peridiod/1' } }));
    expect(res.status).toBe(204);
    expect(seen.split('\r\n')).toEqual([`GET /bin/x?X-Amz-Signature=s HTTP/1.1`, `Host: ${new URL(base).host}`, 'X-Retry-Number: 0', 'User-Agent: Peridiod/1', 'Connection: close', '', '']);
  });

  it('streams a large body in lent chunks, all bytes in order, memory bounded by its buffers', async () => {
    const body = randomBytes(8 * 1024 * 1024 + 123);
    const base = await listen(createHttpServer((_req, res) => res.writeHead(200, { 'content-length': String(body.length) }).end(body)));
    const res = await httpGet(request(`${base}/b`));
    expect([res.status, res.headers['content-length']]).toEqual([200, String(body.length)]);
    const hash = createHash('sha256');
    const arrays = new Set<ArrayBufferLike>();
    let n = 0;
    for await (const chunk of res.body) {
      expect(chunk.length).toBeLessThanOrEqual(BODY_CHUNK_BYTES);
      hash.update(chunk);
      arrays.add(chunk.buffer);
      n += chunk.length;
      if (n % (1024 * 1024) < BODY_CHUNK_BYTES) await sleep(5); // a slow consumer now and then: the socket pauses
    }
    expect([n, hash.digest('hex')]).toEqual([body.length, sha(body)]);
    // three chunk buffers are reused; a read that lands after a pause may take one more now and then
    expect(arrays.size).toBeLessThanOrEqual(8);
  });

  it('parses a head split across reads, skips interim 1xx answers, and hands out the body after it', async () => {
    const base = await rawServer(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r', '\n', 'Content-Length: 5\r\nX-A: 1\r\nx-a: 2\r\n\r', '\nhel', 'lo', 'trailing garbage']);
    const res = await httpGet(request(`${base}/`));
    expect([res.status, res.headers['x-a']]).toEqual([200, '1, 2']);
    const parts: Buffer[] = [];
    for await (const c of res.body) parts.push(Buffer.from(c));
    expect(Buffer.concat(parts).toString()).toBe('hello');
  });

  it('ends the body early when the server closes before Content-Length (the caller counts)', async () => {
    const base = await rawServer(['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n', 'abc']);
    const res = await httpGet(request(`${base}/`));
    let n = 0;
    for await (const c of res.body) n += c.length;
    expect(n).toBe(3);
  });

  it.each([
    ['a malformed status line', ['HTTP/2 200\r\n\r\n'], /127\.0\.0\.1:\d+: malformed status line "HTTP\/2 200"/],
    ['a malformed header line', ['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'], /malformed header line "no colon here"/],
    ['conflicting Content-Length headers', ['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'], /conflicting Content-Length headers "1" and "2"/],
    ['an oversized head', ['HTTP/1.1 200 OK\r\n', `X-Big: ${'a'.repeat(MAX_HEAD_BYTES)}`], new RegExp(`response head larger than ${MAX_HEAD_BYTES} bytes`)],
    ['a close before the head', ['HTTP/1.1 200'], /connection closed before the response head/],
  ])('rejects %s, naming the server', async (_what, parts, message) => {
    const base = await rawServer(parts);
    await expect(httpGet(request(`${base}/`))).rejects.toThrow(message);
  });

  it('rejects on the idle timeout and on abort, and when nothing listens', async () => {
    const silent = await listen(createNetServer((s) => s.on('error', () => undefined)));
    await expect(httpGet(request(`${silent}/`, { idleTimeoutMs: 100 }))).rejects.toThrow(/^idle_timeout: no data from 127\.0\.0\.1:\d+ for 100 ms$/);
    const controller = new AbortController();
    const pending = httpGet(request(`${silent}/`, { signal: controller.signal }));
    controller.abort(new Error('stopped'));
    await expect(pending).rejects.toThrow('stopped');
    const closed = createNetServer();
    const url = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    servers = servers.filter((s) => s !== closed);
    await expect(httpGet(request(`${url}/`))).rejects.toThrow(/ECONNREFUSED/);
  });

  it('gives the whole response head twice the idle timeout, and takes at most 8 interim answers', async () => {
    const trickle = await listen(createNetServer((socket: Socket) => {
      socket.on('error', () => undefined);
      socket.once('data', () => {
        const t = setInterval(() => (socket.destroyed ? clearInterval(t) : socket.write('H')), 20);
      });
    }));
    await expect(httpGet(request(`${trickle}/`, { idleTimeoutMs: 100 }))).rejects.toThrow(/^idle_timeout: no complete response head from 127\.0\.0\.1:\d+ within 200 ms$/);
    const continues = await rawServer(Array.from({ length: 9 }, () => 'HTTP/1.1 100 Continue\r\n\r\n'));
    await expect(httpGet(request(`${continues}/`))).rejects.toThrow(/more than 8 interim \(1xx\) responses before the final one/);
  });

  it('a body stopped half-way (close) releases the connection', async () => {
    const body = randomBytes(4 * 1024 * 1024);
    let closed = false;
    const base = await listen(createHttpServer((_req, res) => {
      res.on('close', () => (closed = true));
      res.writeHead(200, { 'content-length': String(body.length) }).end(body);
    }));
    const res = await httpGet(request(`${base}/`));
    for await (const _ of res.body) break;
    for (let i = 0; i < 100 && !closed; i++) await sleep(10);
    expect(closed).toBe(true);
  });
});

describe('request and response heads', () => {
  it('refuses header names and values that would split the request', () => {
    const url = new URL('http://h/');
    expect(() => requestHead(url, { 'X-A': 'a\r\nX-Injected: 1' })).toThrow('HTTP header X-A: the value contains a line break or NUL');
    expect(() => requestHead(url, { 'X A': 'b' })).toThrow('HTTP header name "X A" is not a token');
  });

  it('drops Content-Length when a transfer coding delimits the body', () => {
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 9')).toEqual({ status: 200, headers: { 'transfer-encoding': 'chunked' } });
    expect(parseResponseHead('HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2')).toEqual({ status: 200, headers: { 'set-cookie': ['a=1', 'b=2'] } });
  });
});
