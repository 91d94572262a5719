import { chmodSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSigningKeyPair, type SigningKeyPair } from '@vfleet/core';
import type { HttpResult } from '../types.js';
import { startBinaryHost, type BinaryHost } from './test-support/binary-host.js';
import { fakeApi } from './test-support/fake-api.js';
import { bootDevice, deviceKeyPem, removeDir, tempDir, testConfig } from './test-support/harness.js';
import { createMemoryKv, type TestKv } from './test-support/memory-kv.js';
import { simpleRelease } from './test-support/simple-release.js';

// A process/inproc device's cache_dir (/etc/peridiod/cache) is <device>/cache on the host, where
// whatever runs as the device can replace it, or a folder in it, by a link, a file or a FIFO.
describe('updater: a cache folder the device replaced', () => {
  let dir: string;
  let outside: string;
  let host: BinaryHost;
  let signer: SigningKeyPair;
  const keyPem = deviceKeyPem();
  beforeEach(async () => {
    dir = tempDir('updater-cache-folder');
    outside = tempDir('updater-cache-folder-host');
    host = await startBinaryHost();
    signer = createSigningKeyPair();
  });
  afterEach(async () => {
    await host.close();
    removeDir(dir);
    removeDir(outside);
  });

  const oldKv = (): TestKv => createMemoryKv(new Map([['peridio_vsn_current', '1.0.0']]));
  const boot = (kv: TestKv, respond: (headers: Readonly<Record<string, string>>) => HttpResult) =>
    bootDevice({ dir, kv, api: fakeApi(respond), keyPem, config: testConfig({ trusted_signing_keys: [signer.publicKeyBase64Raw], targets: ['portable'] }) });
  const cacheDir = (): string => join(dir, 'cache');

  it('a link to a host folder at boot: replaced, warned; the update installs and the host folder is as it was', async () => {
    mkdirSync(join(outside, '.tmp'));
    writeFileSync(join(outside, '.tmp', 'kept'), 'host data');
    chmodSync(outside, 0o755);
    symlinkSync(outside, cacheDir());
    const release = simpleRelease(host, signer, { count: 1 });
    const kv = oldKv();
    const device = boot(kv, release.respond);
    await device.updater.checkNow();
    await device.updater.stop();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    expect({ mode: statSync(outside).mode & 0o777, entries: readdirSync(outside, { recursive: true }).map(String).sort() }).toEqual({ mode: 0o755, entries: ['.tmp', '.tmp/kept'] });
    expect(lstatSync(cacheDir()).isDirectory()).toBe(true);
    expect(readdirSync(cacheDir()).sort()).toEqual(['.dek', '.dek.sig', '.tmp', 'binary', 'bundle', 'release']);
    expect(device.log.messages('warn')).toContain(`[Cache] cache_dir ${cacheDir()} was a symbolic link (to ${outside}), which is not followed for a device outside a container; replaced with an empty directory`);
  });

  it('replaced by a regular file after boot: the next poll makes it again and installs (it failed every plan until a restart, then every poll)', async () => {
    let answer = (_headers: Readonly<Record<string, string>>): HttpResult => ({ status: 200, body: { status: 'no_update' } });
    const kv = oldKv();
    const device = boot(kv, (headers) => answer(headers));
    await device.updater.checkNow();
    rmSync(cacheDir(), { recursive: true });
    writeFileSync(cacheDir(), 'not a folder');
    answer = simpleRelease(host, signer, { count: 1 }).respond;
    await device.updater.checkNow();
    await device.updater.stop();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    expect(device.log.messages('error')).toEqual([]);
    expect(device.log.messages('warn')).toContain(`[Cache] cache_dir ${cacheDir()} was a regular file, not a directory; replaced with an empty directory`);
  });

  it('the prune after an advance deletes nothing in a host folder that a cache folder was linked to', async () => {
    let answer = simpleRelease(host, signer, { count: 1 }).respond;
    const kv = oldKv();
    const device = boot(kv, (headers) => answer(headers));
    await device.updater.checkNow();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    writeFileSync(join(outside, 'host-file'), 'host data');
    mkdirSync(join(outside, 'host-folder'));
    rmSync(join(cacheDir(), 'release'), { recursive: true });
    symlinkSync(outside, join(cacheDir(), 'release'));
    answer = simpleRelease(host, signer, { count: 1, version: '3.0.0' }).respond;
    await device.updater.checkNow();
    await device.updater.stop();
    expect(kv.get('peridio_vsn_current')).toBe('3.0.0');
    expect(readdirSync(outside).sort()).toEqual(['host-file', 'host-folder']);
    expect(readFileSync(join(outside, 'host-file'), 'utf8')).toBe('host data');
    expect(lstatSync(join(cacheDir(), 'release')).isDirectory()).toBe(true);
  });
});
