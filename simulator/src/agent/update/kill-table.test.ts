import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { binRecord, createSigningKeyPair, makePrn, readUbootEnvFromConfig } from '@vfleet/core';
import { haveTools, run } from '../../../../core/src/test-support/oracle.js';
import { startBinaryHost, type BinaryHost } from './test-support/binary-host.js';
import { createEnvKv } from './test-support/env-kv.js';
import { fakeApi } from './test-support/fake-api.js';
import { bootDevice, deviceKeyPem, removeDir, tempDir, testConfig } from './test-support/harness.js';
import { bundlePrn, content, fileMeta, manifestItem, ORG, releasePrn } from './test-support/offers.js';
import { simpleRelease } from './test-support/simple-release.js';

const REPORTED = ['peridio_via_current', 'peridio_bun_current', 'peridio_vsn_current', 'peridio_bin_current'];

/**
 * Kill points: the n-th log line matching, at which the agent dies (no more writes, everything
 * aborted); then the release the env reports and its peridio_vsn_progress (the checkpoint).
 */
const KILL_POINTS: [string, RegExp, number, 'old' | 'new', string][] = [
  ['plan start', /^\[Plan Server\] Plan execution starting$/, 1, 'old', ''],
  ['before the progress checkpoint', /Step\.SystemState$/, 1, 'old', ''],
  ['after the progress checkpoint', /Step\.Cache$/, 1, 'old', '2.0.0'],
  ['on_init complete', /on_init complete$/, 1, 'old', '2.0.0'],
  ['run starting', /run starting$/, 1, 'old', '2.0.0'],
  ['an installer starting', /^\[Installer .*\] Starting$/, 1, 'old', '2.0.0'],
  ['mid-download', /Worst case timeout/, 1, 'old', '2.0.0'],
  ['after one binary installed', /^\[Installer .*\] Complete$/, 1, 'old', '2.0.0'],
  ['run complete', /run complete$/, 1, 'old', '2.0.0'],
  ['on_finish starting', /on_finish starting$/, 1, 'old', '2.0.0'],
  ['before the advance checkpoint', /Step\.SystemState$/, 2, 'old', '2.0.0'],
  ['after the advance checkpoint', /Step\.Cache$/, 3, 'new', ''],
  ['cache cleanup', /Cache cleanup started$/, 1, 'new', ''],
  ['reboot countdown', /System will reboot in/, 1, 'new', ''],
  ['rebooting now', /System rebooting now$/, 1, 'new', ''],
  ['plan finished', /Plan finished$/, 1, 'new', ''],
];

describe('kill at every step of a plan, then restart on the same env and disk', () => {
  let dir: string;
  let host: BinaryHost;
  beforeEach(async () => {
    dir = tempDir('kill');
    host = await startBinaryHost();
  });
  afterEach(async () => {
    await host.close();
    removeDir(dir);
  });

  it.skipIf(!haveTools('fw_printenv')).each(KILL_POINTS)('killed at %s: the env is valid and reports the old or the new release, never a mix', async (_what, pattern, nth, expected, vsnProgress) => {
    const signer = createSigningKeyPair();
    const carried = { uuid: randomUUID(), content: content('carried', 1000), target: 'portable', customMetadata: fileMeta('/opt/app', 'carried.bin') };
    const release = simpleRelease(host, signer, {
      count: 2,
      meta: (i) => fileMeta('/opt/app', `app-${i}.bin`, { reboot_required: i === 1 }),
    });
    host.put(carried.uuid, carried.content);
    const manifest = [manifestItem(carried, host.url(carried.uuid), signer), ...release.manifest];
    const respond = (h: Readonly<Record<string, string>>) => {
      const r = release.respond(h);
      return r.body !== null && typeof r.body === 'object' && 'manifest' in r.body ? { ...r, body: { ...r.body, manifest } } : r;
    };
    const oldState = new Map([
      ['peridio_via_current', makePrn(ORG, 'release', randomUUID())],
      ['peridio_bun_current', makePrn(ORG, 'bundle', randomUUID())],
      ['peridio_vsn_current', '1.0.0'],
      ['peridio_bin_current', binRecord(carried.uuid, carried.customMetadata)],
    ]);
    const newState = new Map([
      ['peridio_via_current', releasePrn(release.ref)],
      ['peridio_bun_current', bundlePrn(release.ref)],
      ['peridio_vsn_current', '2.0.0'],
      ['peridio_bin_current', [carried, ...release.binaries].map((b) => binRecord(b.uuid, b.customMetadata)).sort().join('')],
    ]);
    const config = testConfig({ trusted_signing_keys: [signer.publicKeyBase64Raw], targets: ['portable'] });
    const keyPem = deviceKeyPem();
    const kv = createEnvKv(dir, oldState);
    let seen = 0;
    const doomed = bootDevice({
      dir, kv, api: fakeApi(respond), config, keyPem,
      onLine: (line, device) => {
        if (pattern.test(line.message) && ++seen === nth) {
          kv.kill();
          device.controller.abort(new Error('SIGKILL'));
        }
      },
    });
    await doomed.updater.checkNow();
    await doomed.updater.stop();
    expect(seen).toBeGreaterThanOrEqual(nth);

    const afterKill = readUbootEnvFromConfig(kv.configPath).vars;
    run('fw_printenv', ['-c', kv.configPath]);
    const reported = new Map(REPORTED.map((k) => [k, afterKill.get(k) ?? '']));
    expect(afterKill.get('peridio_vsn_progress') ?? '').toBe(vsnProgress);
    expect(Object.fromEntries(reported)).toEqual(Object.fromEntries(expected === 'old' ? oldState : newState));

    const reborn = bootDevice({ dir, kv: createEnvKv(dir), api: fakeApi(respond), config, keyPem });
    await reborn.updater.checkNow();
    await reborn.updater.stop();
    const final = readUbootEnvFromConfig(kv.configPath).vars;
    for (const k of REPORTED) expect(final.get(k)).toBe(newState.get(k));
    for (const k of ['peridio_via_progress', 'peridio_bun_progress', 'peridio_vsn_progress', 'peridio_bin_progress']) expect(final.get(k) ?? '').toBe('');
    const app = join(dir, 'root/opt/app');
    release.binaries.forEach((b, i) => {
      expect(readlinkSync(join(app, `app-${i}.bin`))).toBe(b.uuid);
      expect(readFileSync(join(app, `app-${i}.bin`)).equals(b.content)).toBe(true);
    });
    expect(readdirSync(app).filter((n) => n.startsWith('.'))).toEqual([]);
    expect(readdirSync(join(dir, 'cache/.tmp'))).toEqual([]);
  });
});
