import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes, createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createUrlSigner } from './signed-url.js';
import { createBinaryHandler, type BinaryFault } from './serve.js';

const UUID = '11111111-2222-4333-8444-555555555555';
const content = randomBytes(300_000);
let dir: string;
let server: Server;
let base: string;
const faults = new Map<string, BinaryFault>();
const events: string[] = [];
const signer = createUrlSigner(randomBytes(32));

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-bin-'));
  writeFileSync(join(dir, 'b'), content);
  const handle = createBinaryHandler({
    signer,
    lookup: (uuid) => (uuid === UUID ? { path: join(dir, 'b'), size: content.length } : undefined),
    faults: (uuid) => faults.get(uuid),
    onDownload: (e) => events.push(`${e.phase}:${e.bytes}`),
  });
  server = createServer((req, res) => {
    void handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

async function until(ok: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('binary hosting', () => {
  it('serves the whole binary with Content-Length and Accept-Ranges', async () => {
    const res = await fetch(base + signer.path(UUID));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(content.length));
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(sha(Buffer.from(await res.arrayBuffer()))).toBe(sha(content));
    // the server records the end once its pipeline settles, which may trail the client's last read
    await until(() => events.at(-1) === `end:${content.length}`);
    expect(events.at(-1)).toBe(`end:${content.length}`);
  });

  it('resumes with Range: bytes=N- as 206', async () => {
    const res = await fetch(base + signer.path(UUID), { headers: { range: 'bytes=100000-' } });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe(`bytes 100000-${content.length - 1}/${content.length}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(content.subarray(100000))).toBe(true);
  });

  it('answers 416 for a range past the end', async () => {
    const res = await fetch(base + signer.path(UUID), { headers: { range: `bytes=${content.length}-` } });
    expect(res.status).toBe(416);
    expect(res.headers.get('content-range')).toBe(`bytes */${content.length}`);
  });

  it('refuses unsigned, forged and expired URLs, and unknown binaries', async () => {
    expect((await fetch(`${base}/binaries/${UUID}`)).status).toBe(403);
    const expired = createUrlSigner(Buffer.alloc(32), 1);
    expect((await fetch(base + expired.path(UUID, Date.now() - 10_000))).status).toBe(403);
    const other = '99999999-2222-4333-8444-555555555555';
    expect((await fetch(base + signer.path(other))).status).toBe(404);
    expect((await fetch(base + signer.path(UUID), { method: 'POST' })).status).toBe(405);
  });

  it('answers HEAD with the size and no body', async () => {
    const res = await fetch(base + signer.path(UUID), { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(content.length));
  });

  it('serves the new bytes of a replaced file, not the copy held in memory', async () => {
    const first = Buffer.from(await (await fetch(base + signer.path(UUID))).arrayBuffer());
    expect(sha(first)).toBe(sha(content));
    const other = randomBytes(content.length);
    writeFileSync(join(dir, 'b.new'), other);
    renameSync(join(dir, 'b.new'), join(dir, 'b'));
    try {
      expect(sha(Buffer.from(await (await fetch(base + signer.path(UUID))).arrayBuffer()))).toBe(sha(other));
    } finally {
      writeFileSync(join(dir, 'b.new'), content);
      renameSync(join(dir, 'b.new'), join(dir, 'b'));
    }
  });

  it('records a download the client abandons as aborted', async () => {
    const big = randomBytes(32 * 1024 * 1024);
    writeFileSync(join(dir, 'b.new'), big);
    renameSync(join(dir, 'b.new'), join(dir, 'b'));
    const bigHandle = createBinaryHandler({
      signer,
      lookup: (uuid) => (uuid === UUID ? { path: join(dir, 'b'), size: big.length } : undefined),
      onDownload: (e) => events.push(`big-${e.phase}`),
    });
    const bigServer = createServer((req, res) => void bigHandle(req, res));
    await new Promise<void>((r) => bigServer.listen(0, '127.0.0.1', r));
    try {
      const controller = new AbortController();
      const res = await fetch(`http://127.0.0.1:${(bigServer.address() as AddressInfo).port}${signer.path(UUID)}`, { signal: controller.signal });
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      controller.abort();
      await until(() => events.at(-1) === 'big-aborted', 5000);
      expect(events.slice(-2)).toEqual(['big-start', 'big-aborted']);
    } finally {
      bigServer.closeAllConnections();
      await new Promise((r) => bigServer.close(r));
      writeFileSync(join(dir, 'b.new'), content);
      renameSync(join(dir, 'b.new'), join(dir, 'b'));
    }
  });

  it('injects a status, a corrupt byte and a truncated body', async () => {
    faults.set(UUID, { status: 503 });
    expect((await fetch(base + signer.path(UUID))).status).toBe(503);
    faults.set(UUID, { corrupt: true });
    const corrupt = Buffer.from(await (await fetch(base + signer.path(UUID))).arrayBuffer());
    expect(corrupt.length).toBe(content.length);
    expect(sha(corrupt)).not.toBe(sha(content));
    faults.set(UUID, { truncateAt: 1000 });
    await expect(fetch(base + signer.path(UUID)).then((r) => r.arrayBuffer())).rejects.toThrow();
    await until(() => events.at(-1) === 'aborted:1000');
    expect(events.at(-1)).toBe('aborted:1000');
    faults.clear();
    expect((await fetch(base + signer.path(UUID))).status).toBe(200);
  });
});

describe('binary hosting of stored content that is not what the catalog says', () => {
  const stored = randomBytes(6 * 1024 * 1024);
  const errors: string[] = [];
  const phases: string[] = [];
  let throttle: number | undefined;
  let damaged: Server;
  let url: (uuid: string) => string;
  const file = (uuid: string) => join(dir, `d-${uuid}`);

  beforeAll(async () => {
    const handle = createBinaryHandler({
      signer,
      lookup: (uuid) => ({ path: file(uuid), size: stored.length }),
      throttle: () => throttle,
      onError: (e) => errors.push(e.message),
      onDownload: (e) => phases.push(e.phase),
    });
    damaged = createServer((req, res) => void handle(req, res));
    await new Promise<void>((r) => damaged.listen(0, '127.0.0.1', r));
    url = (uuid) => `http://127.0.0.1:${(damaged.address() as AddressInfo).port}${signer.path(uuid)}`;
  });
  afterAll(async () => {
    damaged.closeAllConnections();
    await new Promise((r) => damaged.close(r));
  });

  it.each([
    ['missing', '21111111-2222-4333-8444-555555555555', () => undefined, /is missing/],
    ['shorter than the catalog says', '31111111-2222-4333-8444-555555555555', (p: string) => writeFileSync(p, stored.subarray(0, 100)), /holds 100 bytes, the catalog says 6291456/],
    ['longer than the catalog says', '41111111-2222-4333-8444-555555555555', (p: string) => writeFileSync(p, Buffer.concat([stored, stored.subarray(0, 10)])), /holds 6291466 bytes/],
    ['a directory', '51111111-2222-4333-8444-555555555555', (p: string) => mkdirSync(p), /is not a regular file/],
  ])('answers 500, tells onError the file, and records no download when the file is %s', async (_what, uuid, make, why) => {
    make(file(uuid));
    errors.length = 0;
    phases.length = 0;
    const res = await fetch(url(uuid));
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: { status: 500, message: `binary ${uuid}: stored content is unavailable` } });
    expect(errors).toEqual([expect.stringContaining(file(uuid))]);
    expect(errors[0]).toMatch(why);
    expect(phases).toEqual([]);
  });

  it('cuts a download whose file shrinks mid-way, tells onError and records it as aborted, not ended', async () => {
    const uuid = '61111111-2222-4333-8444-555555555555';
    writeFileSync(file(uuid), stored);
    errors.length = 0;
    phases.length = 0;
    throttle = 64 * 1024 * 1024; // a 1 MiB chunk every 16 ms, and at most three read ahead: the file shrinks while they go out
    try {
      const res = await fetch(url(uuid));
      expect(res.headers.get('content-length')).toBe(String(stored.length));
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      await reader.read();
      truncateSync(file(uuid), 4.5 * 1024 * 1024);
      await expect((async () => {
        for (;;) if ((await reader.read()).done) return;
      })()).rejects.toThrow();
      await until(() => phases.length === 2);
      expect(phases).toEqual(['start', 'aborted']);
      expect(errors).toEqual([expect.stringMatching(new RegExp(`reading ${file(uuid)} failed mid-download: ended after 4718592 of 6291456 bytes`))]);
    } finally {
      throttle = undefined;
    }
  });
});
