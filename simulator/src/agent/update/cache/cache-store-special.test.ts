import { createHash } from 'node:crypto';
import { closeSync, constants, existsSync, mkdirSync, openSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveTools, run } from '../../../../../core/src/test-support/oracle.js';
import { captureLog } from '../test-support/capture-log.js';
import { deviceKeyPem, removeDir, tempDir } from '../test-support/harness.js';
import { CacheStore } from './cache-store.js';
import { createDeviceSigner } from './device-signature.js';

// Whatever runs as the device can put anything in its cache directory. Opening a FIFO for reading
// waits for a writer on a libuv thread; a handful of them would stall file I/O for every device.
describe('CacheStore with entries that are not regular files', () => {
  let dir: string;
  let fifos: string[];
  let servers: Server[];
  const keyPem = deviceKeyPem();
  beforeEach(() => {
    dir = tempDir('cache-special');
    fifos = [];
    servers = [];
  });
  afterEach(async () => {
    // Should an open block (a regression), free the thread pool so the runner can still exit: an
    // O_RDWR open of a FIFO never blocks and wakes every reader waiting in open(2); opens queued
    // behind them find the FIFO gone, and the readers see end of file once it closes.
    const writers = fifos.flatMap((f) => {
      try {
        return [openSync(f, constants.O_RDWR | constants.O_NONBLOCK)];
      } catch {
        return []; // already replaced or removed
      }
    });
    removeDir(dir);
    writers.forEach((fd) => closeSync(fd));
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });

  const store = async (encryption = true) => {
    const log = captureLog();
    const cache = new CacheStore({ root: join(dir, 'cache'), encryption, signer: createDeviceSigner(keyPem), log });
    await cache.init();
    return { cache, log };
  };
  const at = (rel: string): string => join(dir, 'cache', rel);
  const mkfifo = (rel: string): void => {
    mkdirSync(dirname(at(rel)), { recursive: true });
    rmSync(at(rel), { force: true });
    run('mkfifo', [at(rel)]);
    fifos.push(at(rel));
  };
  const drain = async (source: AsyncIterable<Buffer>): Promise<Buffer> => {
    const out: Buffer[] = [];
    for await (const c of source) out.push(c);
    return Buffer.concat(out);
  };

  it.runIf(haveTools('mkfifo'))('FIFOs read as missing without blocking, warned by their cache path; the rest keeps working', async () => {
    const { cache, log } = await store();
    await cache.write('release/ok/manifest', 'fine');
    const n = 8; // more than libuv's thread pool
    for (let i = 0; i < n; i++) {
      mkfifo(`binary/s${i}/.stamp_cached.sig`);
      mkfifo(`binary/b${i}/binary`);
      writeFileSync(at(`binary/b${i}/binary.sig`), 'AB');
      mkfifo(`release/r${i}/manifest`);
      writeFileSync(at(`release/r${i}/manifest.sig`), 'AB');
    }
    const results = await Promise.all(Array.from({ length: n }, async (_, i) => [
      await cache.exists(`binary/s${i}/.stamp_cached`),
      await drain(cache.readStream(`binary/b${i}/binary`)).then(() => 'streamed', (e: Error) => e.message),
      await cache.read(`release/r${i}/manifest`),
    ]));
    expect(results).toEqual(Array.from({ length: n }, (_, i) => [false, `cache binary/b${i}/binary: missing or unsigned`, undefined]));
    expect((await cache.read('release/ok/manifest'))?.toString()).toBe('fine');
    expect(log.messages('warn').sort()).toEqual(Array.from({ length: n }, (_, i) => [
      `[Cache] binary/b${i}/binary: a FIFO; treated as missing`,
      `[Cache] binary/s${i}/.stamp_cached.sig: a FIFO; treated as missing`,
      `[Cache] release/r${i}/manifest: a FIFO; treated as missing`,
    ]).flat().sort());
  }, 5_000);

  it.runIf(haveTools('mkfifo'))('a FIFO as .dek or .dek.sig: a new DEK replaces it and the encrypted content is purged', async () => {
    const first = await store();
    await first.cache.write('binary/x/manifest', 'm');
    mkfifo('.dek');
    mkfifo('.dek.sig');
    const { log } = await store();
    expect(log.messages('warn').sort()).toEqual(['[Cache] .dek.sig: a FIFO; treated as missing', '[Cache] .dek: a FIFO; treated as missing']);
    expect(log.messages('error')).toEqual(['[Cache.Encryption] DEK signature verification failed — possible tampering']);
    expect(statSync(at('.dek')).isFile()).toBe(true);
    expect(readFileSync(at('.dek'))).toHaveLength(32);
    expect(existsSync(at('binary'))).toBe(false);
  }, 5_000);

  it('a directory in place of a file reads as missing, warned by its cache path, and the next write replaces it', async () => {
    const { cache, log } = await store();
    const rel = 'binary/d';
    mkdirSync(at(`${rel}/.stamp_cached.sig/inner`), { recursive: true });
    mkdirSync(at(`${rel}/binary`), { recursive: true });
    writeFileSync(at(`${rel}/binary.sig`), 'AB');
    expect(await cache.exists(`${rel}/.stamp_cached`)).toBe(false);
    expect(await cache.read(`${rel}/.stamp_cached`)).toBeUndefined();
    await expect(drain(cache.readStream(`${rel}/binary`))).rejects.toThrow(`cache ${rel}/binary: missing or unsigned`);
    expect(log.messages('warn')).toEqual([
      `[Cache] ${rel}/.stamp_cached.sig: a directory; treated as missing`,
      `[Cache] ${rel}/.stamp_cached.sig: a directory; treated as missing`,
      `[Cache] ${rel}/binary: a directory; treated as missing`,
    ]);
    await cache.write(`${rel}/.stamp_cached`, 'now');
    expect(await cache.exists(`${rel}/.stamp_cached`)).toBe(true);
    const plain = Buffer.from('abc');
    await cache.storeStream(`${rel}/binary`, (async function* () { yield plain; })(), createHash('sha256').update(plain).digest('hex'), new AbortController().signal);
    expect(await drain(cache.readStream(`${rel}/binary`))).toEqual(plain);
  });

  it('a symbolic link to a validly signed file is not followed: it reads as missing, and a write replaces the link', async () => {
    const { cache, log } = await store(false);
    await cache.write('elsewhere/file', 'outside');
    mkdirSync(at('release/l'), { recursive: true });
    symlinkSync(at('elsewhere/file'), at('release/l/manifest'));
    symlinkSync(at('elsewhere/file.sig'), at('release/l/manifest.sig'));
    expect(await cache.read('release/l/manifest')).toBeUndefined();
    expect(await cache.exists('release/l/manifest')).toBe(false);
    expect(log.messages('warn').sort()).toEqual([
      '[Cache] release/l/manifest.sig: a symbolic link; treated as missing',
      '[Cache] release/l/manifest.sig: a symbolic link; treated as missing',
      '[Cache] release/l/manifest: a symbolic link; treated as missing',
    ]);
    await cache.write('release/l/manifest', 'inside');
    expect((await cache.read('release/l/manifest'))?.toString()).toBe('inside');
    expect(readFileSync(at('elsewhere/file'), 'utf8')).toBe('outside');
  });

  it('a socket as a .sig reads as missing, warned by its cache path', async () => {
    const { cache, log } = await store();
    await cache.write('bundle/s/manifest', 'm');
    const server = createServer();
    servers.push(server);
    rmSync(at('bundle/s/manifest.sig'));
    await new Promise<void>((resolve) => server.listen(at('bundle/s/manifest.sig'), resolve));
    expect(await cache.exists('bundle/s/manifest')).toBe(false);
    expect(log.messages('warn')).toEqual(['[Cache] bundle/s/manifest.sig: not a regular file; treated as missing']);
  });

  it('a .sig longer than any signature is not read', async () => {
    const { cache, log } = await store();
    await cache.write('bundle/big/manifest', 'm');
    writeFileSync(at('bundle/big/manifest.sig'), Buffer.alloc(1 << 20, 0x41));
    expect(await cache.exists('bundle/big/manifest')).toBe(false);
    expect(log.messages('warn')).toEqual(['[Cache] bundle/big/manifest.sig: 1048576 bytes, more than the 8192 expected; treated as missing']);
  });
});
