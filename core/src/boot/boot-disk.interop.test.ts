// The virtual bootloader over a real vfleet disk image: slot headers are read from the GPT slots,
// the env lives in the disk's env area, fw_setenv plays fwup's on-finish and fw_printenv reads the result.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { haveTools, run } from '../test-support/oracle.js';
import { createDiskImage, readRange, type AbLayout } from '../disk/index.js';
import { formatFwEnvConfig, readUbootEnvFromConfig, updateUbootEnv, writeUbootEnvFromConfig } from '../uboot-env/index.js';
import { BOOT_HEADER_SIZE, decodeBootHeader } from './boot-header.js';
import type { BootHeaderMeta } from './boot-meta.js';
import { bootDevice } from './boot-device.js';
import { applyEnvChanges } from './env-changes.js';
import { osImageStream } from './os-image.js';

const MiB = 1024 * 1024;
const OLD: BootHeaderMeta = { name: 'edge-inference-os', version: '1.12.1', health: 'ok', platform: 'vfleet' };
const CRASH: BootHeaderMeta = { name: 'edge-inference-os', version: '1.13.0', health: 'crash', platform: 'vfleet' };
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-boot-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function writeImage(disk: string, offset: number, meta: BootHeaderMeta, size: number): Promise<void> {
  await pipeline(osImageStream(meta, size), fs.createWriteStream(disk, { flags: 'r+', start: offset }));
}

function printenv(configPath: string): Map<string, string> {
  const lines = run('fw_printenv', ['-c', configPath]).split('\n').filter((l) => l !== '');
  return new Map(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

function bootOnce(disk: string, layout: AbLayout, configPath: string): string {
  const slot = (name: 'a' | 'b'): BootHeaderMeta | null =>
    decodeBootHeader(readRange(disk, layout.slots[name].offset, BOOT_HEADER_SIZE), `${disk} rootfs-${name}`);
  const { vars } = readUbootEnvFromConfig(configPath);
  const result = bootDevice({ env: vars, slots: { a: slot('a'), b: slot('b') } });
  if (result.changes.size > 0 || result.unset.length > 0) updateUbootEnv(configPath, (v) => applyEnvChanges(v, result));
  return `${result.slot}:${result.outcome}:${result.health}`;
}

describe('booting a vfleet disk image', () => {
  it.skipIf(!haveTools('fw_printenv', 'fw_setenv'))('rolls a crashing update back to slot a after bootlimit boots', async () => {
    const disk = path.join(dir, 'disk.img');
    const layout = createDiskImage(disk, { sizeBytes: 64 * MiB });
    const configPath = path.join(dir, 'fw_env.config');
    const envArea = layout.env[0] ?? expect.unreachable('no env area');
    fs.writeFileSync(configPath, formatFwEnvConfig({ copies: [{ path: disk, ...envArea }] }));
    writeUbootEnvFromConfig(configPath, new Map([['peridio_autovalidate', '1']]));
    await writeImage(disk, layout.slots.a.offset, OLD, 3 * MiB);

    expect(bootOnce(disk, layout, configPath)).toBe('a:boot:ok');
    expect(printenv(configPath).get('a.peridio_version')).toBe('1.12.1');

    await writeImage(disk, layout.slots.b.offset, CRASH, 3 * MiB);
    // fwup's upgrade.b on-finish; libubootenv's script format is name=value per line.
    const script = path.join(dir, 'on-finish.txt');
    fs.writeFileSync(script, 'b.peridio_version=1.13.0\nperidio_active=b\nupgrade_available=1\nbootcount=0\n');
    run('fw_setenv', ['-c', configPath, '-s', script]);

    const boots = Array.from({ length: 5 }, () => bootOnce(disk, layout, configPath));
    expect(boots).toEqual(['b:boot-trial:crash', 'b:boot-trial:crash', 'b:boot-trial:crash', 'a:rollback:ok', 'a:boot:ok']);
    const env = printenv(configPath);
    expect(env.get('peridio_active')).toBe('a');
    expect(env.get('bootcount')).toBe('0');
    expect(env.has('upgrade_available')).toBe(false);
    expect(env.get('a.peridio_version')).toBe('1.12.1');
    expect(env.get('b.peridio_version')).toBe('1.13.0');
    expect(env.get('b.peridio_platform')).toBe('vfleet');
  });
});
