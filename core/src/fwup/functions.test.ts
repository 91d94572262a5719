// Functions and guards beyond the vectors' archive, on archives made by createFwupArchive.
import { describe, expect, it } from 'vitest';
import { decodeUbootEnv, encodeUbootEnv } from '../uboot-env/index.js';
import { applyFwupArchive } from './apply.js';
import { createFwupArchive, type FwupTaskInput, fwupCall } from './create.js';
import { bufferImageTarget } from './image-target.js';
import type { FwupUbootEnv } from './meta-types.js';

const ENV: FwupUbootEnv = { name: 'env', blockOffset: 8, blockCount: 8 };
const REDUNDANT: FwupUbootEnv = { name: 'env', blockOffset: 8, blockCount: 8, blockOffsetRedund: 16 };
const SIZE = 4096;

function archive(tasks: FwupTaskInput[], envs = [ENV]): Buffer {
  return createFwupArchive({
    meta: { product: 'p', version: '1', platform: 'x', architecture: 'y' },
    resources: [{ name: 'r.bin', data: Buffer.alloc(100, 0x5a) }],
    envs,
    tasks,
  });
}

function image(vars: Record<string, string>): Buffer {
  const out = Buffer.alloc(64 * 1024);
  encodeUbootEnv(new Map(Object.entries(vars)), { size: SIZE, pad: 0xff }).copy(out, ENV.blockOffset * 512);
  return out;
}

const envAt = (img: Buffer, block: number, redundant = false) =>
  decodeUbootEnv(img.subarray(block * 512, block * 512 + SIZE), { redundant });

