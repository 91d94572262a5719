import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeGpt } from './decode-gpt.js';
import { encodeGpt } from './encode-gpt.js';
import type { GptTable } from './gpt-types.js';
import { LINUX_FILESYSTEM_GUID } from './guid.js';

const SECTORS = 4096;
const LAST = SECTORS - 1;
const BACKUP_HEADER = LAST * 512;
const BACKUP_ENTRIES = (LAST - 32) * 512;

const TABLE: GptTable = {
  diskGuid: '01234567-89ab-4cde-8f01-23456789abcd',
  sectorSize: 512,
  totalSectors: SECTORS,
  partitions: [
    { index: 1, name: 'rootfs-a', typeGuid: LINUX_FILESYSTEM_GUID, guid: '00000000-0000-4000-8000-000000000001', firstLba: 2048, lastLba: 2559, attributes: 0n },
    { index: 2, name: 'rootfs-b', typeGuid: LINUX_FILESYSTEM_GUID, guid: '00000000-0000-4000-8000-000000000002', firstLba: 2560, lastLba: 3071, attributes: 0n },
  ],
};

function image(): Buffer {
  const { head, tail } = encodeGpt(TABLE);
  const bytes = Buffer.alloc(SECTORS * 512);
  head.copy(bytes, 0);
  tail.copy(bytes, bytes.length - tail.length);
  return bytes;
}

const decode = (bytes: Buffer) => decodeGpt((o, l) => bytes.subarray(o, o + l), bytes.length, 'disk.img');

/** Recomputes the entry-array and header CRCs of the header at byte `at`, as a buggy writer would. */
function reseal(bytes: Buffer, at: number): void {
  const entriesAt = Number(bytes.readBigUInt64LE(at + 72)) * 512;
  bytes.writeUInt32LE(crc32(bytes.subarray(entriesAt, entriesAt + 128 * 128)), at + 88);
  bytes.writeUInt32LE(0, at + 16);
  bytes.writeUInt32LE(crc32(bytes.subarray(at, at + 92)), at + 16);
}

const hex = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** Flips a byte of the disk GUID in the header at `at`; returns [stored, computed] CRCs as hex. */
function corruptHeader(bytes: Buffer, at: number): [string, string] {
  bytes[at + 60] = (bytes[at + 60] ?? 0) ^ 0xff;
  const copy = Buffer.from(bytes.subarray(at, at + 92));
  copy.writeUInt32LE(0, 16);
  return [hex(bytes.readUInt32LE(at + 16)), hex(crc32(copy))];
}

