import { describe, expect, it } from 'vitest';
import { createDevicePaths } from './device-paths.js';

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
