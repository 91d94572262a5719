import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { captureLog } from '../test-support/capture-log.js';
import { deviceKeyPem, removeDir, tempDir } from '../test-support/harness.js';
import { CacheStore } from './cache-store.js';
import { createDeviceSigner } from './device-signature.js';

// The cache's folders of a mapped (process/inproc) device are in its directory on the host, where
// whatever runs as the device can swap one for a link, a file or a FIFO.
describe('CacheStore folders the device replaced', () => {
  let device: string;
  let outside: string;
  const keyPem = deviceKeyPem();
  beforeEach(() => {
    device = tempDir('cache-folders');
    outside = tempDir('cache-folders-host');
  });
  afterEach(() => {
    removeDir(device);
    removeDir(outside);
  });

  const store = (root = join(device, 'cache'), mapped = true) => {
    const log = captureLog();
    const cache = new CacheStore({ root, deviceDir: mapped ? device : undefined, encryption: true, signer: createDeviceSigner(keyPem), log });
    return { cache, log };
  };
  /** The host folder's names, modes and contents: what the agent must leave as it was. */
  const hostState = () => ({
    mode: statSync(outside).mode & 0o777,
    entries: readdirSync(outside, { recursive: true }).map(String).sort(),
    kept: readFileSync(join(outside, '.tmp', 'kept'), 'utf8'),
  });
  const plantHostFolder = () => {
    mkdirSync(join(outside, '.tmp'));
    writeFileSync(join(outside, '.tmp', 'kept'), 'host data');
    mkdirSync(join(outside, 'release', 'host-project'), { recursive: true });
    chmodSync(outside, 0o755);
  };

  it('cache_dir a link to a host folder: replaced by a directory, warned; nothing written, chmodded or removed there', async () => {
    plantHostFolder();
    const before = hostState();
    symlinkSync(outside, join(device, 'cache'));
    const { cache, log } = store();
    await cache.init();
    await cache.write('release/prn:1:r/manifest', '{"prn":"prn:1:r"}');
    expect(hostState()).toEqual(before);
    expect(lstatSync(join(device, 'cache')).isDirectory()).toBe(true);
    expect(readdirSync(join(device, 'cache')).sort()).toEqual(['.dek', '.dek.sig', '.tmp', 'release']);
    expect((await cache.read('release/prn:1:r/manifest'))?.toString()).toBe('{"prn":"prn:1:r"}');
    expect(log.messages('warn')).toEqual([
      `[Cache] cache_dir ${join(device, 'cache')} was a symbolic link (to ${outside}), which is not followed for a device outside a container; replaced with an empty directory`,
    ]);
  });

  it.each([[true], [false]])('cache_dir a regular file (mapped device: %s): replaced by a directory, warned, and the cache works', async (mapped) => {
    writeFileSync(join(device, 'cache'), 'not a folder');
    const { cache, log } = store(join(device, 'cache'), mapped);
    await cache.init();
    await cache.write('bundle/prn:1:b/manifest', 'm');
    expect((await cache.read('bundle/prn:1:b/manifest'))?.toString()).toBe('m');
    expect(statSync(join(device, 'cache')).mode & 0o777).toBe(0o700);
    expect(log.messages('warn')).toEqual([`[Cache] cache_dir ${join(device, 'cache')} was a regular file, not a directory; replaced with an empty directory`]);
  });

  it('a link above cache_dir, in the device\'s own folders, is refused naming it; nothing written through it', async () => {
    plantHostFolder();
    const before = hostState();
    mkdirSync(join(device, 'root'));
    symlinkSync(outside, join(device, 'root', 'var'));
    const { cache } = store(join(device, 'root/var/lib/peridiod'));
    await expect(cache.init()).rejects.toMatchObject({
      code: 'VFLEET_IO',
      message: `cache_dir ${join(device, 'root/var/lib/peridiod')}: ${join(device, 'root/var')} is a symbolic link (to ${outside}), which a mapped device may not follow; refusing to write through it`,
    });
    expect(hostState()).toEqual(before);
  });

  it('folders in the cache that are links: reads and listings see nothing there, removals touch nothing, writes replace them', async () => {
    const { cache, log } = store();
    await cache.init();
    // a validly signed entry the agent wrote, then moved out to the host folder the links name
    await cache.write('binary/k/binary', 'signed bytes');
    rmSync(join(outside), { recursive: true });
    mkdirSync(outside);
    for (const name of ['binary', 'binary.sig']) writeFileSync(join(outside, name), readFileSync(join(device, 'cache/binary/k', name)));
    writeFileSync(join(outside, 'host-file'), 'host data');
    rmSync(join(device, 'cache/binary'), { recursive: true });
    mkdirSync(join(device, 'cache/binary'));
    symlinkSync(outside, join(device, 'cache/binary/k'));
    symlinkSync(outside, join(device, 'cache/release'));
    const hostFiles = readdirSync(outside).sort();

    expect(await cache.read('binary/k/binary')).toBeUndefined();
    expect(await cache.exists('binary/k/binary')).toBe(false);
    expect(await cache.list('release')).toEqual([]);
    await cache.remove('release/host-file');
    await cache.remove('binary/k/binary');
    expect(readdirSync(outside).sort()).toEqual(hostFiles);

    await cache.write('release/prn:1:r/manifest', 'm');
    expect(lstatSync(join(device, 'cache/release')).isDirectory()).toBe(true);
    expect(readdirSync(outside).sort()).toEqual(hostFiles);
    expect(readFileSync(join(outside, 'host-file'), 'utf8')).toBe('host data');
    expect(log.messages('warn')).toEqual([
      '[Cache] binary/k: reached through a symbolic link; treated as missing',
      '[Cache] binary/k: reached through a symbolic link; treated as missing',
      '[Cache] release: reached through a symbolic link; treated as missing',
      '[Cache] release: reached through a symbolic link; treated as missing',
      '[Cache] binary/k: reached through a symbolic link; treated as missing',
      `[Cache] release: was a symbolic link (to ${outside}); replaced with a directory`,
    ]);
  });

  it('in a container a link at cache_dir is the device\'s own and followed, as peridiod does', async () => {
    symlinkSync(outside, join(device, 'cache'));
    const { cache, log } = store(join(device, 'cache'), false);
    await cache.init();
    await cache.write('release/prn:1:r/manifest', 'm');
    expect(readdirSync(outside).sort()).toEqual(['.dek', '.dek.sig', '.tmp', 'release']);
    expect(log.messages('warn')).toEqual([]);
  });

  it('ensure() makes a cache folder replaced after boot again, with a fresh data key, and is a no-op otherwise', async () => {
    const { cache, log } = store();
    await cache.init();
    await cache.write('bundle/prn:1:b/manifest', 'before');
    await cache.ensure();
    expect(log.messages('warn')).toEqual([]);
    rmSync(join(device, 'cache'), { recursive: true });
    writeFileSync(join(device, 'cache'), 'not a folder');
    await expect(cache.write('bundle/prn:1:b/manifest', 'x')).rejects.toThrow(
      `cache_dir ${join(device, 'cache')}: not a directory reached through no link (the device replaced it); refusing to use it until the next poll makes it again`,
    );
    await cache.ensure();
    await cache.write('bundle/prn:1:b/manifest', 'after');
    expect((await cache.read('bundle/prn:1:b/manifest'))?.toString()).toBe('after');
    expect(readdirSync(join(device, 'cache')).sort()).toEqual(['.dek', '.dek.sig', '.tmp', 'bundle']);
    expect(log.messages('warn')).toEqual([`[Cache] cache_dir ${join(device, 'cache')} was a regular file, not a directory; replaced with an empty directory`]);
  });
});
