import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSigningKeyPair, stateHeaders, type SigningKeyPair } from '@vfleet/core';
import type { DeviceApi } from '../types.js';
import { createHttpFetch, type FetchBinary } from './download/fetch-binary.js';
import type { UpdaterOptions } from './options.js';
import { startBinaryHost, type BinaryHost } from './test-support/binary-host.js';
import { findInOrder } from './test-support/capture-log.js';
import { fakeApi } from './test-support/fake-api.js';
import { bootDevice, deviceKeyPem, removeDir, tempDir, testConfig } from './test-support/harness.js';
import { createMemoryKv, type TestKv } from './test-support/memory-kv.js';
import { fileMeta, releasePrn } from './test-support/offers.js';
import { simpleRelease } from './test-support/simple-release.js';

const PROGRESS = ['peridio_via_progress', 'peridio_bun_progress', 'peridio_vsn_progress', 'peridio_bin_progress'];
const oldKv = (): TestKv => createMemoryKv(new Map([['peridio_vsn_current', '1.0.0']]));

describe('updater', () => {
  let dir: string;
  let host: BinaryHost;
  let signer: SigningKeyPair;
  const keyPem = deviceKeyPem();
  beforeEach(async () => {
    dir = tempDir('updater');
    host = await startBinaryHost();
    signer = createSigningKeyPair();
  });
  afterEach(async () => {
    await host.close();
    removeDir(dir);
  });

  const boot = (kv: TestKv, api: DeviceApi, json: Record<string, unknown> = {}, extra: Partial<UpdaterOptions> = {}) =>
    bootDevice({ dir, kv, api, keyPem, extra, config: testConfig({ trusted_signing_keys: [signer.publicKeyBase64Raw], targets: ['portable'], ...json }) });
  const unchanged = (kv: TestKv): void => {
    expect(kv.get('peridio_vsn_current')).toBe('1.0.0');
    expect(kv.get('peridio_via_current')).toBeUndefined();
    for (const k of PROGRESS) expect(kv.get(k) ?? '').toBe('');
  };
  const appDir = (): string => join(dir, 'root/opt/app');

  it('a tampered binary: checksum_mismatch logged, state unchanged, nothing at <path>/<name>; the next poll succeeds once fixed', async () => {
    const release = simpleRelease(host, signer, { count: 1 });
    const [bin] = release.binaries;
    host.fault(bin?.uuid ?? '', 'tamper');
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond));
    await device.updater.checkNow();
    unchanged(kv);
    const prn = release.manifest[0]?.['binary_prn'] as string;
    expect(findInOrder(device.log.messages(), [
      `[Stream Downloader ${prn}] Integrity verification failed: checksum_mismatch`,
      /^\[Installer prn:.*\] Error checksum_mismatch: /,
      /^\[Plan Server\] Error processing step checksum_mismatch/,
      '[Plan Server] on_error starting',
      '[Plan Server] on_error complete',
      '[Plan Server] Plan finished with errors',
    ])).toBeUndefined();
    expect(readdirSync(appDir())).toEqual([]);

    host.fault(bin?.uuid ?? '', undefined);
    await device.updater.checkNow();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    expect(readlinkSync(join(appDir(), 'app-0.bin'))).toBe(bin?.uuid);
    await device.updater.stop();
  });

  it('an untrusted signature: refused before anything is written; trusted again, the next poll installs', async () => {
    const stranger = createSigningKeyPair();
    const release = simpleRelease(host, stranger);
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond));
    await device.updater.checkNow();
    expect(device.log.messages('error')).toEqual(['[Bundle Server] unable to install binaries with untrusted signatures']);
    expect(kv.writes).toBe(0);
    expect(existsSync(appDir())).toBe(false);
    await device.updater.stop();

    const trusting = boot(kv, fakeApi(release.respond), { trusted_signing_keys: [signer.publicKeyBase64Raw, stranger.publicKeyBase64Raw] });
    await trusting.updater.checkNow();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    await trusting.updater.stop();
  });

  it('a signature by a trusted key over other bytes fails as invalid_signature', async () => {
    const release = simpleRelease(host, signer, { count: 1, item: (_i, item) => ({ ...item, signatures: simpleRelease(host, signer, { count: 1 }).manifest[0]?.['signatures'] }) });
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond));
    await device.updater.checkNow();
    unchanged(kv);
    expect(device.log.messages('error')).toContainEqual(expect.stringMatching(/Integrity verification failed: invalid_signature$/));
    await device.updater.stop();
  });

  it('a truncated download fails the plan (one attempt per poll, as peridiod), and the next poll succeeds', async () => {
    const release = simpleRelease(host, signer, { count: 1 });
    const name = release.binaries[0]?.uuid ?? '';
    host.fault(name, 'truncate');
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond));
    await device.updater.checkNow();
    unchanged(kv);
    expect(device.log.messages('error')).toContainEqual(expect.stringMatching(/^\[Plan Server\] Error processing step download of prn:.* failed after 1 attempt\(s\) at byte 50000 of 100000/));
    expect(readdirSync(appDir())).toEqual([]);
    host.fault(name, undefined);
    await device.updater.checkNow();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    await device.updater.stop();
  });

  it('with retries, a dropped download resumes with Range and X-Retry-Number', async () => {
    const release = simpleRelease(host, signer, { count: 1 });
    host.fault(release.binaries[0]?.uuid ?? '', 'truncate', 1);
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond), {}, { download: { maxRetries: 2, retryDelayMs: 5 } });
    await device.updater.checkNow();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    expect(host.requests.map((r) => [r.headers['range'], r.headers['x-retry-number']])).toEqual([[undefined, '0'], ['bytes=50000-', '1']]);
    expect(device.log.messages()).toContainEqual(expect.stringMatching(/\] RESUME download attempt 1 http:/));
    await device.updater.stop();
  });

  it('installs a release of 20 binaries at most 8 at a time', async () => {
    const release = simpleRelease(host, signer, { count: 20 });
    const http = createHttpFetch();
    let open = 0;
    let most = 0;
    // counts the bodies being read at once (a download holds a connection and a file until its body ends)
    const fetchBinary: FetchBinary = async (request) => {
      const res = await http(request);
      open++;
      most = Math.max(most, open);
      const body = res.body;
      // a slow start, so that every download the stage allows is open at once
      return { ...res, body: (async function* () { try { await new Promise((r) => setTimeout(r, 30)); yield* body; } finally { open--; } })() };
    };
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond), {}, { fetchBinary });
    await device.updater.checkNow();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    expect(host.requests).toHaveLength(20);
    expect(readdirSync(appDir()).filter((n) => n.startsWith('app-'))).toHaveLength(20);
    expect(most).toBe(8);
    await device.updater.stop();
  });

  it.each([
    [{ path: '/opt/../etc', name: 'x' }, 'installer_opts.path: "/opt/../etc" is not a normalised path'],
    [{ path: 'opt/app', name: 'x' }, 'installer_opts.path: "opt/app" is not absolute'],
    [{ path: '/opt/app', name: '../../etc/passwd' }, 'installer_opts.name: "../../etc/passwd" is not a plain file name'],
    [{ path: '/opt/app', name: '..' }, 'installer_opts.name: ".." is not a plain file name'],
    [{ path: '/opt/app' }, 'installer_opts.name: expected a file name, found nothing'],
  ])('installer_opts %j is refused with an [Installer] error and nothing is written', async (opts, why) => {
    const release = simpleRelease(host, signer, { count: 1, meta: () => ({ peridiod: { installer: 'file', installer_opts: opts } }) });
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond));
    await device.updater.checkNow();
    const prn = release.manifest[0]?.['binary_prn'] as string;
    const errors = device.log.messages('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`[Installer ${prn}] Error custom_metadata.peridiod.${why}`);
    expect(kv.writes).toBe(0);
    expect(existsSync(join(dir, 'root'))).toBe(false);
    expect(host.requests).toEqual([]);
    await device.updater.stop();
  });

  it.each([[0], [2]])('%i signatures on a binary: the body is refused naming the field; the next poll goes on', async (count) => {
    const release = simpleRelease(host, signer, {
      count: 1,
      item: (_i, item) => ({ ...item, signatures: Array.from({ length: count }, () => (item['signatures'] as unknown[])[0]) }),
    });
    const good = simpleRelease(host, signer, { count: 1 });
    let answer = release;
    const kv = oldKv();
    const device = boot(kv, fakeApi((h) => answer.respond(h)));
    await device.updater.checkNow();
    expect(device.log.messages('error')).toEqual([
      `[Cloud Server] error checking for update /update body $.manifest[0].signatures: expected exactly one signature, found ${count}`,
    ]);
    expect(kv.writes).toBe(0);
    answer = good;
    await device.updater.checkNow();
    expect(kv.get('peridio_via_current')).toBe(releasePrn(good.ref));
    await device.updater.stop();
  });

  it('logs the Cloud Server lines for no_update, quarantine, non-200 and transport errors', async () => {
    const answers: (() => Promise<{ status: number; body: unknown }>)[] = [
      async () => ({ status: 200, body: { status: 'no_update' } }),
      async () => ({ status: 200, body: { status: 'device_quarantined' } }),
      async () => ({ status: 503, body: { error: 'down' } }),
      async () => ({ status: 200, body: { status: 'update', source_type: 'mystery' } }),
      () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')),
    ];
    const api = fakeApi(() => (answers.shift() as () => Promise<{ status: number; body: unknown }>)());
    const kv = oldKv();
    const device = boot(kv, api);
    for (let i = 0; i < 5; i++) await device.updater.checkNow();
    expect(device.log.messages().filter((m) => m.startsWith('[Cloud Server]'))).toEqual([
      '[Cloud Server] Checking for update', '[Cloud Server] no update',
      '[Cloud Server] Checking for update', '[Cloud Server] Device Quarantined', '[Cloud Server] no update',
      '[Cloud Server] Checking for update', '[Cloud Server] Non 200 response from server', '[Cloud Server] Status code: 503', '[Cloud Server] Response: {"error":"down"}',
      '[Cloud Server] Checking for update', '[Cloud Server] Non 200 response from server', '[Cloud Server] Status code: 200',
      '[Cloud Server] Response: {"status":"update","source_type":"mystery"}',
      '[Cloud Server] Checking for update', '[Cloud Server] error checking for update connect ECONNREFUSED 127.0.0.1:1',
    ]);
    expect(api.calls[0]).toEqual({ 'peridio-release-version': '1.0.0' });
    expect(kv.writes).toBe(0);
    await device.updater.stop();
  });

  it('logs both "No binaries to install" lines and still advances to the release', async () => {
    const release = simpleRelease(host, signer, { count: 1 });
    const kv = oldKv();
    const other = boot(kv, fakeApi(release.respond), { targets: ['riscv'] });
    await other.updater.checkNow();
    expect(other.log.messages()).toContain('[Bundle Server] No binaries to install because there are no binaries for supported targets ["riscv"]');
    expect(kv.get('peridio_via_current')).toBe(releasePrn(release.ref));
    expect(kv.get('peridio_bin_current')).toBe('');
    await other.updater.stop();

    const again = simpleRelease(host, signer, { count: 0 });
    const kv2 = createMemoryKv();
    const installed = boot(kv2, fakeApi(release.respond));
    await installed.updater.checkNow();
    const same = boot(kv2, fakeApi((h) => (h['peridio-release-prn'] === releasePrn(again.ref) ? { status: 200, body: { status: 'no_update' } } : { status: 200, body: { ...(again.respond({}).body as object), manifest: release.manifest } })));
    await same.updater.checkNow();
    expect(same.log.messages()).toContain('[Bundle Server] No binaries to install because binaries already reported installed');
    expect(kv2.get('peridio_via_current')).toBe(releasePrn(again.ref));
    expect(kv2.get('peridio_bin_current')).toBe(kv2.get('peridio_bin_previous'));
    expect(host.requests).toHaveLength(1);
    await installed.updater.stop();
    await same.updater.stop();
  });

  it('a poll during a running plan logs "Plan is already executing"', async () => {
    let release1: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => { release1 = resolve; });
    const http = createHttpFetch();
    const slow: FetchBinary = async (req) => {
      await gate;
      return http(req);
    };
    const release = simpleRelease(host, signer, { count: 1 });
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond), {}, { fetchBinary: slow });
    const first = device.updater.checkNow();
    while (!device.updater.busy()) await new Promise((r) => setTimeout(r, 5));
    await device.updater.checkNow();
    expect(device.log.messages('warn')).toContain('[Plan Server] Plan is already executing');
    release1();
    await first;
    expect(device.updater.busy()).toBe(false);
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    await device.updater.stop();
  });

  it('reboots through requestReboot after the advance when a binary needs it', async () => {
    const release = simpleRelease(host, signer, { count: 1, meta: () => fileMeta('/opt/app', 'app.bin', { reboot_required: true }) });
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond), { reboot_delay: 1200 });
    await device.updater.checkNow();
    expect(device.reboots).toEqual(['update']);
    expect(findInOrder(device.log.messages(), [
      '[Plan Server] on_finish starting', '[State] Cache cleanup finished',
      '[Step System Reboot] System will reboot in 1 seconds', '[Step System Reboot] System rebooting now',
      '[Plan Server] on_finish complete', '[Plan Server] Plan finished',
    ])).toBeUndefined();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    await device.updater.stop();
  });

  it('a failing reboot_sync_cmd fails the plan after the advance, without a reboot', async () => {
    const release = simpleRelease(host, signer, { count: 1, meta: () => fileMeta('/opt/app', 'app.bin', { reboot_required: true }) });
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond), { reboot_sync_cmd: 'false' });
    await device.updater.checkNow();
    expect(device.reboots).toEqual([]);
    expect(device.log.messages('error')).toContain('[Update] Exit code 1 while attempting to reboot the system ""');
    expect(device.log.messages('error')).toContain('[Plan Server] Plan finished with errors');
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    await device.updater.stop();
  });

  it('polls at start and every interval when enabled, and stop() clears the timer', async () => {
    const api = fakeApi(() => ({ status: 200, body: { status: 'no_update' } }));
    const device = boot(oldKv(), api, { update_poll_enabled: true, update_poll_interval: 20 });
    device.updater.start();
    while (api.calls.length < 3) await new Promise((r) => setTimeout(r, 5));
    await device.updater.stop();
    const calls = api.calls.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(api.calls.length).toBe(calls);
    expect(device.log.messages()[0]).toBe('[Cloud Server] Polling enabled');
  });

  it('waits out a poll interval longer than a timer can hold instead of polling at once', async () => {
    const api = fakeApi(() => ({ status: 200, body: { status: 'no_update' } }));
    // 1000 h: past 2^31-1 ms a plain setTimeout fires after 1 ms (it polled ~400 times a second)
    const device = boot(oldKv(), api, { update_poll_enabled: true, update_poll_interval: 3_600_000_000 });
    device.updater.start();
    while (api.calls.length < 1) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 100));
    expect(api.calls).toHaveLength(1);
    await device.updater.stop();
  });

  it('logs "Polling Disabled" and does not poll when polling is off', async () => {
    const api = fakeApi(() => ({ status: 200, body: { status: 'no_update' } }));
    const device = boot(oldKv(), api);
    device.updater.start();
    await new Promise((r) => setTimeout(r, 20));
    expect(api.calls).toEqual([]);
    expect(device.log.messages()).toEqual(['[Cloud Server] Polling Disabled']);
    await device.updater.stop();
  });

  it('a reinstall after a custom_metadata change replaces the link atomically and keeps headers consistent', async () => {
    const release = simpleRelease(host, signer, { count: 1 });
    const kv = oldKv();
    const device = boot(kv, fakeApi(release.respond));
    await device.updater.checkNow();
    const uuid = release.binaries[0]?.uuid ?? randomUUID();
    const changed = simpleRelease(host, signer, { count: 1, version: '2.0.1', item: () => ({ ...release.manifest[0], custom_metadata: fileMeta('/opt/app', 'app-0.bin', { note: 1 }) }) });
    const again = boot(kv, fakeApi(changed.respond));
    await again.updater.checkNow();
    expect(kv.get('peridio_vsn_current')).toBe('2.0.1');
    expect(readlinkSync(join(appDir(), 'app-0.bin'))).toBe(uuid);
    expect(readdirSync(appDir()).sort()).toEqual(['app-0.bin', uuid].sort());
    expect(host.requests).toHaveLength(2);
    expect(stateHeaders(kv.all())['peridio-release-prn']).toBe(releasePrn(changed.ref));
    await device.updater.stop();
    await again.updater.stop();
  });
});
