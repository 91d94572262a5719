import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeGpt } from './decode-gpt.js';
import { encodeGpt } from './encode-gpt.js';
import type { GptPartition, GptTable } from './gpt-types.js';
import { LINUX_FILESYSTEM_GUID } from './guid.js';

const part = (over: Partial<GptPartition>): GptPartition => ({
  index: 1,
  name: 'rootfs-a',
  typeGuid: LINUX_FILESYSTEM_GUID,
  guid: '11111111-2222-4333-8444-555555555555',
  firstLba: 2048,
  lastLba: 4095,
  attributes: 0n,
  ...over,
});

const table = (partitions: GptPartition[], totalSectors = 8192): GptTable => ({
  diskGuid: '01234567-89ab-4cde-8f01-23456789abcd',
  sectorSize: 512,
  totalSectors,
  partitions,
});

/** The whole disk in memory, as a real file would hold it. */
function disk(t: GptTable): Buffer {
  const { head, tail } = encodeGpt(t);
  const bytes = Buffer.alloc(t.totalSectors * 512);
  head.copy(bytes, 0);
  tail.copy(bytes, bytes.length - tail.length);
  return bytes;
}

describe('encodeGpt', () => {
  it('lays out the protective MBR, both headers and both entry arrays', () => {
    const { head, tail } = encodeGpt(table([part({})]));
    expect(head.length).toBe(34 * 512);
    expect(tail.length).toBe(33 * 512);
    expect(head.subarray(446, 462).toString('hex')).toBe('00000200eeffffff01000000ff1f0000');
    expect(head.readUInt16BE(510)).toBe(0x55aa);
    expect(head.toString('latin1', 512, 520)).toBe('EFI PART');
    const primary = head.subarray(512, 1024);
    const backup = tail.subarray(32 * 512);
    expect(primary.readUInt32LE(8)).toBe(0x00010000);
    expect(primary.readUInt32LE(12)).toBe(92);
    expect(primary.readBigUInt64LE(24)).toBe(1n);
    expect(primary.readBigUInt64LE(32)).toBe(8191n);
    expect(primary.readBigUInt64LE(40)).toBe(34n);
    expect(primary.readBigUInt64LE(48)).toBe(8191n - 33n);
    expect(primary.readBigUInt64LE(72)).toBe(2n);
    expect(backup.readBigUInt64LE(24)).toBe(8191n);
    expect(backup.readBigUInt64LE(32)).toBe(1n);
    expect(backup.readBigUInt64LE(72)).toBe(8191n - 32n);
    expect(primary.subarray(56, 72).toString('hex')).toBe('67452301ab89de4c8f0123456789abcd');
    const entries = head.subarray(1024);
    expect(entries).toEqual(tail.subarray(0, 32 * 512));
    expect(primary.readUInt32LE(88)).toBe(crc32(entries));
    const zeroed = Buffer.from(primary.subarray(0, 92));
    zeroed.writeUInt32LE(0, 16);
    expect(primary.readUInt32LE(16)).toBe(crc32(zeroed));
    expect(entries.toString('utf16le', 56, 72)).toBe('rootfs-a');
  });

  it('clamps the protective MBR size to 32 bits on disks over 2 TiB', () => {
    const { head } = encodeGpt(table([], 2 ** 33));
    expect(head.readUInt32LE(446 + 12)).toBe(0xffffffff);
    expect(head.readBigUInt64LE(512 + 32)).toBe(2n ** 33n - 1n);
  });

  it('round-trips names, GUIDs, attributes and slots through decodeGpt', () => {
    const t = table([
      part({ index: 1, name: 'rootfs-a', attributes: (1n << 60n) | 1n }),
      part({
        index: 3,
        name: 'Ünïcødé ☃ thirty-six characters.....',
        guid: 'AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE',
        typeGuid: 'c12a7328-f81f-11d2-ba4b-00a0c93ec93b',
        firstLba: 4096,
        lastLba: 8191 - 34,
        attributes: 0xffffffffffffffffn,
      }),
    ]);
    const bytes = disk(t);
    const { table: back, warnings } = decodeGpt((o, l) => bytes.subarray(o, o + l), bytes.length, 'mem');
    expect(warnings).toEqual([]);
    expect(back).toEqual({
      ...t,
      partitions: [t.partitions[0], { ...t.partitions[1], guid: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee' }],
    });
  });

  it.each([
    [[part({ firstLba: 33 })], /partition 1 \("rootfs-a", LBA 33\.\.4095\) lies outside the usable range LBA 34\.\.8158/],
    [[part({ lastLba: 8159 })], /lies outside the usable range LBA 34\.\.8158/],
    [[part({ firstLba: 10, lastLba: 9 })], /outside the usable range/],
    [
      [part({}), part({ index: 2, name: 'b', guid: '11111111-2222-4333-8444-555555555556', firstLba: 4095, lastLba: 5000 })],
      /partition 1 \("rootfs-a", LBA 2048\.\.4095\) and partition 2 \("b", LBA 4095\.\.5000\) overlap/,
    ],
    [[part({ name: 'x'.repeat(37) })], /partitions\[0\]\.name "x{37}" is 37 UTF-16 units, max 36/],
    [[part({ index: 129 })], /partitions\[0\]\.index 129 invalid, expected a unique number 1\.\.128/],
    [[part({}), part({ firstLba: 5000, lastLba: 6000 })], /partitions\[1\]\.index 1 invalid/],
    [[part({}), part({ index: 2, firstLba: 5000, lastLba: 6000 })], /partitions\[1\]\.guid 11111111-2222-4333-8444-555555555555 is used by another partition/],
    [[part({ typeGuid: '00000000-0000-0000-0000-000000000000' })], /typeGuid is the zero GUID/],
    [[part({ guid: 'nope' })], /GPT table: partitions\[0\]\.guid: "nope" is not a GUID/],
    [[part({ attributes: 1n << 64n })], /attributes 18446744073709551616 does not fit in 64 bits/],
  ])('rejects invalid partitions (%#)', (partitions, message) => {
    expect(() => encodeGpt(table(partitions))).toThrow(message);
  });

  it('rejects a disk too small for two GPT copies', () => {
    expect(() => encodeGpt(table([], 67))).toThrow(/totalSectors 67 invalid, expected a whole number ≥ 68/);
  });
});