describe('decodeGpt', () => {
  it('decodes a clean image without warnings', () => {
    expect(decode(image())).toEqual({ table: TABLE, warnings: [] });
  });

  it('rejects a disk with no MBR boot signature', () => {
    expect(() => decode(Buffer.alloc(SECTORS * 512))).toThrow(
      'disk.img: MBR at byte 510: bad signature 0x0000, expected 0x55aa; not a GPT disk',
    );
  });

  it('rejects an MBR without a protective 0xEE partition', () => {
    const bytes = image();
    bytes[446 + 4] = 0x83;
    expect(() => decode(bytes)).toThrow(
      'disk.img: MBR at byte 446: no protective partition (type 0xee) among record types 0x83, 0x00, 0x00, 0x00; not a GPT disk',
    );
  });

  it('says "not a GPT disk" when neither header has the EFI PART signature', () => {
    const bytes = image();
    bytes.fill(0, 512, 520);
    bytes.fill(0, BACKUP_HEADER, BACKUP_HEADER + 8);
    expect(() => decode(bytes)).toThrow(
      /^disk\.img: primary GPT header at byte 512: "EFI PART" signature missing \(found .*\); not a GPT disk; the backup is unusable too: backup GPT header at byte 2096640: "EFI PART" signature missing/,
    );
  });

  it('recovers from the backup when the primary header CRC is wrong, with a warning', () => {
    const bytes = image();
    const [stored, computed] = corruptHeader(bytes, 512);
    expect(decode(bytes)).toEqual({
      table: TABLE,
      warnings: [
        `disk.img: primary GPT header at byte 512: header CRC mismatch: stored ${stored}, computed ${computed}; recovered from the backup GPT at byte ${BACKUP_HEADER}`,
      ],
    });
  });

  it('rejects when both header CRCs are wrong, naming both values', () => {
    const bytes = image();
    const [stored, computed] = corruptHeader(bytes, 512);
    const [bStored, bComputed] = corruptHeader(bytes, BACKUP_HEADER);
    expect(() => decode(bytes)).toThrow(
      `disk.img: primary GPT header at byte 512: header CRC mismatch: stored ${stored}, computed ${computed}; ` +
        `the backup is unusable too: backup GPT header at byte ${BACKUP_HEADER}: header CRC mismatch: stored ${bStored}, computed ${bComputed}`,
    );
  });

  it('recovers from a corrupt primary entry array and rejects when both are corrupt', () => {
    const bytes = image();
    bytes[1024 + 56] = 0x41;
    const warning = decode(bytes).warnings[0];
    expect(warning).toMatch(
      /^disk\.img: primary GPT entry array at byte 1024: partition entries CRC mismatch: header says 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}; recovered from the backup GPT/,
    );
    expect(decode(bytes).table.partitions[0]?.name).toBe('rootfs-a');
    bytes[BACKUP_ENTRIES + 56] = 0x41;
    expect(() => decode(bytes)).toThrow(/the backup is unusable too: backup GPT entry array at byte 2080256: partition entries CRC mismatch/);
  });

  it('uses the primary and warns when only the backup is corrupt', () => {
    const bytes = image();
    corruptHeader(bytes, BACKUP_HEADER);
    const { table, warnings } = decode(bytes);
    expect(table).toEqual(TABLE);
    expect(warnings).toEqual([expect.stringMatching(/^disk\.img: backup GPT header at byte 2096640: header CRC mismatch.*; using the primary GPT$/)]);
  });

  it('warns when the backup is not at the end of a grown disk, or differs from the primary', () => {
    const grown = Buffer.concat([image(), Buffer.alloc(2048 * 512)]);
    const { table, warnings } = decode(grown);
    expect(table.partitions).toEqual(TABLE.partitions);
    expect(table.totalSectors).toBe(SECTORS + 2048);
    expect(warnings).toEqual([`disk.img: backup GPT header is at LBA ${LAST}, not at the end of the disk (LBA ${LAST + 2048})`]);
    const bytes = image();
    bytes[BACKUP_HEADER + 56] = 0x99;
    reseal(bytes, BACKUP_HEADER);
    expect(decode(bytes)).toEqual({ table: TABLE, warnings: ['disk.img: primary and backup GPT differ; using the primary'] });
  });

  it('rejects a partition outside the usable range, naming its entry offset', () => {
    const bytes = image();
    for (const [entries, header] of [[1024, 512], [BACKUP_ENTRIES, BACKUP_HEADER]] as const) {
      bytes.writeBigUInt64LE(BigInt(LAST - 32), entries + 128 + 40);
      reseal(bytes, header);
    }
    expect(() => decode(bytes)).toThrow(
      `disk.img: partition 2 entry at byte 1152 ("rootfs-b", LBA 2560..${LAST - 32}) lies outside the usable range LBA 34..${LAST - 33}`,
    );
  });

  it('rejects overlapping partitions', () => {
    const bytes = image();
    for (const [entries, header] of [[1024, 512], [BACKUP_ENTRIES, BACKUP_HEADER]] as const) {
      bytes.writeBigUInt64LE(2559n, entries + 128 + 32);
      reseal(bytes, header);
    }
    expect(() => decode(bytes)).toThrow(
      'disk.img: partition 1 entry at byte 1024 ("rootfs-a", LBA 2048..2559) and partition 2 entry at byte 1152 ("rootfs-b", LBA 2559..3071) overlap',
    );
  });

  it('rejects a header that does not sit where it says', () => {
    const bytes = image();
    bytes.writeBigUInt64LE(7n, 512 + 24);
    reseal(bytes, 512);
    expect(decode(bytes).warnings[0]).toMatch(
      /^disk\.img: primary GPT header at byte 512: header says it is at LBA 7, but it was read from LBA 1; recovered/,
    );
  });

  it('rejects a disk too small to hold a GPT', () => {
    expect(() => decodeGpt(() => Buffer.alloc(0), 1000, 'tiny.img')).toThrow(
      'tiny.img: 1000 bytes is too small to hold a GPT (needs at least 3 sectors of 512)',
    );
  });
});
