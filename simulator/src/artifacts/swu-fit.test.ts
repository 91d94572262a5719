import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { abLayout, createDiskImage } from '@vfleet/core';
import { devicePaths } from '../agent/update/test-support/device-paths.js';
import { encodeCpioHeader, cpioChecksum, cpioTrailer, pad4, readCpioEntries } from './swu-cpio.js';
import { encodeSwDescription } from './swu-description.js';
import { checkSwuFitsSlots, parseSwuSize, readSwu } from './swu-fit.js';
import { parseLibconfig } from './swu-libconfig.js';

const MiB = 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'vfleet-swu-fit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function cpio(files: Array<[string, Buffer]>): Buffer {
  const parts = files.flatMap(([name, data], i) => [encodeCpioHeader({ name, size: data.length, checksum: cpioChecksum(data), ino: i + 1 }), data, Buffer.alloc(pad4(data.length))]);
  return Buffer.concat([...parts, cpioTrailer()]);
}

describe('parseLibconfig', () => {
  it('reads settings, groups, lists, arrays, scalars and comments as swupdate writes them', () => {
    const text = [
      '# comment', 'software =', '{', '  version = "1.0" "-rc1"; // adjacent strings join', '  /* block */ hardware-compatibility: [ "1.0", "1.1" ];',
      '  stable: { b: { images: ( { filename = "r\\x41\\"q"; offset = 0x10; installed-directly = true; n = -2.5e1; }, ); }; };', '};',
    ].join('\n');
    expect(parseLibconfig(text, 'sd')).toEqual({
      software: {
        version: '1.0-rc1', 'hardware-compatibility': ['1.0', '1.1'],
        stable: { b: { images: [{ filename: 'rA"q', offset: 16, 'installed-directly': true, n: -25 }] } },
      },
    });
  });

  it('reads back what encodeSwDescription writes', () => {
    const text = encodeSwDescription({
      version: '1.13.0', description: 'a "quoted" \\ text', hardwareCompatibility: ['1.0'], device: '/etc/peridiod/disk.img', filename: 'rootfs.img',
      sha256: 'ab'.repeat(32), softwareSet: 'stable',
      slots: { a: { offset: 4 * MiB, bootenv: [['peridio_active', 'a']] }, b: { offset: 9 * MiB, bootenv: [['peridio_active', 'b'], ['bootcount', '0']] } },
    });
    const sw = parseLibconfig(text, 'sd')['software'] as Record<string, unknown>;
    expect(sw['description']).toBe('a "quoted" \\ text');
    expect(sw['stable']).toEqual({
      a: { images: [{ filename: 'rootfs.img', device: '/etc/peridiod/disk.img', type: 'raw', offset: String(4 * MiB), sha256: 'ab'.repeat(32) }], bootenv: [{ name: 'peridio_active', value: 'a' }] },
      b: { images: [{ filename: 'rootfs.img', device: '/etc/peridiod/disk.img', type: 'raw', offset: String(9 * MiB), sha256: 'ab'.repeat(32) }], bootenv: [{ name: 'peridio_active', value: 'b' }, { name: 'bootcount', value: '0' }] },
    });
  });

  it.each([
    ['software = { a = 1; a = 2; };', 'line 1: setting a appears twice'],
    ['software = {\n version = "x;\n};', 'string not closed'],
    ['@include "x"', '@include is not supported'],
    ['software = { a = ; };', 'line 1: expected a value'],
    ['software = ( 1, 2 ', 'expected ")"'],
    ['/* open', 'comment not closed'],
  ])('refuses %j naming the line', (text, message) => {
    expect(() => parseLibconfig(text, 'sw-description')).toThrow(message);
  });
});

describe('parseSwuSize', () => {
  it.each([['0', 0], ['4194304', 4 * MiB], ['0x400000', 4 * MiB], ['4M', 4 * MiB], ['4MiB', 4 * MiB], ['2k', 2048], ['1G', 1024 ** 3], ['010', 8]] as const)('%s → %d', (text, n) => {
    expect(parseSwuSize(text)).toBe(n);
  });
  it.each(['', '-1', '4 MB', 'x', '1T', '09'])('%j is not a size', (text) => {
    expect(parseSwuSize(text)).toBeUndefined();
  });
});

