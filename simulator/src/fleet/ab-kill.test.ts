import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readSync, closeSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abLayout, applyFwupArchiveToFile } from '@vfleet/core';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from '../devices/generate.js';
import { buildOsFwupArchive } from '../artifacts/os-archive.js';
import { virtualBoot } from './virtual-boot.js';
import { deviceEnv } from '../test-support/device.js';

const MiB = 1024 * 1024;
const DISK = 256 * MiB;
const root = mkdtempSync(join(tmpdir(), 'vfleet-abkill-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Applies the archive in a separate process, as the agent's installer would, so it can be SIGKILLed.
const APPLY = `import { applyFwupArchiveToFile } from '@vfleet/core';
applyFwupArchiveToFile(process.argv[1], process.argv[2], { task: 'upgrade' });`;

describe('SIGKILL during the raw write', () => {
  it('leaves the device booting the old slot, and the next apply succeeds', async () => {
    const home = join(root, 'home');
    initWorkspace({ home });
    await generateDevices({ home, out: join(root, 'devices'), cohort: 'release', env: 'disk', diskBytes: DISK, force: false, specs: [{ id: 'K-0001', cohort: 'release', tags: [], target: 'arm64-v8' }] });
    const dir = join(root, 'devices', 'K-0001');
    const disk = join(dir, 'disk.img');
    const fw = join(root, 'os.fw');
    writeFileSync(fw, buildOsFwupArchive({ name: 'edge-inference-os', version: '1.13.0', size: 96 * MiB, health: 'ok', diskBytes: DISK }));
    const slotB = abLayout({ sizeBytes: DISK }).slots.b;
    const env = () => deviceEnv(dir);

    const child = spawn(process.execPath, ['--input-type=module', '-e', APPLY, fw, disk], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    // kill as soon as the first bytes of the image land in slot b
    const fd = openSync(disk, 'r');
    const probe = Buffer.alloc(16);
    const started = Date.now();
    let writing = false;
    while (!writing && Date.now() - started < 20_000) {
      readSync(fd, probe, 0, 16, slotB.offset);
      writing = probe.some((b) => b !== 0);
      if (!writing) await new Promise((r) => setImmediate(r));
    }
    closeSync(fd);
    child.kill('SIGKILL');
    expect(writing).toBe(true);
    expect(await exited).toBe('SIGKILL');

    // the env was untouched (fwup sets it only after every write): slot a boots as before
    expect(env().get('peridio_active')).toBe('a');
    expect(env().get('upgrade_available')).toBeUndefined();
    expect(virtualBoot(dir)).toMatchObject({ slot: 'a', outcome: 'boot' });
    // the next attempt installs the update
    expect(applyFwupArchiveToFile(fw, disk, { task: 'upgrade' }).task).toBe('upgrade.b');
    expect(virtualBoot(dir)).toMatchObject({ slot: 'b', outcome: 'boot-trial' });
    expect(env().get('b.peridio_version')).toBe('1.13.0');
  }, 60_000);
});
