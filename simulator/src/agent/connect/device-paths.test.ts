import { lstatSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDevicePaths, makeDeviceDir, mappedDeviceDir, resolvesToItself } from './device-paths.js';

describe('createDevicePaths', () => {
  const mapped = createDevicePaths({ root: '/srv/devices/d1', mode: 'mapped' });

  it('maps /etc/peridiod into the device directory and everything else under root/', () => {
    expect(mapped.map('/etc/peridiod/peridio.json')).toBe('/srv/devices/d1/peridio.json');
    expect(mapped.map('/etc/peridiod')).toBe('/srv/devices/d1');
    expect(mapped.map('/opt/edge-inference/model.bin')).toBe('/srv/devices/d1/root/opt/edge-inference/model.bin');
    expect(mapped.map('/etc/peridiodx/a')).toBe('/srv/devices/d1/root/etc/peridiodx/a');
    expect(mapped.map('/etc/fw_env.config')).toBe('/srv/devices/d1/root/etc/fw_env.config');
  });

  it('resolves .. lexically so a path never leaves the device directory', () => {
    expect(mapped.map('/../../../etc/passwd')).toBe('/srv/devices/d1/root/etc/passwd');
    expect(mapped.map('/etc/peridiod/../../../../tmp/x')).toBe('/srv/devices/d1/root/tmp/x');
    expect(mapped.map('/etc/peridiod/cache/../uboot.env')).toBe('/srv/devices/d1/uboot.env');
  });

  it('refuses relative and NUL-carrying paths with the path in the message', () => {
    expect(() => mapped.map('../../etc/passwd')).toThrow('device path "../../etc/passwd": is not absolute');
    expect(() => mapped.map('opt/x')).toThrow(/is not absolute/);
    expect(() => mapped.map('')).toThrow(/is not absolute/);
    expect(() => mapped.map('/opt/a\0b')).toThrow(/NUL byte/);
  });

  it('is the identity (normalised) in a container', () => {
    const c = createDevicePaths({ mode: 'container' });
    expect(c.map('/etc/peridiod/peridio.json')).toBe('/etc/peridiod/peridio.json');
    expect(c.map('/opt//x/../y')).toBe('/opt/y');
    expect(() => c.map('x/y')).toThrow(/is not absolute/);
  });

  it('needs a root in mapped mode', () => {
    expect(() => createDevicePaths({ mode: 'mapped' })).toThrow(/needs the device directory/);
  });
});

describe('makeDeviceDir', () => {
  let base: string;
  let device: string;
  let outside: string;
  const label = 'test: installer_opts.path';
  beforeEach(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'vfleet-device-paths-')));
    device = join(base, 'd1');
    outside = join(base, 'host');
    mkdirSync(outside);
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('creates each missing component under the device directory and returns the mapped path', async () => {
    const paths = createDevicePaths({ root: device, mode: 'mapped' });
    expect(await makeDeviceDir(paths, '/opt/a/b', label)).toBe(join(device, 'root/opt/a/b'));
    expect(lstatSync(join(device, 'root/opt/a/b')).isDirectory()).toBe(true);
    expect(await makeDeviceDir(paths, '/etc/peridiod/x', label)).toBe(join(device, 'x'));
    expect(await makeDeviceDir(paths, '/opt/a/b', label)).toBe(join(device, 'root/opt/a/b'));
  });

  it.each([['root'], ['root/opt'], ['root/opt/a']])('refuses when %s is a symbolic link, naming the path and the link', async (planted) => {
    const paths = createDevicePaths({ root: device, mode: 'mapped' });
    mkdirSync(join(device, planted, '..'), { recursive: true });
    symlinkSync(outside, join(device, planted));
    await expect(makeDeviceDir(paths, '/opt/a/b', label)).rejects.toMatchObject({
      code: 'VFLEET_IO',
      message: `test: installer_opts.path "/opt/a/b": ${join(device, planted)} is a symbolic link (to ${outside}), which a mapped device may not follow; refusing to write through it`,
    });
    expect(readdirSync(outside)).toEqual([]);
  });

  it('refuses a dangling link and a file where a directory should be', async () => {
    const paths = createDevicePaths({ root: device, mode: 'mapped' });
    mkdirSync(join(device, 'root'), { recursive: true });
    symlinkSync(join(outside, 'later'), join(device, 'root/opt'));
    await expect(makeDeviceDir(paths, '/opt/a', label)).rejects.toThrow(`${join(device, 'root/opt')} is a symbolic link (to ${join(outside, 'later')})`);
    expect(readdirSync(outside)).toEqual([]);
    writeFileSync(join(device, 'root/srv'), '');
    await expect(makeDeviceDir(paths, '/srv/a', label)).rejects.toThrow(`test: installer_opts.path "/srv/a": ${join(device, 'root/srv')} exists and is not a directory`);
  });

  it('accepts a device directory that is itself reached through a link (the host chose it)', async () => {
    mkdirSync(device);
    symlinkSync(device, join(base, 'alias'));
    const paths = createDevicePaths({ root: join(base, 'alias'), mode: 'mapped' });
    expect(await makeDeviceDir(paths, '/opt/a', label)).toBe(join(base, 'alias/root/opt/a'));
    expect(lstatSync(join(device, 'root/opt/a')).isDirectory()).toBe(true);
  });

  it('follows links in a container, where the paths are the device\'s own', async () => {
    symlinkSync(outside, join(base, 'app'));
    const paths = createDevicePaths({ mode: 'container' });
    expect(await makeDeviceDir(paths, join(base, 'app/x'), label)).toBe(join(base, 'app/x'));
    expect(readdirSync(outside)).toEqual(['x']);
  });
});

describe('resolvesToItself and mappedDeviceDir', () => {
  let base: string;
  beforeEach(() => {
    base = realpathSync(mkdtempSync(join(tmpdir(), 'vfleet-device-paths-')));
  });
  afterEach(() => rmSync(base, { recursive: true, force: true }));

  it('is true for real folders and files, false through a link at any depth, undefined for what is missing', async () => {
    const device = join(base, 'd1');
    mkdirSync(join(device, 'root/real'), { recursive: true });
    writeFileSync(join(device, 'root/real/file'), '');
    symlinkSync('real', join(device, 'root/inside'));
    symlinkSync(base, join(device, 'root/out'));
    symlinkSync(join(device, 'root/real/file'), join(device, 'root/real/file-link'));
    symlinkSync(device, join(base, 'alias'));
    expect(await resolvesToItself(device, join(device, 'root/real/file'))).toBe(true);
    expect(await resolvesToItself(join(base, 'alias'), join(base, 'alias/root/real'))).toBe(true);
    expect(await resolvesToItself(device, join(device, 'root/inside/file'))).toBe(false);
    expect(await resolvesToItself(device, join(device, 'root/out/d1'))).toBe(false);
    expect(await resolvesToItself(device, join(device, 'root/real/file-link'))).toBe(false);
    expect(await resolvesToItself(device, join(device, 'root/missing/x'))).toBeUndefined();
    expect(await resolvesToItself(device, join(device, 'root/real/file/x'))).toBeUndefined();
  });

  it('names the device directory of a mapped device and none for a container', () => {
    expect(mappedDeviceDir(createDevicePaths({ root: '/srv/devices/d1', mode: 'mapped' }))).toBe('/srv/devices/d1');
    expect(mappedDeviceDir(createDevicePaths({ mode: 'container' }))).toBeUndefined();
  });
});
