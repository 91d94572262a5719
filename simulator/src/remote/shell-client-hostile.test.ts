// The shell client against a broken or hostile admin server: odd frames are dropped, refusals are read
// only so far and so long, and nothing a peer says reaches the terminal as a control character.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { VfleetError } from '@vfleet/core';
import { openShell } from './shell-client.js';

let server: Server | undefined;
let wss: WebSocketServer | undefined;
const sockets = new Set<Socket>();
afterEach(async () => {
  for (const s of sockets) s.destroy();
  sockets.clear();
  wss?.close();
  await new Promise((r) => (server ? server.close(r) : r(undefined)));
  server = undefined;
});

type Upgrade = { accept: (ws: WebSocket) => void } | { raw: (socket: Duplex) => void };

/** An admin server on 127.0.0.1 whose console endpoint does `upgrade`; resolves with its URL. */
async function serve(upgrade: Upgrade): Promise<string> {
  server = createServer((_req, res) => res.writeHead(404).end());
  wss = new WebSocketServer({ noServer: true });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => undefined);
    if ('raw' in upgrade) return upgrade.raw(socket);
    wss?.handleUpgrade(req, socket, head, (ws) => upgrade.accept(ws));
  });
  await new Promise<void>((r) => server?.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const open = (adminUrl: string, timeoutMs?: number) =>
  openShell({ adminUrl, token: 'tok', device: 'EI-ML-0001', ...(timeoutMs === undefined ? {} : { timeoutMs }) });

async function rejection(p: Promise<unknown>): Promise<VfleetError> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(VfleetError);
  return e as VfleetError;
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
const HOSTILE = 'dev \u001b]0;OWNED\u0007\u001b[2J\u009b31mRED\u0085';
const SHOWN = 'dev \\u001b]0;OWNED\\u0007\\u001b[2J\\u009b31mRED\\u0085';

describe('shell client against a hostile server', () => {
  it('drops frames that are not objects of a known shape; output and errors after them still arrive', async () => {
    const url = await serve({
      accept: (ws) => setTimeout(() => {
        for (const f of ['null', '42', '"output"', '[{"type":"output","data":"no"}]', '{"type":"output","data":7}', '{"type":null}']) ws.send(f);
        ws.send(JSON.stringify({ type: 'error', message: HOSTILE }));
        ws.send(JSON.stringify({ type: 'output', data: 'ok\u001b[1m' }));
      }, 50),
    });
    const session = await open(url);
    const out: string[] = [];
    const errors: string[] = [];
    session.onOutput((d) => out.push(d));
    session.onError((m) => errors.push(m));
    await expect.poll(() => out, { timeout: 2000 }).toEqual(['ok\u001b[1m']); // the shell's own stream stays raw
    expect(errors).toEqual([SHOWN]);
    session.close();
    expect((await session.ended).reason).toBe('detached');
  });

  it.each([
    [4000, { reason: 'taken_over', message: `console of EI-ML-0001: ${SHOWN}` }],
    [4001, { reason: 'device_gone', message: SHOWN }],
    [4999, { reason: 'backend_closed', message: `console of EI-ML-0001: the backend closed the session (4999 ${SHOWN})` }],
  ])('a close (%i) whose reason has terminal escapes ends the session with them escaped', async (code, end) => {
    const url = await serve({ accept: (ws) => setTimeout(() => ws.close(code, HOSTILE), 50) });
    expect(await (await open(url)).ended).toEqual(end);
  });

  it('a refusal with terminal escapes in its message is one line with them escaped', async () => {
    const body = JSON.stringify({ error: { code: 'busy', message: `${HOSTILE}\nsecond line` } });
    const url = await serve({ raw: (s) => s.end(`HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`) });
    const e = await rejection(open(url));
    expect(e.code).toBe('VFLEET_IO');
    expect(e.message).toBe(`${SHOWN}\\u000asecond line`);
    expect(e.message).not.toMatch(CONTROL);
  });

  it('reads a refusal body only up to its cap and drops the connection', async () => {
    let closed = false;
    const url = await serve({
      raw: (s) => {
        s.on('close', () => (closed = true));
        s.write('HTTP/1.1 409 Conflict\r\nContent-Type: text/plain\r\n\r\n');
        s.write(Buffer.alloc(256 * 1024, 'A')); // more than the cap, and the body never ends
      },
    });
    const e = await rejection(open(url));
    expect(e.message).toBe(`console of EI-ML-0001: HTTP 409: ${'A'.repeat(300)}…`);
    await expect.poll(() => closed, { timeout: 2000 }).toBe(true);
  });

  it('gives up on a refusal that trickles past the deadline, saying what came', async () => {
    let closed = false;
    const url = await serve({
      raw: (s) => {
        s.write('HTTP/1.1 409 Conflict\r\nContent-Type: text/plain\r\n\r\n');
        const iv = setInterval(() => s.write('x'), 20); // each byte resets ws's idle handshake timeout
        s.on('close', () => {
          clearInterval(iv);
          closed = true;
        });
      },
    });
    const started = Date.now();
    const e = await rejection(open(url, 400));
    expect(e.message).toMatch(/^console of EI-ML-0001: HTTP 409: x+$/);
    expect(Date.now() - started).toBeLessThan(2000);
    await expect.poll(() => closed, { timeout: 2000 }).toBe(true);
  });
});
