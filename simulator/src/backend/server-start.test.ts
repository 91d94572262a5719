// startBackend on a workspace with damaged files: a one-line error naming the file, and nothing left
// open (a checkpoint worker or a listener left behind kept `vfleet backend` alive after the error).
import BetterSqlite3 from 'better-sqlite3';
import { createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { initWorkspace } from '../workspace/init.js';
import { startBackend, type Backend } from './server.js';
import { openStore } from './store/index.js';

let root: string;
let home: string;
let backend: Backend | undefined;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-backend-start-'));
  home = join(root, 'home');
  initWorkspace({ home });
});
afterEach(async () => {
  await backend?.close();
  backend = undefined;
  rmSync(root, { recursive: true, force: true });
});

const start = () => startBackend({ home, port: 0, adminPort: 0, binaryPort: 0, onError: () => undefined });
const server = (name: string) => join(home, 'pki', 'server', name);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** What keeps this process alive beyond timers (workers' ports, listeners, sockets), by kind. */
const handles = () => process.getActiveResourcesInfo().filter((r) => r !== 'Timeout' && r !== 'Immediate').sort();

/** The handles once the previous test's closes have settled (unchanged for 100 ms). */
async function settled(): Promise<string[]> {
  let last = handles().join();
  for (let stable = 0; stable < 5; ) {
    await new Promise((r) => setTimeout(r, 20));
    const now = handles().join();
    stable = now === last ? stable + 1 : 0;
    last = now;
  }
  return handles();
}

/** A first start makes the server PKI, the secret and the token; the test then damages one. */
async function startedOnce(): Promise<void> {
  const b = await start();
  await b.close();
}

describe('startBackend on a damaged workspace', () => {
  it.each([
    ['backend-url-secret is a directory', () => {
      rmSync(join(home, 'backend-url-secret'));
      mkdirSync(join(home, 'backend-url-secret'));
    }, 'backend-url-secret', /is not a regular file; remove it to make a new binary URL secret/],
    ['backend-url-secret is not hex', () => writeFileSync(join(home, 'backend-url-secret'), 'zzzz\n'), 'backend-url-secret', /does not hold a binary URL secret \(at least 64 hex digits\); remove it to make a new one/],
    ['backend-url-secret is too short', () => writeFileSync(join(home, 'backend-url-secret'), 'abcdef0123\n'), 'backend-url-secret', /does not hold a binary URL secret/],
    ['admin-token is empty', () => writeFileSync(join(home, 'admin-token'), ''), 'admin-token', /does not hold an admin token/],
    ['the CA key is missing', () => rmSync(server('ca-private-key.pem')), 'pki/server/ca-private-key.pem', /cannot be read \(ENOENT/],
    ['the CA certificate is empty', () => writeFileSync(server('ca-certificate.pem'), ''), 'pki/server/ca-certificate.pem', /is not a PEM certificate/],
    ['the server key is empty', () => writeFileSync(server('server-private-key.pem'), ''), 'pki/server/server-private-key.pem', /is not a PEM private key/],
    ['the database cannot be written once the ports are open', () => {
      // resetPresence, the first write after the listeners are up, is refused (as a read-only file refuses it)
      const store = openStore(join(home, 'backend.db'));
      const product = store.products.create({ name: 'edge-inference' });
      store.setDeviceOnline(store.devices.create({ product_uuid: product.uuid, identifier: 'D1' }).uuid, true);
      store.close();
      const db = new BetterSqlite3(join(home, 'backend.db'));
      db.exec("CREATE TRIGGER refuse BEFORE UPDATE ON devices BEGIN SELECT RAISE(ABORT, 'injected write failure'); END;");
      db.close();
    }, 'backend.db', /injected write failure/],
  ])('rejects when %s, naming the file in one line, and leaves nothing open', async (_what, damage, file, why) => {
    const before = await settled();
    await startedOnce();
    damage();
    const error = await start().then(
      (b) => {
        backend = b;
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(error?.message).toMatch(new RegExp(`^${escape(join(home, file))}: [^\\n]+$`));
    expect(error?.message).toMatch(why);
    // closes settle asynchronously (a worker's port goes once its thread ended)
    for (const end = Date.now() + 3000; Date.now() < end && handles().join() !== before.join(); ) await new Promise((r) => setTimeout(r, 20));
    expect(handles()).toEqual(before);
  });
});

describe('startBackend repairs what it made itself', () => {
  it('reissues a server certificate that is not a certificate, and counts refused device handshakes', async () => {
    await startedOnce();
    writeFileSync(server('server-certificate.pem'), 'garbage\n');
    backend = await start();
    const b = backend;
    const handshake = () =>
      new Promise<string>((resolve) => {
        const socket = tlsConnect({ host: '127.0.0.1', port: b.deviceApiPort, servername: 'localhost', ca: readFileSync(b.deviceApiCaPath) }, () => socket.write('GET /update HTTP/1.1\r\nhost: x\r\n\r\n'));
        socket.on('error', (e) => resolve(`error ${e.message}`));
        socket.on('close', () => resolve('closed'));
      });
    expect(b.tlsFailures()).toBe(0);
    // the client trusts the reissued certificate through the CA; the server refuses it for lack of a client certificate
    expect(await handshake()).toMatch(/certificate required|closed/);
    for (const end = Date.now() + 2000; b.tlsFailures() === 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 10));
    expect(b.tlsFailures()).toBe(1);
  });

  it('replaces an empty backend-url-secret (what a first write cut short leaves) and refuses URLs signed with an empty key', async () => {
    await startedOnce();
    writeFileSync(join(home, 'backend-url-secret'), '');
    backend = await start();
    expect(readFileSync(join(home, 'backend-url-secret'), 'utf8')).toMatch(/^[0-9a-f]{64}$/);
    const uuid = '11111111-2222-4333-8444-555555555555';
    const expires = String(Math.floor(Date.now() / 1000) + 600);
    const forged = createHmac('sha256', Buffer.alloc(0)).update(`${uuid}\n${expires}`).digest('base64url');
    const res = await fetch(`http://127.0.0.1:${backend.binaryPort}/binaries/${uuid}?expires=${expires}&signature=${forged}`);
    expect(res.status).toBe(403);
  });
});
