import { createServer, connect, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allowlistChecker } from './allowlist.js';
import { startPortForward, type PortForward } from './port-forward.js';

let echo: Server | undefined;
let forward: PortForward | undefined;
afterEach(async () => {
  await forward?.close();
  await new Promise((r) => (echo ? echo.close(r) : r(undefined)));
});

async function echoServer(): Promise<number> {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo?.listen(0, '127.0.0.1', r));
  return (echo.address() as { port: number }).port;
}

/** What comes back for `hello` through the forward: the echo, or '' when the connection is closed first. */
function roundTrip(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write('hello'));
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString();
      if (got === 'hello') s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(got) : reject(e)));
    s.on('close', () => resolve(got));
  });
}

describe('tunnel port forward', () => {
  it('relays a client inside the allowlist and closes on one outside it', async () => {
    const target = { host: '127.0.0.1', port: await echoServer() };
    forward = await startPortForward({ port: 0, target, allow: allowlistChecker(['127.0.0.0/8']) ?? (() => true) });
    expect(await roundTrip(forward.port)).toBe('hello');
    await forward.close();
    forward = await startPortForward({ port: 0, target, allow: allowlistChecker(['10.0.0.0/8', '::1']) ?? (() => true) });
    expect(await roundTrip(forward.port)).toBe('');
    await forward.close();
    forward = await startPortForward({ port: 0, target });
    expect(await roundTrip(forward.port)).toBe('hello');
  });
});
