import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatFwEnvConfig, parseFwEnvConfig, readUbootEnvFromConfig, updateUbootEnv, writeUbootEnvFromConfig } from '@vfleet/core';
import { haveTools } from '@vfleet/core/test-support';
import { initWorkspace } from '../../workspace/init.js';
import { generateDevices } from '../../devices/generate.js';
import { createDevicePaths } from '../../agent/connect/device-paths.js';
import { loopDevicesAllowed } from '../../agent/connect/kv-store.js';
import { deviceEnv } from '../../test-support/device.js';
import { attachedLoops, attachLoop, cleanupLoops, detachLoop, deviceDiskImage, parseLosetupList, recordedLoops } from './loop.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot && process.env['CI'] === 'true') throw new Error('loop tests need root in CI');
const root = mkdtempSync(join(tmpdir(), 'vft-loop-'));
const home = join(root, 'home');
const devices = join(root, 'devices');
const dir = join(devices, 'VFT-LOOP-1');

beforeAll(async () => {
  initWorkspace({ home });
  await generateDevices({
    home, out: devices, cohort: 'release', env: 'disk', diskBytes: 16 * 1024 * 1024, force: false,
    specs: [{ id: 'VFT-LOOP-1', cohort: 'release', tags: [], target: 'arm64-v8' }],
  });
}, 60_000);
afterAll(async () => {
  await cleanupLoops(home);
  rmSync(root, { recursive: true, force: true });
});

describe('losetup --raw output', () => {
  it('decodes every \\xNN escape, so a backing path with a space or an accent compares equal to the one attached', () => {
    // util-linux escapes the space before (deleted) too, as losetup --raw prints a removed backing file
    const out = parseLosetupList('/dev/loop0 /tmp/d\\xc3\\xa9\\x20vices/A-1/disk.img\n/dev/loop1 /tmp/back\\x5cslash/disk.img (deleted)\n/dev/loop2 /plain/disk.img\n/dev/loop3 /tmp/A-2/disk.img\\x20(deleted)\n');
    expect([...out]).toEqual([
      ['/dev/loop0', '/tmp/dé vices/A-1/disk.img'],
      ['/dev/loop1', '/tmp/back\\slash/disk.img'],
      ['/dev/loop2', '/plain/disk.img'],
      ['/dev/loop3', '/tmp/A-2/disk.img'],
    ]);
  });
});

describe('loop disk', () => {
  it('refuses anything but a regular disk.img inside the device directory', () => {
    const other = join(root, 'other');
    mkdirSync(other);
    symlinkSync(join(dir, 'disk.img'), join(other, 'disk.img'));
    expect(() => deviceDiskImage(other)).toThrow(/not a regular file/);
    expect(() => deviceDiskImage(root)).toThrow(/does not exist/);
    expect(deviceDiskImage(dir)).toBe(join(dir, 'disk.img'));
  });

  it.runIf(isRoot && haveTools('losetup', 'partx'))('attaches with partitions, the env is written through the loop device only when vouched for, detaches', async () => {
    const a = await attachLoop(home, 'VFT-LOOP-1', dir);
    try {
      expect(a.device).toMatch(/^\/dev\/loop\d+$/);
      expect(a.partitions).toEqual([1, 2, 3].map((n) => `${a.device}p${n}`));
      expect(statSync(a.partitions[0] as string).isBlockDevice()).toBe(true);
      expect((await attachedLoops()).get(a.device)).toBe(join(dir, 'disk.img'));
      expect(recordedLoops(home).map((x) => x.device)).toEqual([a.device]);

      // the device's fw_env.config as a loop-mode container sees it: the env copies on /dev/mmcblk0
      const cfg = parseFwEnvConfig(readFileSync(join(dir, 'fw_env.config'), 'utf8'));
      const loopCfg = join(root, 'fw_env.loop.config');
      writeFileSync(loopCfg, formatFwEnvConfig({ ...cfg, copies: cfg.copies.map((c) => ({ ...c, path: '/dev/mmcblk0' })) }));
      const resolvePath = (p: string) => (p === '/dev/mmcblk0' ? a.device : p);
      expect(readUbootEnvFromConfig(loopCfg, { resolvePath }).vars.get('peridio_active')).toBe('a');
      expect(() => updateUbootEnv(loopCfg, (v) => v.set('vft_loop', '1'), { resolvePath })).toThrow(/not a regular file/);
      const paths = { map: (p: string) => resolvePath(createDevicePaths({ mode: 'container' }).map(p)) };
      expect(loopDevicesAllowed({}, paths)).toBeUndefined();
      const allow = loopDevicesAllowed({ VFLEET_LOOP_DEVICES: '/dev/mmcblk0' }, paths);
      updateUbootEnv(loopCfg, (v) => v.set('vft_loop', 'written-through-loop'), { resolvePath, ...(allow ? { allowDevice: allow } : {}) });
      // a partition is not the vouched-for device
      const partCfg = join(root, 'fw_env.part.config');
      writeFileSync(partCfg, `${a.partitions[2]} 0x0 0x2000\n`);
      expect(() => writeUbootEnvFromConfig(partCfg, new Map([['x', '1']]), allow ? { allowDevice: allow } : {})).toThrow(/not a regular file/);
    } finally {
      expect(await detachLoop(home, a)).toBe(true);
    }
    expect((await attachedLoops()).has(a.device) && (await attachedLoops()).get(a.device) === join(dir, 'disk.img')).toBe(false);
    expect(recordedLoops(home)).toEqual([]);
    expect(deviceEnv(dir).get('vft_loop')).toBe('written-through-loop');
  });

  it.runIf(isRoot && haveTools('losetup', 'partx'))('cleanup detaches a loop device a crashed run left attached, and only that one', async () => {
    const leaked = await attachLoop(home, 'VFT-LOOP-1', dir);
    const report = await cleanupLoops(home);
    expect(report.errors).toEqual([]);
    expect(report.removed).toEqual([{ kind: 'loop', name: `${leaked.device} (${join(dir, 'disk.img')})` }]);
    expect((await attachedLoops()).get(leaked.device)).not.toBe(join(dir, 'disk.img'));
    expect(await cleanupLoops(home)).toEqual({ removed: [], errors: [] });
  });
});
