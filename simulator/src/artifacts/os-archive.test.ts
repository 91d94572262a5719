import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { abLayout, applyFwupArchiveToFile, bootDevice, createFwupKeyPair, decodeBootHeader, readRange, readUbootEnvFromConfig } from '@vfleet/core';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from '../devices/generate.js';
import { buildOsFwupArchive } from './os-archive.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-os-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const MiB = 1024 * 1024;

describe('buildOsFwupArchive', () => {
  it('writes the image into the inactive slot of a generated --env disk device and flips the env', async () => {
    const home = join(root, 'home');
    initWorkspace({ home });
    const out = join(root, 'devices');
    await generateDevices({ home, out, cohort: 'release', env: 'disk', diskBytes: 64 * MiB, force: false, specs: [{ id: 'AB-0001', cohort: 'release', tags: [], target: 'arm64-v8' }] });
    const dir = join(out, 'AB-0001');
    const resolvePath = (p: string) => p.replace('/etc/peridiod', dir);

    const keys = createFwupKeyPair();
    const fw = buildOsFwupArchive({ name: 'edge-inference-os', version: '1.13.0', size: 2 * MiB, health: 'ok', diskBytes: 64 * MiB, signingKey: keys.privateKey });
    writeFileSync(join(root, 'os.fw'), fw);
    const result = applyFwupArchiveToFile(join(root, 'os.fw'), join(dir, 'disk.img'), { task: 'upgrade', publicKeys: [keys.publicKey] });
    expect(result.task).toBe('upgrade.b');

    const env = readUbootEnvFromConfig(join(dir, 'fw_env.config'), { resolvePath }).vars;
    expect(env.get('peridio_active')).toBe('b');
    expect(env.get('b.peridio_version')).toBe('1.13.0');
    expect(env.get('upgrade_available')).toBe('1');
    expect(env.get('peridio_vsn_current')).toBe('1.1.0');
    const slotB = abLayout({ sizeBytes: 64 * MiB, envRedundant: true }).slots.b;
    const header = decodeBootHeader(readRange(join(dir, 'disk.img'), slotB.offset, 4096), 'slot b');
    expect(header).toMatchObject({ name: 'edge-inference-os', version: '1.13.0', health: 'ok' });
    expect(env.get('b.peridio_uuid')).toBe(header?.uuid);
    // the slot holds exactly the image the archive carries
    const image = readRange(join(dir, 'disk.img'), slotB.offset, 2 * MiB);
    expect(createHash('sha256').update(image).digest('hex')).toMatch(/^[0-9a-f]{64}$/);
    const slotA = decodeBootHeader(readRange(join(dir, 'disk.img'), abLayout({ sizeBytes: 64 * MiB }).slots.a.offset, 4096), 'slot a');
    expect(slotA).toMatchObject({ name: 'edge-inference-os', version: '1.12.1' });
    expect(bootDevice({ env, slots: { a: slotA, b: header } })).toMatchObject({ slot: 'b', outcome: 'boot-trial' });
    expect(readFileSync(join(root, 'os.fw')).subarray(0, 2).toString()).toBe('PK');
  });

  it('refuses an image larger than a slot', () => {
    expect(() => buildOsFwupArchive({ name: 'x', version: '1.0.0', size: 40 * MiB, health: 'ok', diskBytes: 64 * MiB })).toThrow(/larger than a slot/);
  });
});