describe('fwup functions', () => {
  it('uboot_unsetenv and uboot_setenv write one env, sorted by name', () => {
    const img = image({ zeta: '1', alpha: '2', gone: '3' });
    applyFwupArchive(archive([{ name: 't', onFinish: [fwupCall('uboot_unsetenv', 'env', 'gone'), fwupCall('uboot_setenv', 'env', 'mid', 'x')] }]), bufferImageTarget(img), { task: 't' });
    expect([...envAt(img, 8).vars.keys()]).toEqual(['alpha', 'mid', 'zeta']);
  });

  it('uboot_recover leaves a valid env alone and rewrites a corrupt one empty', () => {
    const fw = archive([{ name: 't', onInit: [fwupCall('uboot_recover', 'env')] }]);
    const good = image({ k: 'v' });
    const copy = Buffer.from(good);
    expect(applyFwupArchive(fw, bufferImageTarget(good), { task: 't' }).writes).toEqual([]);
    expect(good.equals(copy)).toBe(true);
    const bad = Buffer.alloc(64 * 1024);
    expect(applyFwupArchive(fw, bufferImageTarget(bad), { task: 't' }).writes).toEqual([{ offset: 4096, length: SIZE }]);
    expect(envAt(bad, 8).vars.size).toBe(0);
  });

  it('uboot_setenv on a corrupt env fails before anything is written', () => {
    const fw = archive([{ name: 't', onResource: [{ resource: 'r.bin', calls: [fwupCall('raw_write', 64)] }], onFinish: [fwupCall('uboot_setenv', 'env', 'k', 'v')] }]);
    const img = Buffer.alloc(64 * 1024);
    expect(() => applyFwupArchive(fw, bufferImageTarget(img), { task: 't' })).toThrow(/on-finish: uboot_setenv\("env", "k", "v"\): uboot-environment "env" at byte 0x1000: CRC mismatch/);
    expect(img.equals(Buffer.alloc(64 * 1024))).toBe(true);
  });

  it('a redundant env is read from the newer copy and written to the other with the flag + 1', () => {
    const img = Buffer.alloc(64 * 1024);
    encodeUbootEnv(new Map([['v', 'old']]), { size: SIZE, redundant: true, flag: 4 }).copy(img, 8 * 512);
    encodeUbootEnv(new Map([['v', 'new']]), { size: SIZE, redundant: true, flag: 5 }).copy(img, 16 * 512);
    applyFwupArchive(archive([{ name: 't', onFinish: [fwupCall('uboot_setenv', 'env', 'w', '1')] }], [REDUNDANT]), bufferImageTarget(img), { task: 't' });
    expect(envAt(img, 8, true)).toEqual({ vars: new Map([['v', 'new'], ['w', '1']]), flag: 6 });
    expect(envAt(img, 16, true).flag).toBe(5);
  });

  it('require-partition-offset reads the MBR; the first task whose guards hold wins', () => {
    const fw = archive([
      { name: 'go.p1', requirements: [fwupCall('require-partition-offset', 0, 2048)], onInit: [fwupCall('info', 'p1')] },
      { name: 'go.p2', requirements: [fwupCall('require-partition-offset', 0, 63)], onInit: [fwupCall('info', 'p2')] },
    ]);
    const img = image({});
    img.writeUInt32LE(63, 446 + 8);
    img[510] = 0x55;
    img[511] = 0xaa;
    expect(applyFwupArchive(fw, bufferImageTarget(img), { task: 'go' }).messages).toEqual(['p2']);
    img[511] = 0;
    expect(() => applyFwupArchive(fw, bufferImageTarget(img), { task: 'go' })).toThrow(/go\.p1: require-partition-offset\("0", "2048"\) not met: MBR signature missing/);
  });

  it('execute is refused unless allowed, and then runs after the writes before it', () => {
    const fw = archive([{ name: 't', onResource: [{ resource: 'r.bin', calls: [fwupCall('raw_write', 64)] }], onFinish: [fwupCall('execute', 'sync-disks')] }]);
    const img = image({});
    expect(() => applyFwupArchive(fw, bufferImageTarget(img), { task: 't' })).toThrow(/on-finish: execute\("sync-disks"\): execute requires --unsafe/);
    expect(img[64 * 512]).toBe(0);
    const seen: string[] = [];
    applyFwupArchive(fw, bufferImageTarget(img), {
      task: 't',
      allowExecute: true,
      runCommand: (command) => {
        seen.push(`${command} after byte ${img[64 * 512]}`);
        return 0;
      },
    });
    expect(seen).toEqual(['sync-disks after byte 90']);
  });

  it('refuses a function named like an Object property, and a memset past the image before allocating it', () => {
    for (const fn of ['constructor', 'toString', '__proto__']) {
      expect(() => applyFwupArchive(archive([{ name: 'complete', onInit: [fwupCall(fn)] }]), bufferImageTarget(image({})), { task: 'complete' })).toThrow(`Unknown function ${JSON.stringify(fn)}`);
    }
    const huge = archive([{ name: 'complete', onInit: [fwupCall('raw_memset', 0, 2 ** 31, 255)] }]);
    expect(() => applyFwupArchive(huge, bufferImageTarget(image({})), { task: 'complete' })).toThrow('on-init: raw_memset("0", "2147483648", "255"): image too small: needs to write bytes 0..1099511627776 (blocks 0..2147483647) but the image is 65536 bytes');
  });

  it('refuses, before inflating them, deflated resources larger in all than twice the image', () => {
    const big = createFwupArchive({
      meta: { product: 'p', version: '1', platform: 'x', architecture: 'y' },
      resources: [{ name: 'big.bin', data: Buffer.alloc(200_000) }],
      tasks: [{ name: 'complete', onResource: [{ resource: 'big.bin', calls: [fwupCall('raw_write', 0)] }] }],
    });
    expect(() => applyFwupArchive(big, bufferImageTarget(Buffer.alloc(64 * 1024)), { task: 'complete' })).toThrow(
      /data\/big\.bin \(ZIP entry at byte \d+\): image too small: the task's deflated resources come to 200000 bytes \(this one 200000\), more than twice the 65536-byte image/,
    );
  });

  it('trim in zero mode zeroes whole 128 KiB segments; skip mode writes nothing', () => {
    const fw = archive([{ name: 't', onInit: [fwupCall('trim', 0, 512)] }]);
    const img = Buffer.alloc(256 * 1024, 1);
    expect(applyFwupArchive(fw, bufferImageTarget(img), { task: 't' }).writes).toEqual([]);
    expect(applyFwupArchive(fw, bufferImageTarget(img), { task: 't', trim: 'zero' }).writes).toEqual([{ offset: 0, length: 256 * 1024 }]);
    expect(img.equals(Buffer.alloc(256 * 1024))).toBe(true);
  });
});
