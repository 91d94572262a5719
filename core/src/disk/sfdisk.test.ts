import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveTools, run } from '../test-support/oracle.js';
import { abLayout } from './ab-layout.js';
import { createDiskImage } from './create-disk-image.js';
import { readPartitionTable } from './read-partition-table.js';

const MiB = 1024 * 1024;
const hasSfdisk = haveTools('sfdisk');
let dir: string;
let img: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-sfdisk-'));
  img = path.join(dir, 'disk.img');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

interface SfdiskJson {
  partitiontable: {
    label: string;
    id: string;
    firstlba: number;
    lastlba: number;
    sectorsize: number;
    partitions: Array<{ node: string; start: number; size: number; type: string; uuid: string; name?: string; attrs?: string }>;
  };
}

const sfdiskJson = (file: string): SfdiskJson['partitiontable'] =>
  (JSON.parse(run('sfdisk', ['--json', file])) as SfdiskJson).partitiontable;

function counter(): () => string {
  let n = 0;
  return () => `c0ffee00-0000-4000-8000-${(++n).toString(16).padStart(12, '0')}`;
}

describe.skipIf(!hasSfdisk)('GPT interop with sfdisk', () => {
  it('sfdisk reads the A/B image core writes', () => {
    const layout = createDiskImage(img, { sizeBytes: 256 * MiB, guids: counter() });
    const pt = sfdiskJson(img);
    expect(pt.label).toBe('gpt');
    expect(pt.id.toLowerCase()).toBe('c0ffee00-0000-4000-8000-000000000001');
    expect(pt.sectorsize).toBe(512);
    expect([pt.firstlba, pt.lastlba]).toEqual([34, 524288 - 34]);
    expect(pt.partitions.map((p) => [path.basename(p.node), p.name, p.start * 512, p.size * 512, p.type, p.uuid])).toEqual([
      ['disk.img1', 'rootfs-a', layout.slots.a.offset, layout.slots.a.size, '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'C0FFEE00-0000-4000-8000-000000000002'],
      ['disk.img2', 'rootfs-b', layout.slots.b.offset, layout.slots.b.size, '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'C0FFEE00-0000-4000-8000-000000000003'],
      ['disk.img3', 'data', layout.slots.data.offset, layout.slots.data.size, '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'C0FFEE00-0000-4000-8000-000000000004'],
    ]);
    expect([layout.slots.a.offset, layout.slots.a.size, layout.slots.data.offset]).toEqual([4 * MiB, 100 * MiB, 204 * MiB]);
  });

  it('sfdisk --verify finds no problems in core images of several sizes', () => {
    for (const sizeBytes of [16 * MiB, 256 * MiB, 3 * 1024 * MiB + 512]) {
      fs.rmSync(img, { force: true });
      createDiskImage(img, { sizeBytes });
      const out = run('sfdisk', ['--verify', img]);
      expect(out).toContain('No errors detected.');
      expect(out).toContain('Using 3 out of 128 partitions.');
    }
  });

  it('sfdisk reads attribute bits and unicode names core writes', () => {
    const layout = abLayout({ sizeBytes: 64 * MiB });
    const [a, b] = layout.table.partitions;
    if (a === undefined || b === undefined) throw new Error('layout has no slots');
    a.attributes = (1n << 0n) | (1n << 2n) | (1n << 60n);
    b.name = 'rootfs-ß ☃';
    createDiskImage(img, { sizeBytes: 64 * MiB, layout });
    const pt = sfdiskJson(img);
    expect(pt.partitions[0]?.attrs).toBe('RequiredPartition LegacyBIOSBootable GUID:60');
    expect(pt.partitions[1]?.name).toBe('rootfs-ß ☃');
    expect(pt.partitions[2]?.attrs).toBeUndefined();
  });

  it('core reads a table that sfdisk wrote into a sparse file', () => {
    fs.closeSync(fs.openSync(img, 'wx'));
    fs.truncateSync(img, 64 * MiB);
    const script = [
      'label: gpt',
      'label-id: 8C4A1F2E-1D2B-4B6A-9E5F-0123456789AB',
      'start=2048, size=16384, type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, name="rootfs-a", attrs="RequiredPartition GUID:48"',
      'size=16384, name="rootfs-b", uuid=11111111-2222-4333-8444-555555555555',
      'type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name="data"',
      '',
    ].join('\n');
    run('sfdisk', ['--no-reread', '--no-tell-kernel', img], script);
    const pt = sfdiskJson(img);
    const { table, warnings } = readPartitionTable(img);
    expect(warnings).toEqual([]);
    expect(table.diskGuid).toBe(pt.id.toLowerCase());
    expect(table.totalSectors).toBe(64 * 2048);
    expect(table.partitions.map((p) => [`${img}${p.index}`, p.name, p.firstLba, p.lastLba - p.firstLba + 1, p.typeGuid, p.guid])).toEqual(
      pt.partitions.map((p) => [p.node, p.name, p.start, p.size, p.type.toLowerCase(), p.uuid.toLowerCase()]),
    );
    expect(table.partitions.map((p) => p.attributes)).toEqual([1n | (1n << 48n), 0n, 0n]);
    expect(table.partitions[1]?.guid).toBe('11111111-2222-4333-8444-555555555555');
  });

  it('core recovers a corrupt primary header from the backup, and rejects when both are bad', () => {
    createDiskImage(img, { sizeBytes: 32 * MiB, guids: counter() });
    run('sfdisk', ['--no-reread', '--no-tell-kernel', '--append', img], 'size=2048, name="extra"\n');
    const expected = sfdiskJson(img);
    const flip = (offset: number) => {
      const fd = fs.openSync(img, 'r+');
      const b = Buffer.alloc(1);
      fs.readSync(fd, b, 0, 1, offset);
      fs.writeSync(fd, Buffer.from([b[0]! ^ 0x5a]), 0, 1, offset);
      fs.closeSync(fd);
    };
    flip(512 + 60);
    const { table, warnings } = readPartitionTable(img);
    expect(table.diskGuid).toBe(expected.id.toLowerCase());
    expect(table.partitions.map((p) => p.name)).toEqual(['rootfs-a', 'rootfs-b', 'data', 'extra']);
    expect(warnings).toEqual([expect.stringMatching(/primary GPT header at byte 512: header CRC mismatch: stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}; recovered from the backup GPT at byte 33553920$/)]);
    flip(32 * MiB - 512 + 60);
    expect(() => readPartitionTable(img)).toThrow(
      new RegExp(`^${img}: primary GPT header at byte 512: header CRC mismatch: .*; the backup is unusable too: backup GPT header at byte 33553920: header CRC mismatch`),
    );
  });
});
