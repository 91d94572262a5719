import { createHash, createPublicKey } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveTools, run } from '../../../../../core/src/test-support/oracle.js';
import { captureLog } from '../test-support/capture-log.js';
import { deviceKeyPem, removeDir, tempDir } from '../test-support/harness.js';
import { CacheStore } from './cache-store.js';
import { createDeviceSigner } from './device-signature.js';

describe('CacheStore', () => {
  let dir: string;
  const keyPem = deviceKeyPem();
  beforeEach(() => {
    dir = tempDir('cache');
  });
  afterEach(() => removeDir(dir));

  const store = async (encryption = true, pem = keyPem) => {
    const log = captureLog();
    const cache = new CacheStore({ root: join(dir, 'cache'), encryption, signer: createDeviceSigner(pem), log });
    await cache.init();
    return { cache, log };
  };

  it('init makes the root 0700, a signed 32-byte DEK (0600) and an empty .tmp', async () => {
    mkdirSync(join(dir, 'cache/.tmp'), { recursive: true, mode: 0o755 });
    writeFileSync(join(dir, 'cache/.tmp/leftover'), 'x');
    const { log } = await store();
    expect(statSync(join(dir, 'cache')).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(dir, 'cache/.dek'))).toHaveLength(32);
    expect(statSync(join(dir, 'cache/.dek')).mode & 0o777).toBe(0o600);
    expect(existsSync(join(dir, 'cache/.tmp/leftover'))).toBe(false);
    expect(log.messages('warn')[0]).toMatch(/permissions 755 are too open, setting 0700$/);
  });

  it('stores PDC1 ciphertext with a .sig over its hex SHA-256, and reads it back', async () => {
    const { cache } = await store();
    await cache.write('release/r/manifest', '{"prn":"r"}');
    const stored = readFileSync(join(dir, 'cache/release/r/manifest'));
    expect(stored.subarray(0, 4).toString()).toBe('PDC1');
    const sig = readFileSync(join(dir, 'cache/release/r/manifest.sig'), 'ascii');
    expect(sig).toMatch(/^[0-9A-F]+$/);
    expect(createDeviceSigner(keyPem).verify(createHash('sha256').update(stored).digest('hex'), sig)).toBe(true);
    expect((await cache.read('release/r/manifest'))?.toString()).toBe('{"prn":"r"}');
    expect(await cache.exists('release/r/manifest')).toBe(true);
  });

  it.skipIf(!haveTools('openssl'))('openssl verifies a .sig as ECDSA-SHA256 over the ASCII hex digest', async () => {
    const { cache } = await store();
    await cache.write('bundle/b/manifest', 'hello');
    const stored = readFileSync(join(dir, 'cache/bundle/b/manifest'));
    writeFileSync(join(dir, 'message'), createHash('sha256').update(stored).digest('hex'));
    writeFileSync(join(dir, 'sig.der'), Buffer.from(readFileSync(join(dir, 'cache/bundle/b/manifest.sig'), 'ascii'), 'hex'));
    writeFileSync(join(dir, 'pub.pem'), createPublicKey(keyPem).export({ type: 'spki', format: 'pem' }));
    expect(run('openssl', ['dgst', '-sha256', '-verify', join(dir, 'pub.pem'), '-signature', join(dir, 'sig.der'), join(dir, 'message')])).toContain('Verified OK');
  });

  it('a tampered file or signature reads as missing', async () => {
    const { cache } = await store();
    await cache.write('a', 'one');
    await cache.write('b', 'two');
    const a = readFileSync(join(dir, 'cache/a'));
    a.writeUInt8(a.readUInt8(a.length - 1) ^ 1, a.length - 1);
    writeFileSync(join(dir, 'cache/a'), a);
    writeFileSync(join(dir, 'cache/b.sig'), 'ABCD');
    expect(await cache.read('a')).toBeUndefined();
    expect(await cache.exists('a')).toBe(false);
    expect(await cache.read('b')).toBeUndefined();
  });

  it('stores plaintext when encryption is off', async () => {
    const { cache } = await store(false);
    await cache.write('x', 'plain');
    expect(readFileSync(join(dir, 'cache/x'), 'utf8')).toBe('plain');
    expect(existsSync(join(dir, 'cache/.dek'))).toBe(false);
    expect((await cache.read('x'))?.toString()).toBe('plain');
  });

  it('a DEK signed by another key is replaced and the encrypted content purged', async () => {
    const first = await store();
    await first.cache.write('binary/x/manifest', 'm');
    const oldDek = readFileSync(join(dir, 'cache/.dek'));
    const rotated = await store(true, deviceKeyPem());
    expect(readFileSync(join(dir, 'cache/.dek')).equals(oldDek)).toBe(false);
    expect(existsSync(join(dir, 'cache/binary'))).toBe(false);
    expect(rotated.log.messages('error')).toEqual(['[Cache.Encryption] DEK signature verification failed — possible tampering']);
  });

  it.each([true, false])('storeStream (encryption %s) stores in one pass, only once the source ended cleanly', async (encryption) => {
    const { cache } = await store(encryption);
    const plain = Buffer.alloc(300_000, 9);
    const plainHash = createHash('sha256').update(plain).digest('hex');
    async function* chunks(fail: boolean): AsyncGenerator<Buffer> {
      for (let at = 0; at < plain.length; at += 65536) yield plain.subarray(at, at + 65536);
      if (fail) throw new Error('checksum_mismatch: test');
    }
    await expect(cache.storeStream('binary/s/binary', chunks(true), plainHash, new AbortController().signal)).rejects.toThrow('checksum_mismatch: test');
    expect([existsSync(join(dir, 'cache/binary/s/binary')), existsSync(join(dir, 'cache/binary/s/binary.sig'))]).toEqual([false, false]);
    expect(readdirSync(join(dir, 'cache/.tmp'))).toEqual([]);
    await cache.storeStream('binary/s/binary', chunks(false), plainHash, new AbortController().signal);
    expect(readdirSync(join(dir, 'cache/.tmp'))).toEqual([]);
    const stored = readFileSync(join(dir, 'cache/binary/s/binary'));
    expect(stored.subarray(0, 4).toString('ascii') === 'PDC1').toBe(encryption);
    const storedHash = createHash('sha256').update(stored).digest('hex');
    expect(createDeviceSigner(keyPem).verify(storedHash, readFileSync(join(dir, 'cache/binary/s/binary.sig'), 'ascii'))).toBe(true);
    const back: Buffer[] = [];
    for await (const c of cache.readStream('binary/s/binary')) back.push(c);
    expect(Buffer.concat(back)).toEqual(plain);
  });

  it('imports a large file encrypted in one streaming pass and streams it back; a bad .sig fails at the end', async () => {
    const { cache } = await store();
    const plain = Buffer.alloc(300_000, 7);
    const temp = await cache.tempPath();
    writeFileSync(temp, plain);
    await cache.importFile('binary/k/binary', temp, createHash('sha256').update(plain).digest('hex'));
    expect(existsSync(temp)).toBe(false);
    const chunks: Buffer[] = [];
    for await (const c of cache.readStream('binary/k/binary')) chunks.push(c);
    expect(Buffer.concat(chunks)).toEqual(plain);
    writeFileSync(join(dir, 'cache/binary/k/binary.sig'), createDeviceSigner(keyPem).sign('0'.repeat(64)));
    const drain = async () => {
      for await (const _ of cache.readStream('binary/k/binary')) void _;
    };
    await expect(drain()).rejects.toThrow('cache binary/k/binary: device signature does not match the stored bytes');
  });
});