describe('readCpioEntries / readSwu', () => {
  it('refuses a bad magic and data running past the end, naming the byte offset', () => {
    const good = cpio([['sw-description', Buffer.from('software = {};')]]);
    const read = (b: Buffer) => (o: number, n: number) => b.subarray(o, o + n);
    const bad = Buffer.from(good);
    bad.write('123456', 0, 'latin1');
    expect(() => readCpioEntries(read(bad), bad.length, 'x.swu')).toThrow('x.swu: byte 0: not a cpio newc/crc header');
    const short = good.subarray(0, 130);
    expect(() => readCpioEntries(read(short), short.length, 'x.swu')).toThrow(/x.swu: cpio entry sw-description at byte 0: 14 bytes of data run past the end/);
    expect(() => readCpioEntries(read(good.subarray(0, 124)), 124, 'x.swu')).toThrow();
  });

  it('wants sw-description first', () => {
    const file = join(root, 'order.swu');
    writeFileSync(file, cpio([['rootfs.img', Buffer.alloc(8)], ['sw-description', Buffer.from('software = {};')]]));
    expect(() => readSwu(file)).toThrow('the first cpio entry is "rootfs.img", not sw-description');
  });
});

describe('checkSwuFitsSlots', () => {
  const DISK = 16 * MiB;
  const dir = join(root, 'dev');
  const layout = abLayout({ sizeBytes: DISK });
  const paths = devicePaths(dir);
  mkdirSync(dir, { recursive: true });
  createDiskImage(join(dir, 'disk.img'), { sizeBytes: DISK });
  const swu = (image: string, size: number, name = 'x.swu') => {
    const file = join(root, name);
    writeFileSync(file, cpio([['sw-description', Buffer.from(`software = { stable = { b = { images: ( { ${image} } ); }; }; };`)], ['rootfs.img', Buffer.alloc(size)]]));
    return file;
  };
  const sel = { set: 'stable', mode: 'b' };

  it('accepts a raw image inside rootfs-b, at its start or its end', () => {
    expect(() => checkSwuFitsSlots(swu(`filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; type = "raw"; offset = "${layout.slots.b.offset}";`, MiB), paths, sel)).not.toThrow();
    const end = layout.slots.b.offset + layout.slots.b.size - MiB;
    expect(() => checkSwuFitsSlots(swu(`filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; type = "raw"; offset = "${end}";`, MiB), paths, sel)).not.toThrow();
  });

  it('leaves images for other devices to swupdate', () => {
    expect(() => checkSwuFitsSlots(swu('filename = "rootfs.img"; device = "/dev/null"; type = "raw";', MiB), paths, sel)).not.toThrow();
  });

  it.each([
    ['one byte past the slot', (o: number, s: number) => `type = "raw"; offset = "${o + s - MiB + 1}";`, /do not fit rootfs-b/],
    ['in slot a', (o: number) => `type = "raw"; offset = "${o - MiB}";`, /do not fit rootfs-b/],
    ['no offset (the disk start)', () => 'type = "raw";', /at offset 0 do not fit rootfs-b/],
    ['another handler', (o: number) => `type = "rawfile"; offset = "${o}";`, /handler "rawfile" on the device disk/],
    ['a compressed image', (o: number) => `type = "raw"; compressed = "zlib"; offset = "${o}";`, /compressed or encrypted/],
    ['an offset that is not a size', () => 'type = "raw"; offset = "far";', /offset "far" is not a size/],
  ])('refuses %s', (_what, spec, message) => {
    const file = swu(`filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; ${spec(layout.slots.b.offset, layout.slots.b.size)}`, MiB);
    expect(() => checkSwuFitsSlots(file, paths, sel)).toThrow(message);
  });

  it('refuses writing the disk under a selection that is not a slot, and ref links it does not follow', () => {
    const file = swu(`filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; type = "raw"; offset = "${layout.slots.b.offset}";`, MiB);
    writeFileSync(join(root, 'ref.swu'), cpio([['sw-description', Buffer.from('software = { stable = { b = { ref = "#./../a"; }; }; };')]]));
    expect(() => checkSwuFitsSlots(join(root, 'ref.swu'), paths, sel)).toThrow(/uses a ref link/);
    const text = readSwu(file).description.replace('b = {', 'main = {');
    writeFileSync(join(root, 'main.swu'), cpio([['sw-description', Buffer.from(text)], ['rootfs.img', Buffer.alloc(MiB)]]));
    expect(() => checkSwuFitsSlots(join(root, 'main.swu'), paths, { set: 'stable', mode: 'main' })).toThrow(/no partition rootfs-main/);
  });
});
