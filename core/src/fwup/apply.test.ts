import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VfleetError } from '../errors.js';
import { applyFwupArchive, applyFwupArchiveToFile, planFwupApply } from './apply.js';
import { openFwupArchiveFile } from './archive.js';
import { openImageFile } from './image-target.js';
import { bufferImageTarget, type ImageTarget } from './image-target.js';
import {
  ENV_OFFSET,
  ENV_SIZE,
  envLines,
  imageWithEnv,
  parseEnvLines,
  readVector,
  SLOT_A_OFFSET,
  SLOT_B_OFFSET,
  vectorText,
} from './test-vectors.js';
import { listZipEntries, readZipEntry } from './zip-read.js';
import { encodeZip } from './zip-write.js';
import { createFwupArchive, fwupCall } from './create.js';

const signed = readVector('ab-upgrade-signed.fw');
const pub = vectorText('fwup-key.pub');
const rootfs = readVector('rootfs.img');
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** A buffer image that records every write reaching it. */
function recording(image: Buffer): ImageTarget & { writes: number } {
  const inner = bufferImageTarget(image, 'test image');
  const target = {
    writes: 0,
    size: inner.size,
    read: inner.read,
    write(offset: number, data: Buffer) {
      target.writes++;
      inner.write(offset, data);
    },
  };
  return target;
}

function refused(image: Buffer, fw: Buffer, options: Parameters<typeof applyFwupArchive>[2]): VfleetError {
  const before = Buffer.from(image);
  const target = recording(image);
  try {
    applyFwupArchive(fw, target, options);
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    expect(target.writes).toBe(0);
    expect(image.equals(before)).toBe(true);
    return e as VfleetError;
  }
  return expect.unreachable('expected the apply to be refused');
}

const envBefore = (): Map<string, string> => parseEnvLines(vectorText('env-before.txt'));

describe('applyFwupArchive with the fwup 1.16 vectors', () => {
  it('on slot a, runs upgrade.b exactly as fwup -a -t upgrade did', () => {
    const image = imageWithEnv(envBefore());
    const result = applyFwupArchive(signed, bufferImageTarget(image), { task: 'upgrade', publicKeys: [pub], source: 'ab-upgrade-signed.fw' });
    expect(result).toEqual({
      task: 'upgrade.b',
      messages: ['upgrading slot b'],
      writes: [
        { offset: SLOT_B_OFFSET, length: 65536 },
        { offset: ENV_OFFSET, length: ENV_SIZE },
      ],
    });
    expect(sha256(image.subarray(SLOT_B_OFFSET, SLOT_B_OFFSET + 65536))).toBe('c61d45bb38816222f2e9cee6dcc6f15e0bb0975920a45d35eda4107ba5505549');
    expect(envLines(image)).toBe(vectorText('env-after.txt').trim());
    const outside = Buffer.concat([image.subarray(0, ENV_OFFSET), image.subarray(ENV_OFFSET + ENV_SIZE, SLOT_B_OFFSET), image.subarray(SLOT_B_OFFSET + 65536)]);
    expect(outside.equals(Buffer.alloc(outside.length))).toBe(true);
  });

  it('on slot b, runs upgrade.a into rootfs-a', () => {
    const image = imageWithEnv(new Map([['peridio_active', 'b']]));
    const result = applyFwupArchive(signed, bufferImageTarget(image), { task: 'upgrade' });
    expect(result.task).toBe('upgrade.a');
    expect(image.subarray(SLOT_A_OFFSET, SLOT_A_OFFSET + 65536).equals(rootfs)).toBe(true);
    expect(envLines(image)).toBe('a.peridio_product=edge-inference-os\na.peridio_version=1.13.0\nbootcount=0\nperidio_active=a\nupgrade_available=1');
  });

  it('refuses the unsigned archive when given the public key, writing nothing', () => {
    const e = refused(imageWithEnv(envBefore()), readVector('ab-upgrade.fw'), { task: 'upgrade', publicKeys: [pub], source: 'ab-upgrade.fw' });
    expect(e.message).toContain('Expecting signed firmware archive.');
  });

  it('refuses a tampered resource (valid ZIP, valid signature) before writing a byte', () => {
    const entries = listZipEntries(signed, 's');
    const data = (name: string): Buffer => readZipEntry(signed, entries.find((x) => x.name === name)!, 's');
    const tampered = Buffer.from(rootfs);
    tampered[65535] = tampered[65535]! ^ 1;
    const fw = encodeZip([
      { name: 'meta.conf.ed25519', data: data('meta.conf.ed25519'), compression: 'store', mtime: new Date(0) },
      { name: 'meta.conf', data: data('meta.conf'), compression: 'deflate', mtime: new Date(0) },
      { name: 'data/rootfs.img', data: tampered, compression: 'deflate', mtime: new Date(0) },
    ]);
    const e = refused(imageWithEnv(envBefore()), fw, { task: 'upgrade', publicKeys: [pub], source: 'tampered.fw' });
    expect(e.message).toMatch(/^tampered\.fw: data\/rootfs\.img .*Detected blake2b digest mismatch for rootfs\.img/);
  });

  it('refuses an unknown task, naming the tasks there are', () => {
    const e = refused(imageWithEnv(envBefore()), signed, { task: 'complete', source: 'fw' });
    expect(e.message).toBe(
      "fw: Couldn't find applicable task 'complete'. If task is available, the task's requirements may not be met. (no task name starts with \"complete\"; tasks: upgrade.a, upgrade.b, upgrade.unexpected)",
    );
  });

  it('refuses an image too small for the raw_write', () => {
    const e = refused(imageWithEnv(envBefore(), 8 * 1024 * 1024), signed, { task: 'upgrade' });
    expect(e.code).toBe('VFLEET_DISK_INVALID');
    expect(e.message).toMatch(/task "upgrade\.b" on-resource "rootfs\.img": raw_write\("20480"\).*image too small: needs to write bytes 10485760\.\.10551296 .* the image is 8388608 bytes/);
  });

  it("runs upgrade.unexpected's error() when peridio_active is neither a nor b", () => {
    const e = refused(imageWithEnv(new Map([['peridio_active', 'c']])), signed, { task: 'upgrade', source: 'fw' });
    expect(e.message).toBe('fw: task "upgrade.unexpected" on-init: Please check the media being upgraded: peridio_active is neither a nor b');
  });

  it('treats an env with a bad CRC as not meeting require-uboot-variable', () => {
    const image = imageWithEnv(envBefore());
    image[ENV_OFFSET + 10] = image[ENV_OFFSET + 10]! ^ 1;
    expect(refused(image, signed, { task: 'upgrade.b', source: 'fw' }).message).toMatch(/upgrade\.b: require-uboot-variable\("uboot-env", "peridio_active", "a"\) not met: .*CRC mismatch/);
  });
});

