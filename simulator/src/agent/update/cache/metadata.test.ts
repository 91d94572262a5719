import { randomUUID } from 'node:crypto';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { customMetadataHash } from '@vfleet/core';
import type { UpdateBinary } from '../model.js';
import { captureLog } from '../test-support/capture-log.js';
import { deviceKeyPem, removeDir, tempDir } from '../test-support/harness.js';
import { CacheStore } from './cache-store.js';
import { createDeviceSigner } from './device-signature.js';
import { binaryDir, binaryFile, STAMP_CACHED } from './layout.js';
import { isBinaryCached, stampBinaryCached } from './metadata.js';
import { encryptBuffer, pdc1Bytes } from './pdc1.js';

function binary(size: number): UpdateBinary {
  const uuid = randomUUID();
  const meta = { peridiod: { installer: 'cache' } };
  return {
    index: 0, prn: `prn:1:${randomUUID()}:binary:${uuid}`, uuid, name: null, version: null, hash: '0'.repeat(64), size,
    url: 'http://h/x', target: null, customMetadata: meta, customMetadataHash: customMetadataHash(meta), signatures: [],
  };
}

describe('isBinaryCached', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('metadata');
  });
  afterEach(() => removeDir(dir));

  /** A sparse file of `bytes` at `rel` in the cache, with a .sig beside it. */
  const plantHuge = (rel: string, bytes: number) => {
    const file = join(dir, 'cache', rel);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
    truncateSync(file, bytes);
    writeFileSync(`${file}.sig`, 'AB'.repeat(64));
  };

  it.each([[true], [false]])('reads no further than a stamp or the binary can be (encryption %s); a huge file planted there is warned and not cached', async (encryption) => {
    const log = captureLog();
    const cache = new CacheStore({ root: join(dir, 'cache'), encryption, signer: createDeviceSigner(deviceKeyPem()), log });
    await cache.init();
    const b = binary(100_000);
    await cache.write(binaryFile(b), Buffer.alloc(100_000, 1));
    await stampBinaryCached(cache, b);
    expect(await isBinaryCached(cache, b)).toBe(true);

    plantHuge(`${binaryDir(b)}/${STAMP_CACHED}`, 2 ** 40);
    expect(await isBinaryCached(cache, b)).toBe(false);
    await stampBinaryCached(cache, b);
    plantHuge(binaryFile(b), 2 ** 40);
    expect(await isBinaryCached(cache, b)).toBe(false);
    expect(log.messages('warn')).toEqual([
      `[Cache] ${binaryDir(b)}/${STAMP_CACHED}: ${2 ** 40} bytes, more than the 4096 expected; treated as missing`,
      `[Cache] ${binaryFile(b)}: ${2 ** 40} bytes, more than the ${pdc1Bytes(100_000)} expected; treated as missing`,
    ]);
  });

  it('pdc1Bytes is the size encryption gives', async () => {
    for (const n of [0, 1, 65535, 65536, 65537, 200_000]) {
      expect((await encryptBuffer(Buffer.alloc(n), Buffer.alloc(32))).length, `${n} bytes`).toBe(pdc1Bytes(n));
    }
  });
});
