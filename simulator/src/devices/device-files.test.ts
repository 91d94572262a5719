// Host-side use of a device directory that whatever runs as the device may have tampered with:
// links out of the directory, FIFOs, /dev/zero and broken vfleet.json files.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { virtualBoot } from '../fleet/virtual-boot.js';
import { ensureLoopbackHosts } from '../fleet/runtimes/hosts-file.js';
import { initWorkspace } from '../workspace/init.js';
import { readDeviceEnv } from './device-env.js';
import { readDeviceMeta, readDeviceText, requireInDevice, writeDeviceFile } from './device-files.js';
import { generateDevices } from './generate.js';
import { listDevices } from './list.js';

const MiB = 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'vfleet-devfiles-'));
const home = join(root, 'home');
const out = join(root, 'devices');
const outside = join(root, 'outside');
const precious = join(outside, 'precious');

beforeAll(async () => {
  initWorkspace({ home });
  const spec = (id: string) => ({ id, cohort: 'release', tags: ['t'], target: 'arm64-v8' });
  await generateDevices({ home, out, cohort: 'release', env: 'disk', diskBytes: 16 * MiB, force: false, specs: ['D-1', 'D-2', 'D-3'].map(spec) });
  await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: ['F-1', 'F-2'].map(spec) });
  mkdirSync(outside);
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const keepSafe = (): Buffer => {
  writeFileSync(precious, 'precious');
  return readFileSync(precious);
};

describe('a device directory with links planted in it', () => {
  it('requireInDevice refuses a link at any depth and a path outside, and accepts what is missing', () => {
    const dir = join(out, 'D-1');
    expect(requireInDevice(dir, join(dir, 'root/etc/new/file'))).toBe(join(dir, 'root/etc/new/file'));
    expect(() => requireInDevice(dir, join(dir, '../D-2/disk.img'))).toThrow(`refusing a path outside the device directory ${dir}`);
    symlinkSync(outside, join(dir, 'root', 'linked'));
    expect(() => requireInDevice(dir, join(dir, 'root/linked/x'))).toThrow(`${join(dir, 'root/linked')}: refusing to follow a symbolic link in the device directory ${dir}`);
  });

  it('writes the loopback /etc/hosts neither through a linked file nor through a linked folder', () => {
    const dir = join(out, 'F-1');
    const before = keepSafe();
    mkdirSync(join(dir, 'root', 'etc'), { recursive: true });
    symlinkSync(precious, join(dir, 'root', 'etc', 'hosts'));
    expect(() => ensureLoopbackHosts(dir)).toThrow(/root\/etc\/hosts: refusing to follow a symbolic link/);
    unlinkSync(join(dir, 'root', 'etc', 'hosts'));
    rmSync(join(dir, 'root', 'etc'), { recursive: true });
    symlinkSync(outside, join(dir, 'root', 'etc'));
    expect(() => ensureLoopbackHosts(dir)).toThrow(/root\/etc: refusing to follow a symbolic link/);
    expect(readFileSync(precious).equals(before)).toBe(true);
    expect(() => writeDeviceFile(dir, 'root/etc/passwd', 'x')).toThrow(/refusing to follow a symbolic link/);
    expect(readFileSync(precious).equals(before)).toBe(true);
    // a plain device gets its file
    ensureLoopbackHosts(join(out, 'F-2'));
    expect(readFileSync(join(out, 'F-2', 'root/etc/hosts'), 'utf8')).toContain('localhost');
  });

  it('writes /etc/hosts into neither a FIFO nor a device node the device made (without blocking)', () => {
    const dir = join(out, 'F-2');
    const hosts = join(dir, 'root', 'etc', 'hosts');
    rmSync(hosts, { force: true });
    execFileSync('mkfifo', [hosts]);
    expect(() => writeDeviceFile(dir, 'root/etc/hosts', 'x')).toThrow(`${hosts}: cannot write it: ENXIO`);
    rmSync(hosts);
    if (process.getuid?.() === 0) {
      // a container's root can mknod a host disk's node in its directory: here /dev/null's (1, 3)
      execFileSync('mknod', [hosts, 'c', '1', '3']);
      expect(() => ensureLoopbackHosts(dir)).toThrow(`${hosts}: refusing to write it: not a regular file`);
      rmSync(hosts);
    }
    ensureLoopbackHosts(dir);
    expect(readFileSync(hosts, 'utf8')).toContain('vfleet-backend');
  });

  it('boots neither from a linked disk.img nor through a linked uboot.env, and writes nothing outside', () => {
    const disk = join(out, 'D-2', 'disk.img');
    const copy = join(outside, 'disk-copy.img');
    copyFileSync(disk, copy);
    const before = readFileSync(copy);
    unlinkSync(disk);
    symlinkSync(copy, disk);
    expect(() => virtualBoot(join(out, 'D-2'))).toThrow(`${disk}: refusing to boot from it: not a regular file (only disk images vfleet made are used)`);
    expect(readFileSync(copy).equals(before)).toBe(true);

    const env = join(out, 'F-1', 'uboot.env');
    const envCopy = join(outside, 'uboot.env');
    copyFileSync(env, envCopy);
    unlinkSync(env);
    symlinkSync(envCopy, env);
    expect(() => readDeviceEnv(join(out, 'F-1'))).toThrow(`${env}: refusing to follow a symbolic link in the device directory ${join(out, 'F-1')}`);
  });

  it('neither blocks on a FIFO nor reads /dev/zero for ever', () => {
    const dir = join(out, 'D-3');
    unlinkSync(join(dir, 'fw_env.config'));
    execFileSync('mkfifo', [join(dir, 'fw_env.config')]);
    expect(() => readDeviceEnv(dir)).toThrow(`${join(dir, 'fw_env.config')}: refusing to read fw_env.config: not a regular file`);
    unlinkSync(join(dir, 'vfleet.json'));
    execFileSync('mkfifo', [join(dir, 'vfleet.json')]);
    expect(() => readDeviceText(dir, 'vfleet.json', 1000)).toThrow(`${join(dir, 'vfleet.json')}: refusing to read it: not a regular file`);
    expect(readDeviceMeta(dir, 'D-3')).toBeUndefined();
    unlinkSync(join(dir, 'vfleet.json'));
    symlinkSync('/dev/zero', join(dir, 'vfleet.json'));
    expect(() => readDeviceText(dir, 'vfleet.json', 1000)).toThrow(/vfleet\.json: refusing to follow a symbolic link/);
  });

  it('devices create --force does not take such a directory for a device of its own (nor hang on it)', async () => {
    const dir = join(out, 'D-3');
    rmSync(join(dir, 'vfleet.json'), { force: true });
    execFileSync('mkfifo', [join(dir, 'vfleet.json')]);
    const r = await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: true, specs: [{ id: 'D-3', cohort: 'release', tags: [], target: 'arm64-v8' }] });
    expect(r.failed).toEqual([{ id: 'D-3', error: `${dir} exists and is not a vfleet device directory; refusing to replace it: ${join(dir, 'vfleet.json')}: refusing to read it: not a regular file` }]);
  });
});

