import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
  // a process/inproc device (its / is <dir>/root on the host), and a container (its / is its own)
  const paths = devicePaths(dir);
  const container = { map: (p: string) => (p.startsWith('/etc/peridiod/') ? join(dir, p.slice('/etc/peridiod/'.length)) : p) };
  mkdirSync(dir, { recursive: true });
  createDiskImage(join(dir, 'disk.img'), { sizeBytes: DISK });
  const describedSwu = (text: string, name = 'x.swu', extra: Array<[string, Buffer]> = []) => {
    const file = join(root, name);
    writeFileSync(file, cpio([['sw-description', Buffer.from(text)], ['rootfs.img', Buffer.alloc(MiB)], ...extra]));
    return file;
  };
  const swu = (image: string, size: number, name = 'x.swu') => {
    const file = join(root, name);
    writeFileSync(file, cpio([['sw-description', Buffer.from(`software = { stable = { b = { images: ( { ${image} } ); }; }; };`)], ['rootfs.img', Buffer.alloc(size)]]));
    return file;
  };
  const sel = { set: 'stable', mode: 'b' };
  const slotImage = `filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; type = "raw"; offset = "${layout.slots.b.offset}"; sha256 = "${'ab'.repeat(32)}";`;

  describe.each([['on the host', paths], ['in a container', container]])('%s', (_where, devicePathsOf) => {
    it('accepts a raw image inside rootfs-b, at its start or its end', () => {
      expect(() => checkSwuFitsSlots(swu(`filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; type = "raw"; offset = "${layout.slots.b.offset}";`, MiB), devicePathsOf, sel)).not.toThrow();
      const end = layout.slots.b.offset + layout.slots.b.size - MiB;
      expect(() => checkSwuFitsSlots(swu(`filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; type = "raw"; offset = "${end}";`, MiB), devicePathsOf, sel)).not.toThrow();
    });

    it('accepts the .swu vfleet builds, for either slot', () => {
      const text = encodeSwDescription({
        version: '1.13.0', description: 'os', hardwareCompatibility: ['1.0'], device: '/etc/peridiod/disk.img', filename: 'rootfs.img', sha256: 'ab'.repeat(32), softwareSet: 'stable',
        slots: { a: { offset: layout.slots.a.offset, bootenv: [['peridio_active', 'a']] }, b: { offset: layout.slots.b.offset, bootenv: [['peridio_active', 'b'], ['bootcount', '0']] } },
      });
      const file = describedSwu(text, 'vfleet.swu');
      expect(() => checkSwuFitsSlots(file, devicePathsOf, sel, 'vfleet-evk')).not.toThrow();
      expect(() => checkSwuFitsSlots(file, devicePathsOf, { set: 'stable', mode: 'a' }, 'vfleet-evk')).not.toThrow();
    });

    it.each([
      ['one byte past the slot', (o: number, s: number) => `type = "raw"; offset = "${o + s - MiB + 1}";`, /do not fit rootfs-b/],
      ['in slot a', (o: number) => `type = "raw"; offset = "${o - MiB}";`, /do not fit rootfs-b/],
      ['no offset (the disk start)', () => 'type = "raw";', /at offset 0 do not fit rootfs-b/],
      ['another handler', (o: number) => `type = "rawfile"; offset = "${o}";`, /handler "rawfile" on the device disk/],
      ['a compressed image', (o: number) => `type = "raw"; compressed = "zlib"; offset = "${o}";`, /compressed/],
      ['an offset that is not a size', () => 'type = "raw"; offset = "far";', /offset "far" is not a size/],
      ['an offset that is a float', () => 'type = "raw"; offset = 1.5;', /offset 1.5 is not a size/],
    ])('refuses %s', (_what, spec, message) => {
      const file = swu(`filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; ${spec(layout.slots.b.offset, layout.slots.b.size)}`, MiB);
      expect(() => checkSwuFitsSlots(file, devicePathsOf, sel)).toThrow(message);
    });

    it('refuses writing the disk under a selection that is not a slot, and ref links it does not follow', () => {
      const file = swu(`filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; type = "raw"; offset = "${layout.slots.b.offset}";`, MiB);
      writeFileSync(join(root, 'ref.swu'), cpio([['sw-description', Buffer.from('software = { stable = { b = { ref = "#./../a"; }; }; };')]]));
      expect(() => checkSwuFitsSlots(join(root, 'ref.swu'), devicePathsOf, sel)).toThrow(/software\.stable\.b\.ref: uses a ref link/);
      const text = readSwu(file).description.replace('b = {', 'main = {');
      writeFileSync(join(root, 'main.swu'), cpio([['sw-description', Buffer.from(text)], ['rootfs.img', Buffer.alloc(MiB)]]));
      expect(() => checkSwuFitsSlots(join(root, 'main.swu'), devicePathsOf, { set: 'stable', mode: 'main' })).toThrow(/no partition rootfs-main/);
    });

    // swupdate takes each setting from software.<board>.<set>.<mode>, software.<set>.<mode>, software.<board> or software
    it.each([
      ['under the board and selection', 'software = { vfleet-evk = { stable = { b = { images: ( { IMAGE } ); }; }; }; };', /software\.vfleet-evk\.stable\.b\.images\[0\]: image "rootfs.img" → \/etc\/peridiod\/disk.img: \d+ bytes at offset \d+ do not fit rootfs-b/],
      ['under the board alone', 'software = { vfleet-evk = { images: ( { IMAGE } ); }; stable = { b = { }; }; };', /software\.vfleet-evk\.images\[0\]: image .* do not fit rootfs-b/],
      ['at the top', 'software = { images: ( { IMAGE } ); stable = { b = { }; }; };', /software\.images\[0\]: image .* do not fit rootfs-b/],
      ['given as a group of images', 'software = { stable = { b = { images = { x = { IMAGE }; }; }; }; };', /software\.stable\.b\.images/],
      ['linked from an entry', 'software = { stable = { a = { images: ( { IMAGE } ); }; b = { images: ( { ref = "#./../../a/images"; } ); }; }; };', /software\.stable\.b\.images\[0\]\.ref: uses a ref link/],
      ['linked from the selection\'s images', 'software = { stable = { a = { images: ( { IMAGE } ); }; b = { images = { ref = "#./../../a/images"; }; }; }; };', /software\.stable\.b\.images\.ref: uses a ref link/],
    ])('finds a disk write outside the slot %s', (_what, text, message) => {
      const file = describedSwu(text.replace('IMAGE', `filename = "rootfs.img"; device = "/etc/peridiod/disk.img"; type = "raw"; offset = "${layout.slots.a.offset}";`), 'nested.swu');
      expect(() => checkSwuFitsSlots(file, devicePathsOf, sel, 'vfleet-evk')).toThrow(message);
    });

    it('refuses a selection or board name that swupdate would read as a path', () => {
      const file = swu(slotImage, MiB);
      expect(() => checkSwuFitsSlots(file, devicePathsOf, { set: 'stable', mode: 'b.x' })).toThrow(/mode "b\.x" is not a libconfig setting name .*refused before swupdate ran/);
      expect(() => checkSwuFitsSlots(file, devicePathsOf, { set: 'stable', mode: 'b,c' })).toThrow(/mode "b,c" is not a libconfig setting name/);
      expect(() => checkSwuFitsSlots(file, devicePathsOf, sel, 'stable/a')).toThrow(/board name "stable\/a" is not a libconfig setting name/);
    });
  });

  describe('on the host (process, inproc: swupdate runs as root there)', () => {
    const escape = join(root, 'host-outside');
    it.each([
      ['files writing a host path', `software = { stable = { b = { files: ( { filename = "payload.txt"; path = "${escape}/pwned.txt"; sha256 = "00"; } ); }; }; };`, new RegExp(`software\\.stable\\.b\\.files\\[0\\] \\(path ${escape}/pwned\\.txt\\): files are written to paths of the host, which a device outside a container may not do .*refused before swupdate ran`)],
      ['a shell script', 'software = { stable = { b = { images: ( { IMAGE } ); scripts: ( { filename = "evil.sh"; type = "shellscript"; } ); }; }; };', /software\.stable\.b\.scripts\[0\] \(filename evil\.sh\): scripts run as root on the host/],
      ['files under the board\'s selection', 'software = { vfleet-evk = { stable = { b = { files: ( { filename = "p"; path = "/etc/cron.d/x"; } ); }; }; }; };', /software\.vfleet-evk\.stable\.b\.files\[0\] \(path \/etc\/cron\.d\/x\): files/],
      ['scripts of any board', 'software = { other-board = { scripts: ( { filename = "evil.sh"; } ); }; stable = { b = { images: ( { IMAGE } ); }; }; };', /software\.other-board\.scripts\[0\] \(filename evil\.sh\): scripts/],
      ['files at the top', 'software = { files = { f = { filename = "p"; path = "/x"; }; }; };', /software\.files \(path \/x\): files/],
      ['embedded Lua', 'software = { embedded-script = "os.execute(\'id\')"; stable = { b = { images: ( { IMAGE } ); }; }; };', /software\.embedded-script: embedded Lua runs as root on the host/],
      ['a partitioner', 'software = { stable = { b = { partitions: ( { type = "diskpart"; device = "/dev/sda"; } ); }; }; };', /software\.stable\.b\.partitions\[0\] \(device \/dev\/sda\): partitioners/],
      ['an image for a host disk', 'software = { stable = { b = { images: ( { filename = "rootfs.img"; device = "/dev/sda"; type = "raw"; } ); }; }; };', /software\.stable\.b\.images\[0\] \(device \/dev\/sda\): only \/etc\/peridiod\/disk\.img \(the device's disk\)/],
      ['an image for the disk by another name', 'software = { stable = { b = { images: ( { filename = "rootfs.img"; device = "/proc/self/root/etc/peridiod/disk.img"; type = "raw"; } ); }; }; };', /images\[0\] \(device \/proc\/self\/root\/etc\/peridiod\/disk\.img\): only \/etc\/peridiod\/disk\.img/],
      ['an image without a device', 'software = { stable = { b = { images: ( { filename = "rootfs.img"; type = "raw"; } ); }; }; };', /images\[0\] \(filename rootfs\.img\): only \/etc\/peridiod\/disk\.img/],
      ['an image with a path', 'software = { stable = { b = { images: ( { filename = "rootfs.img"; path = "/etc/passwd"; type = "rawfile"; } ); }; }; };', /images\[0\] \(path \/etc\/passwd\): attribute path is not accepted/],
      ['an image with a Lua hook', `software = { stable = { b = { images: ( { IMAGE hook = "f"; } ); }; }; };`, /images\[0\] \(device \/etc\/peridiod\/disk\.img\): attribute hook is not accepted/],
      ['an image with handler properties', `software = { stable = { b = { images: ( { IMAGE properties = { a = "b"; }; } ); }; }; };`, /attribute properties is not accepted/],
      ['a bootloader script', 'software = { stable = { b = { images: ( { IMAGE } ); bootenv: ( { filename = "env.txt"; } ); }; }; };', /software\.stable\.b\.bootenv\[0\]: only \{ name = "…"; value = "…"; \} env settings/],
      ['a setting vfleet does not know', 'software = { stable = { b = { images: ( { IMAGE } ); mtd = ( "x" ); }; }; };', /software\.stable\.b\.mtd: is not a setting vfleet can classify/],
    ])('refuses %s', (_what, text, message) => {
      const file = describedSwu(text.replace('IMAGE', slotImage), 'host.swu');
      expect(() => checkSwuFitsSlots(file, paths, sel, 'vfleet-evk')).toThrow(message);
    });

    it('refuses writing a disk.img that is a link out of the device directory', () => {
      const linked = join(root, 'linked-dev');
      mkdirSync(linked, { recursive: true });
      symlinkSync(join(dir, 'disk.img'), join(linked, 'disk.img'));
      expect(() => checkSwuFitsSlots(swu(slotImage, MiB), devicePaths(linked), sel)).toThrow(/images\[0\] \(device \/etc\/peridiod\/disk\.img\): \/etc\/peridiod\/disk\.img is not a regular file of the device/);
    });

    it('accepts env settings beside the image', () => {
      const file = describedSwu(`software = { version = "1"; hardware-compatibility = [ "1.0" ]; stable = { b = { images: ( { ${slotImage} name = "os"; version = "1"; install-if-different = true; } ); bootenv: ( { name = "peridio_active"; value = "b"; } ); uboot: ( { name = "x"; value = ""; } ); }; }; };`, 'env.swu');
      expect(() => checkSwuFitsSlots(file, paths, sel, 'vfleet-evk')).not.toThrow();
    });
  });

  describe('in a container (its / is its own)', () => {
    it('leaves images for other devices, files and scripts to swupdate', () => {
      expect(() => checkSwuFitsSlots(swu('filename = "rootfs.img"; device = "/dev/null"; type = "raw";', MiB), container, sel)).not.toThrow();
      const file = describedSwu('software = { stable = { b = { files: ( { filename = "p"; path = "/etc/x"; } ); scripts: ( { filename = "s.sh"; type = "shellscript"; } ); }; }; };', 'own.swu');
      expect(() => checkSwuFitsSlots(file, container, sel)).not.toThrow();
    });

    it('refuses files that write the device disk', () => {
      const file = describedSwu('software = { stable = { b = { files: ( { filename = "rootfs.img"; path = "/etc/peridiod/disk.img"; } ); }; }; };', 'file-disk.swu');
      expect(() => checkSwuFitsSlots(file, container, sel)).toThrow(/software\.stable\.b\.files\[0\]: image "rootfs.img" → \/etc\/peridiod\/disk.img: handler null on the device disk/);
    });
  });
});
