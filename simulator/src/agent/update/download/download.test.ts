import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { customMetadataHash, sha256Hex } from '@vfleet/core';
import { makeTestPki } from '../../../backend/socket/test-pki.js';
import { haveTools } from '../../../../../core/src/test-support/oracle.js';
import type { UpdateBinary } from '../model.js';
import { startBinaryHost, type BinaryHost } from '../test-support/binary-host.js';
import { captureLog } from '../test-support/capture-log.js';
import { removeDir, tempDir } from '../test-support/harness.js';
import { content } from '../test-support/offers.js';
import { DEFAULT_DOWNLOAD_TUNING, downloadBinary, worstCaseTimeoutMs, type DownloadContext } from './download.js';
import { createDownloadSlots } from './download-slots.js';
import { createHttpFetch, type FetchBinary } from './fetch-binary.js';
import { BODY_CHUNK_BYTES } from './http-get.js';

function binaryAt(url: string, bytes: Buffer, size = bytes.length): UpdateBinary {
  const uuid = randomUUID();
  return {
    index: 0, prn: `prn:1:${randomUUID()}:binary:${uuid}`, uuid, name: null, version: null, hash: sha256Hex(bytes), size, url,
    target: null, customMetadata: {}, customMetadataHash: customMetadataHash({}), signatures: [],
  };
}

async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const b of gen) out.push(Buffer.from(b)); // chunks are lent: valid until the next
  return Buffer.concat(out);
}

