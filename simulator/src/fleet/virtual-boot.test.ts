import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFwupArchiveToFile, createDiskImage } from '@vfleet/core';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from '../devices/generate.js';
import { buildOsFwupArchive } from '../artifacts/os-archive.js';
import { createFleet } from './orchestrator.js';
import { createInprocRuntime } from './runtimes/inproc.js';
import { virtualBoot } from './virtual-boot.js';
import { deviceEnv } from '../test-support/device.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-boot-'));
const controller = new AbortController();
afterAll(() => {
  controller.abort();
  rmSync(root, { recursive: true, force: true });
});
const MiB = 1024 * 1024;

async function device(id: string, health: 'ok' | 'crash'): Promise<string> {
  const home = join(root, 'home');
  initWorkspace({ home });
  const out = join(root, 'devices');
  // nothing listens on port 1: the agent starts and retries, and never leaves this machine
  await generateDevices({ home, out, cohort: 'release', env: 'disk', diskBytes: 64 * MiB, force: false, deviceApi: '127.0.0.1:1', specs: [{ id, cohort: 'release', tags: [], target: 'arm64-v8' }] });
  const fw = join(root, `${id}.fw`);
  writeFileSync(fw, buildOsFwupArchive({ name: 'edge-inference-os', version: '1.13.0', size: MiB, health, diskBytes: 64 * MiB }));
  expect(applyFwupArchiveToFile(fw, join(out, id, 'disk.img'), { task: 'upgrade' }).task).toBe('upgrade.b');
  return join(out, id);
}

const envOf = deviceEnv;

describe('virtual boot', () => {
  it('leaves a disk that never held an OS (and an env without an active slot) to boot as it is', async () => {
    const home = join(root, 'home');
    initWorkspace({ home });
    const out = join(root, 'plain');
    await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: [{ id: 'PL-0001', cohort: 'release', tags: [], target: 'arm64-v8' }] });
    expect(virtualBoot(join(out, 'PL-0001'))).toBeUndefined();
    // an older device directory: a GPT disk with empty slots, an env with no peridio_active
    createDiskImage(join(out, 'PL-0001', 'disk.img'), { sizeBytes: 32 * MiB });
    expect(virtualBoot(join(out, 'PL-0001'))).toBeUndefined();
  });

  it('boots the new slot on trial, counting boots', async () => {
    const dir = await device('VB-0001', 'ok');
    expect(virtualBoot(dir)).toMatchObject({ slot: 'b', outcome: 'boot-trial', health: 'ok' });
    expect(envOf(dir).get('bootcount')).toBe('1');
    expect(envOf(dir).get('b.peridio_version')).toBe('1.13.0');
  });

  it('rolls a crashing image back to slot a after bootlimit boots, data untouched, and runs the agent there', async () => {
    const dir = await device('VB-0002', 'crash');
    const fleet = await createFleet({ runtime: createInprocRuntime(), devicesDir: join(root, 'devices'), ids: ['VB-0002'], signal: controller.signal, rebootDelayMs: 10, backoff: { initialMs: 10 } });
    const state = () => fleet.status('VB-0002');
    const end = Date.now() + 15_000;
    while (!(state()?.run === 'running' && state()?.slot === 'a') && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    // three trial boots crash, U-Boot rolls back on the fourth
    expect(state()).toMatchObject({ run: 'running', slot: 'a', boots: 4, crashes: 3, version: '1.1.0' });
    const env = envOf(dir);
    expect(env.get('peridio_active')).toBe('a');
    expect(env.get('upgrade_available') ?? '').toBe('');
    expect(env.get('bootcount')).toBe('0');
    expect(env.get('a.peridio_version')).toBe('1.12.1');
    expect(env.get('peridio_vsn_current')).toBe('1.1.0');
    await fleet.close();
    expect(state()?.run).toBe('stopped');
  });
});
