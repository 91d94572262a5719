import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLog } from '../test-support/capture-log.js';
import { deviceKeyPem, removeDir, tempDir } from '../test-support/harness.js';
import { CacheStore } from './cache-store.js';
import { createDeviceSigner } from './device-signature.js';
import { pruneCache } from './prune.js';

describe('pruneCache', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('prune');
  });
  afterEach(() => removeDir(dir));

  it('keeps the current and previous releases, bundles and their binaries, removes the rest', async () => {
    const cache = new CacheStore({ root: dir, encryption: false, signer: createDeviceSigner(deviceKeyPem()), log: captureLog() });
    for (const d of ['release/r1', 'release/r2', 'release/r0', 'override/o1', 'bundle/b1', 'bundle/b2', 'bundle/b0', 'binary/x1', 'binary/x2', 'binary/x0']) {
      mkdirSync(join(dir, d), { recursive: true });
    }
    mkdirSync(join(dir, 'bundle/b1/binaries'));
    mkdirSync(join(dir, 'bundle/b2/binaries'));
    symlinkSync('../../../binary/x1', join(dir, 'bundle/b1/binaries/x1'));
    symlinkSync('../../../binary/x2', join(dir, 'bundle/b2/binaries/x2'));
    const removed = await pruneCache(cache, { vias: ['r1', 'r2'], bundles: ['b1', 'b2'] });
    expect(removed.sort()).toEqual(['binary/x0', 'bundle/b0', 'override/o1', 'release/r0']);
    expect(['release/r1', 'release/r2', 'bundle/b1', 'bundle/b2', 'binary/x1', 'binary/x2'].every((d) => existsSync(join(dir, d)))).toBe(true);
  });
});