describe('downloadBinary', () => {
  let host: BinaryHost;
  const bytes = content('dl', 200_000);
  beforeEach(async () => {
    host = await startBinaryHost();
    host.put('b', bytes);
  });
  afterEach(() => host.close());

  const ctx = (tuning: Partial<typeof DEFAULT_DOWNLOAD_TUNING> = {}, fetch: FetchBinary = createHttpFetch()): DownloadContext => ({
    fetch, tuning: { ...DEFAULT_DOWNLOAD_TUNING, retryDelayMs: 1, ...tuning }, log: captureLog(), signal: new AbortController().signal, userAgent: 'Peridiod/9.9.9',
  });

  it('GETs with the peridiod headers and yields every byte', async () => {
    expect(await collect(downloadBinary(binaryAt(host.url('b'), bytes), ctx()))).toEqual(bytes);
    const headers = host.requests[0]?.headers ?? {};
    expect([headers['content-type'], headers['x-retry-number'], headers['user-agent'], headers['range']]).toEqual(['application/octet-stream', '0', 'Peridiod/9.9.9', undefined]);
  });

  it('resumes a dropped connection; a 200 answer to the Range request is skipped up to the bytes already had', async () => {
    host.fault('b', 'truncate', 1);
    expect(await collect(downloadBinary(binaryAt(host.url('b'), bytes), ctx({ maxRetries: 1 })))).toEqual(bytes);
    host.fault('b', 'truncate', 1);
    const ignoring: FetchBinary = async (req) => {
      if (req.headers['Range'] !== undefined) host.fault('b', 'ignore-range', 1);
      return createHttpFetch()(req);
    };
    expect(await collect(downloadBinary(binaryAt(host.url('b'), bytes), ctx({ maxRetries: 1 }, ignoring)))).toEqual(bytes);
    expect(host.requests.map((r) => r.headers['range'])).toEqual([undefined, 'bytes=100000-', undefined, 'bytes=100000-']);
  });

  it.each([
    ['HTTP 404, without retrying', 'not-found' as const, /^http_error 404 from http:\/\/127\.0\.0\.1:\d+\/b\?\[FILTERED\]$/],
    ['a missing Content-Length', 'no-length' as const, /response has no Content-Length \(required to detect completion\)$/],
  ])('fails on %s', async (_what, fault, message) => {
    host.fault('b', fault);
    await expect(collect(downloadBinary(binaryAt(host.url('b'), bytes), ctx({ maxRetries: 3 })))).rejects.toThrow(message);
    expect(host.requests).toHaveLength(1);
  });

  it('fails as size_mismatch when the server announces another length than the manifest', async () => {
    await expect(collect(downloadBinary(binaryAt(host.url('b'), bytes, 5), ctx()))).rejects.toThrow(/^size_mismatch: binary prn:.*: server announces 200000 bytes, manifest says 5$/);
  });

  it('follows a redirect', async () => {
    const http = createHttpFetch();
    const empty = (async function* (): AsyncGenerator<Buffer> {})();
    const redirecting: FetchBinary = async (req) =>
      (req.url.pathname === '/old' ? { status: 302, headers: { location: host.url('b') }, body: empty, close: () => undefined } : http(req));
    expect(await collect(downloadBinary(binaryAt(host.url('b').replace('/b?', '/old?'), bytes), ctx({}, redirecting)))).toEqual(bytes);
  });

  it('stops when aborted', async () => {
    const c = ctx();
    const controller = new AbortController();
    // several body chunks, so an abort after the first still has bytes to stop
    const big = content('big', 3 * BODY_CHUNK_BYTES + 1);
    host.put('big', big);
    const gen = downloadBinary(binaryAt(host.url('big'), big), { ...c, signal: controller.signal });
    await gen.next();
    controller.abort(new Error('stop'));
    await expect(collect(gen)).rejects.toThrow('stop');
  });

  it('with shared slots, a download asks for its binary only once another gives its slot back', async () => {
    const slots = createDownloadSlots(1);
    const log = captureLog();
    const c = { ...ctx(), slots, log };
    const first = downloadBinary(binaryAt(host.url('b'), bytes), c);
    await first.next();
    const second = collect(downloadBinary(binaryAt(host.url('b'), bytes), c));
    await new Promise((r) => setTimeout(r, 50));
    expect([host.requests.length, slots.waiting]).toEqual([1, 1]);
    expect(log.messages('info').filter((l) => l.includes('Waiting for a download slot'))).toEqual([expect.stringMatching(/\] Waiting for a download slot \(1 at once in this process, 1 waiting\)$/)]);
    await collect(first);
    expect(await second).toEqual(bytes);
    expect([host.requests.length, slots.inUse, slots.waiting]).toEqual([2, 0, 0]);
  });

  it('gives its slot back when it fails, when the consumer stops early and before waiting to retry', async () => {
    const slots = createDownloadSlots(1);
    const c = { ...ctx(), slots };
    host.fault('b', 'not-found', 1);
    await expect(collect(downloadBinary(binaryAt(host.url('b'), bytes), c))).rejects.toThrow(/http_error 404/);
    expect(slots.inUse).toBe(0);
    const early = downloadBinary(binaryAt(host.url('b'), bytes), c);
    await early.next();
    expect(slots.inUse).toBe(1);
    await early.return(undefined);
    expect(slots.inUse).toBe(0);
    // a dropped connection: the slot is free while the retry waits, so another download runs meanwhile
    host.fault('b', 'truncate', 1);
    const retrying = collect(downloadBinary(binaryAt(host.url('b'), bytes), { ...c, tuning: { ...c.tuning, maxRetries: 1, retryDelayMs: 300 } }));
    await new Promise((r) => setTimeout(r, 150));
    expect(slots.inUse).toBe(0);
    expect(await collect(downloadBinary(binaryAt(host.url('b'), bytes), c))).toEqual(bytes);
    expect(await retrying).toEqual(bytes);
    expect(slots.inUse).toBe(0);
  });

  it('worst-case timeout: the size at 1000 bit/s, 60 s at least, 24 h at most', () => {
    expect([worstCaseTimeoutMs(10), worstCaseTimeoutMs(1_000_000), worstCaseTimeoutMs(64 * 2 ** 30)]).toEqual([60_000, 8_000_000, 86_400_000]);
  });
});

describe.skipIf(!haveTools('openssl'))('https binary URLs', () => {
  let dir: string;
  let server: Server;
  let ca: string;
  const bytes = content('tls', 5000);
  beforeEach(async () => {
    dir = tempDir('tls');
    const pki = makeTestPki(dir, []);
    ca = pki.ca;
    server = createServer({ cert: pki.server.cert, key: pki.server.key }, (_req, res) => {
      res.writeHead(200, { 'content-length': String(bytes.length) }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    removeDir(dir);
  });

  it('trusts the public CAs plus the extra CA given, and no other', async () => {
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/bin`;
    const base = { tuning: DEFAULT_DOWNLOAD_TUNING, log: captureLog(), signal: new AbortController().signal, userAgent: 'Peridiod/x' };
    await expect(collect(downloadBinary(binaryAt(url, bytes), { ...base, fetch: createHttpFetch() }))).rejects.toThrow(/self.signed|unable to verify|local issuer/);
    expect(await collect(downloadBinary(binaryAt(url, bytes), { ...base, fetch: createHttpFetch(ca) }))).toEqual(bytes);
  });
});
