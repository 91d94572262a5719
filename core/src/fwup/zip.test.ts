import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { VfleetError } from '../errors.js';
import { readVector } from './test-vectors.js';
import { listZipEntries, readZipEntry } from './zip-read.js';
import { encodeZip } from './zip-write.js';

function rejection(fn: () => unknown): VfleetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    return e as VfleetError;
  }
  return expect.unreachable('expected a rejection');
}

describe('ZIP reader on archives written by fwup 1.16 (libarchive)', () => {
  it('lists the signed archive in file order with sizes and the UT timestamp', () => {
    const entries = listZipEntries(readVector('ab-upgrade-signed.fw'), 'signed');
    expect(entries.map((e) => [e.name, e.method, e.size, e.localOffset])).toEqual([
      ['meta.conf.ed25519', 0, 64, 0],
      ['meta.conf', 8, 1352, 147],
      ['data/rootfs.img', 8, 65536, 691],
    ]);
    expect(entries[1]?.mtime.toISOString()).toBe('2025-11-28T00:00:00.000Z');
  });

  it('inflates entries that use data descriptors to the exact resource bytes', () => {
    const fw = readVector('ab-upgrade.fw');
    const rootfs = listZipEntries(fw, 'fw').find((e) => e.name === 'data/rootfs.img')!;
    expect(readZipEntry(fw, rootfs, 'fw').equals(readVector('rootfs.img'))).toBe(true);
  });

  it('names the entry and byte offset when compressed data is corrupt', () => {
    const fw = Buffer.from(readVector('ab-upgrade.fw'));
    const rootfs = listZipEntries(fw, 'fw').find((e) => e.name === 'data/rootfs.img')!;
    fw[rootfs.dataOffset + 1000] = fw[rootfs.dataOffset + 1000]! ^ 0xff;
    const e = rejection(() => readZipEntry(fw, rootfs, 'ab-upgrade.fw'));
    expect(e.message).toContain(`ab-upgrade.fw: ZIP entry "data/rootfs.img" (data at byte ${rootfs.dataOffset})`);
    expect(e.message).toMatch(/CRC-32 mismatch|corrupt deflate data/);
  });

  it('rejects a truncated archive, a damaged local header and a lying size', () => {
    const fw = readVector('ab-upgrade.fw');
    expect(rejection(() => listZipEntries(fw.subarray(0, fw.length - 10), 't.fw')).message).toMatch(/^t\.fw: not a ZIP archive: no end-of-central-directory record/);
    const damaged = Buffer.from(fw);
    damaged.writeUInt32LE(0, 544);
    expect(rejection(() => listZipEntries(damaged, 'd.fw')).message).toMatch(/d\.fw: ZIP entry "data\/rootfs\.img" \(central directory record at byte \d+\): corrupt ZIP: no local header at byte 544/);
    const entry = { ...listZipEntries(fw, 'fw')[0]!, size: 10 };
    expect(rejection(() => readZipEntry(fw, entry, 'l.fw')).message).toMatch(/l\.fw: ZIP entry "meta\.conf" .*more than the recorded 10 bytes/);
  });
});

describe('ZIP writer', () => {
  const files = [
    { name: 'meta.conf.ed25519', data: randomBytes(64), compression: 'store' as const, mtime: new Date(0) },
    { name: 'meta.conf', data: Buffer.from('meta-product=x\n'.repeat(40)), compression: 'deflate' as const, mtime: new Date('2025-11-28T00:00:00Z') },
    { name: 'data/random.bin', data: randomBytes(5000), compression: 'deflate' as const, mtime: new Date(0) },
    { name: 'data/empty', data: Buffer.alloc(0), compression: 'deflate' as const, mtime: new Date(0) },
  ];

  it('round-trips names, order, bytes and timestamps; stores what deflate cannot shrink', () => {
    const zip = encodeZip(files);
    const entries = listZipEntries(zip, 'new.zip');
    expect(entries.map((e) => [e.name, e.method])).toEqual([
      ['meta.conf.ed25519', 0],
      ['meta.conf', 8],
      ['data/random.bin', 0],
      ['data/empty', 0],
    ]);
    entries.forEach((e, i) => expect(readZipEntry(zip, e, 'new.zip').equals(files[i]!.data)).toBe(true));
    expect(entries[1]?.mtime.toISOString()).toBe('2025-11-28T00:00:00.000Z');
  });

  it('writes sizes and CRC into the local headers (no data descriptors) for streaming readers', () => {
    const zip = encodeZip(files.slice(1, 2));
    expect(zip.readUInt32LE(0)).toBe(0x04034b50);
    expect(zip.readUInt16LE(6) & 0x0008).toBe(0);
    const [entry] = listZipEntries(zip, 'z');
    expect(zip.readUInt32LE(14)).toBe(entry?.crc32);
    expect(zip.readUInt32LE(22)).toBe(files[1]!.data.length);
  });
});