describe('vfleet.json', () => {
  it('is a device only with the shape vfleet writes, for the directory it is in', () => {
    const dir = join(root, 'meta');
    mkdirSync(dir);
    const meta = (value: unknown) => {
      writeFileSync(join(dir, 'vfleet.json'), JSON.stringify(value));
      return readDeviceMeta(dir, 'M-1');
    };
    const good = { id: 'M-1', cohort: 'release', tags: [], target: 'arm64-v8', generator: 'vfleet', env: 'file', diskBytes: 0, createdAt: '2026-01-01T00:00:00.000Z' };
    expect(meta(good)).toEqual(good);
    for (const bad of [null, [], 'x', { ...good, id: 'M-2' }, { ...good, generator: 'other' }, { ...good, tags: undefined }, { ...good, tags: [1] }, { ...good, cohort: 7 }]) {
      expect(meta(bad)).toBeUndefined();
    }
    writeFileSync(join(dir, 'vfleet.json'), 'x'.repeat(70 * 1024));
    expect(readDeviceMeta(dir, 'M-1')).toBeUndefined();
    expect(() => readDeviceText(dir, 'vfleet.json', 64 * 1024)).toThrow(`${join(dir, 'vfleet.json')}: refusing to read it: 71680 bytes, more than 65536`);
    expect(readDeviceText(dir, 'missing.json', 64 * 1024)).toBeUndefined();
  });

  it('a broken one, or a dangling link, leaves `devices list` listing the other devices', () => {
    const folder = join(root, 'listing');
    mkdirSync(join(folder, 'junk'), { recursive: true });
    writeFileSync(join(folder, 'junk', 'vfleet.json'), 'null');
    mkdirSync(join(folder, 'BAD2'));
    writeFileSync(join(folder, 'BAD2', 'vfleet.json'), JSON.stringify({ id: 'BAD2', generator: 'vfleet' }));
    const good = join(folder, 'G-1');
    mkdirSync(good);
    writeFileSync(join(good, 'vfleet.json'), JSON.stringify({ id: 'G-1', cohort: 'release', tags: ['a'], target: 'arm64-v8', generator: 'vfleet', env: 'file', diskBytes: 0, createdAt: '' }));
    symlinkSync(join(root, 'nowhere'), join(good, 'dangling'));
    expect(listDevices(folder, { withUsage: true }).map((d) => d.meta.id)).toEqual(['G-1']);
  });
});