describe('applyFwupArchiveToFile', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-fwup-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('applies to a regular image file in place', () => {
    const fw = path.join(dir, 'ab-upgrade-signed.fw');
    const img = path.join(dir, 'disk.img');
    fs.writeFileSync(fw, signed);
    fs.writeFileSync(img, imageWithEnv(envBefore()));
    const result = applyFwupArchiveToFile(fw, img, { task: 'upgrade', publicKeys: [pub] });
    expect(result.task).toBe('upgrade.b');
    const after = fs.readFileSync(img);
    expect(after.length).toBe(16 * 1024 * 1024);
    expect(after.subarray(SLOT_B_OFFSET, SLOT_B_OFFSET + 65536).equals(rootfs)).toBe(true);
    expect(envLines(after)).toBe(vectorText('env-after.txt').trim());
  });

  it('refuses anything but a regular file', () => {
    const fw = path.join(dir, 'a.fw');
    fs.writeFileSync(fw, signed);
    expect(() => applyFwupArchiveToFile(fw, dir, { task: 'upgrade' })).toThrow(`${dir}: refusing to apply firmware to a directory`);
    expect(() => applyFwupArchiveToFile(fw, '/dev/null', { task: 'upgrade' })).toThrow('/dev/null: refusing to apply firmware to a character device');
    expect(() => applyFwupArchiveToFile(fw, path.join(dir, 'missing.img'), { task: 'upgrade' })).toThrow(/missing\.img: cannot open the image: ENOENT/);
  });
});

describe('applyFwupArchiveToFile with stored resources (read by range, checked in one pass, then written)', () => {
  let dir = '';
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-fwup-stored-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const entries = listZipEntries(signed, 's');
  const entryData = (name: string): Buffer => readZipEntry(signed, entries.find((x) => x.name === name)!, 's');
  /** The signed vector re-packed with data/rootfs.img stored, holding `data`. */
  const storedVector = (data: Buffer): Buffer =>
    encodeZip([
      { name: 'meta.conf.ed25519', data: entryData('meta.conf.ed25519'), compression: 'store', mtime: new Date(0) },
      { name: 'meta.conf', data: entryData('meta.conf'), compression: 'deflate', mtime: new Date(0) },
      { name: 'data/rootfs.img', data, compression: 'store', mtime: new Date(0) },
    ]);
  const files = (fw: Buffer): { fw: string; img: string } => {
    fs.writeFileSync(path.join(dir, 'os.fw'), fw);
    fs.writeFileSync(path.join(dir, 'disk.img'), imageWithEnv(envBefore()));
    return { fw: path.join(dir, 'os.fw'), img: path.join(dir, 'disk.img') };
  };
  const refusedFile = (fw: Buffer): string => {
    const f = files(fw);
    const before = fs.readFileSync(f.img);
    let message = '';
    try {
      applyFwupArchiveToFile(f.fw, f.img, { task: 'upgrade', publicKeys: [pub], source: 'stored.fw' });
    } catch (e) {
      expect(e).toBeInstanceOf(VfleetError);
      message = (e as Error).message;
    }
    expect(message).not.toBe('');
    expect(fs.readFileSync(f.img).equals(before)).toBe(true);
    return message;
  };

  it('gives the same image as fwup did with the deflated vector', () => {
    const fw = storedVector(rootfs);
    expect(listZipEntries(fw, 'fw').find((e) => e.name === 'data/rootfs.img')?.method).toBe(0);
    const f = files(fw);
    expect(applyFwupArchiveToFile(f.fw, f.img, { task: 'upgrade', publicKeys: [pub] }).writes).toEqual([
      { offset: SLOT_B_OFFSET, length: 65536 },
      { offset: ENV_OFFSET, length: ENV_SIZE },
    ]);
    const after = fs.readFileSync(f.img);
    expect(sha256(after.subarray(SLOT_B_OFFSET, SLOT_B_OFFSET + 65536))).toBe('c61d45bb38816222f2e9cee6dcc6f15e0bb0975920a45d35eda4107ba5505549');
    expect(envLines(after)).toBe(vectorText('env-after.txt').trim());
  });

  it('refuses a tampered stored resource before writing a byte', () => {
    const tampered = Buffer.from(rootfs);
    tampered[40000] = tampered[40000]! ^ 0x80;
    expect(refusedFile(storedVector(tampered))).toMatch(/^stored\.fw: data\/rootfs\.img .*Detected blake2b digest mismatch for rootfs\.img/);
  });

  it("refuses a stored entry whose ZIP CRC-32 is wrong, as libarchive does, before writing a byte", () => {
    const fw = storedVector(rootfs);
    const entry = listZipEntries(fw, 'fw').find((e) => e.name === 'data/rootfs.img')!;
    fw.writeUInt32LE((entry.crc32 ^ 1) >>> 0, entry.localOffset + 14);
    const central = fw.lastIndexOf(Buffer.from('data/rootfs.img')) - 46;
    fw.writeUInt32LE((entry.crc32 ^ 1) >>> 0, central + 16);
    expect(refusedFile(fw)).toMatch(/data\/rootfs\.img" \(data at byte \d+\): CRC-32 mismatch/);
  });

  it('refuses an image too small for the raw_write with a stored resource, writing nothing', () => {
    const f = files(storedVector(rootfs));
    fs.writeFileSync(f.img, imageWithEnv(envBefore(), 8 * 1024 * 1024));
    const before = fs.readFileSync(f.img);
    expect(() => applyFwupArchiveToFile(f.fw, f.img, { task: 'upgrade' })).toThrow(/image too small/);
    expect(fs.readFileSync(f.img).equals(before)).toBe(true);
  });

  it('writes a resource of several 1 MiB chunks and a partial last block exactly, padding with zeros', () => {
    const data = Buffer.alloc(2.5 * 1024 * 1024 + 700);
    for (let i = 0; i < data.length; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i);
    const fw = createFwupArchive({
      meta: { product: 'p', version: '1.0.0', platform: 'x', architecture: 'y' },
      resources: [{ name: 'big.img', data, compression: 'store' }],
      tasks: [{ name: 'go', onResource: [{ resource: 'big.img', calls: [fwupCall('raw_write', 8)] }] }],
    });
    fs.writeFileSync(path.join(dir, 'big.fw'), fw);
    fs.writeFileSync(path.join(dir, 'disk.img'), Buffer.alloc(4 * 1024 * 1024, 0xee));
    const result = applyFwupArchiveToFile(path.join(dir, 'big.fw'), path.join(dir, 'disk.img'), { task: 'go' });
    const padded = Math.ceil(data.length / 512) * 512;
    expect(result.writes.reduce((n, w) => n + w.length, 0)).toBe(padded);
    const after = fs.readFileSync(path.join(dir, 'disk.img'));
    expect(after.subarray(4096, 4096 + data.length).equals(data)).toBe(true);
    expect(after.subarray(4096 + data.length, 4096 + padded).equals(Buffer.alloc(padded - data.length))).toBe(true);
    expect(after[4096 + padded]).toBe(0xee);
    expect(after[4095]).toBe(0xee);
  });

  it('notices an archive file that changed after it was checked (the plan is then not committed)', () => {
    const f = files(storedVector(rootfs));
    const archive = openFwupArchiveFile(f.fw, { publicKeys: [pub] });
    const image = openImageFile(f.img);
    try {
      expect(planFwupApply(archive, image, { task: 'upgrade' }).task.name).toBe('upgrade.b');
      expect(() => archive.checkUnchanged()).not.toThrow();
      fs.appendFileSync(f.fw, 'x');
      expect(() => archive.checkUnchanged()).toThrow(/os\.fw: the firmware archive changed while it was being applied \(size \d+ → \d+\); nothing was written/);
    } finally {
      image.close();
      archive.close();
    }
  });
});
