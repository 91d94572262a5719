import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveTools, run } from '../test-support/oracle.js';
import { abImageTemplate } from './ab-image-template.js';
import { abLayout } from './ab-layout.js';
import { createDiskImage } from './create-disk-image.js';
import { writeRange } from './disk-file.js';
import type { GuidSource } from './guid.js';
import { readPartitionTable } from './read-partition-table.js';

const MiB = 1024 * 1024;
const hasSfdisk = haveTools('sfdisk');
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-abtpl-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Deterministic GUIDs: 0000000n-… so two writers given fresh copies produce the same sequence. */
const counting = (start: number): GuidSource => {
  let n = start;
  return () => `${(n++).toString(16).padStart(8, '0')}-1111-4222-8333-444455556666`;
};

describe('abImageTemplate', () => {
  it('writes byte for byte what createDiskImage + writeRange write for the same GUIDs', () => {
    const env = Buffer.alloc(0x20000, 0);
    env.write('bootcount=0\0', 4, 'latin1');
    env.writeUInt32LE(0xdeadbeef, 0);
    const header = Buffer.from('vfleet boot header\n');
    const tpl = abImageTemplate({ sizeBytes: 32 * MiB, envRedundant: true, guids: counting(1) });
    const fast = path.join(dir, 'fast.img');
    const envAt = tpl.env[1]?.offset ?? -1;
    tpl.create(fast, [
      { offset: tpl.slots.a.offset, data: header },
      { offset: envAt, data: env },
    ]);

    const slow = path.join(dir, 'slow.img');
    const layout = createDiskImage(slow, { sizeBytes: 32 * MiB, layout: abLayout({ sizeBytes: 32 * MiB, envRedundant: true, guids: counting(1) }) });
    writeRange(slow, layout.slots.a.offset, header);
    writeRange(slow, envAt, env);
    expect(tpl.env).toEqual(layout.env);
    expect(tpl.slots).toEqual(layout.slots);
    expect(fs.readFileSync(fast).equals(fs.readFileSync(slow))).toBe(true);
    expect(readPartitionTable(fast)).toEqual({ table: layout.table, warnings: [] });
  });

  it('gives every image its own random version-4 GUIDs with valid CRCs, and stays sparse', () => {
    const tpl = abImageTemplate({ sizeBytes: 256 * MiB });
    const guids = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const img = path.join(dir, `d${i}.img`);
      tpl.create(img);
      const { table, warnings } = readPartitionTable(img);
      expect(warnings).toEqual([]);
      expect(table.partitions.map((p) => p.name)).toEqual(['rootfs-a', 'rootfs-b', 'data']);
      for (const g of [table.diskGuid, ...table.partitions.map((p) => p.guid)]) {
        expect(g).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        guids.add(g);
      }
      const st = fs.statSync(img);
      expect(st.size).toBe(256 * MiB);
      expect(st.blocks * 512).toBeLessThanOrEqual(64 * 1024);
    }
    expect(guids.size).toBe(80);
  });

  it('refuses an existing file and a region that would overwrite the GPT, naming the path', () => {
    const tpl = abImageTemplate({ sizeBytes: 16 * MiB });
    const img = path.join(dir, 'x.img');
    fs.writeFileSync(img, 'keep');
    expect(() => tpl.create(img)).toThrow(`${img}: already exists`);
    expect(fs.readFileSync(img, 'utf8')).toBe('keep');
    const other = path.join(dir, 'y.img');
    expect(() => tpl.create(other, [{ offset: 512, data: Buffer.from('x') }])).toThrow(/y\.img: region 512\.\.513 is outside/);
    expect(fs.existsSync(other)).toBe(false);
    expect(() => abImageTemplate({ sizeBytes: 1000 })).toThrow(/disk size: 1000 bytes is not accepted/);
  });

  it.skipIf(!hasSfdisk)('is read by sfdisk with the A/B names and the template GUIDs', () => {
    const tpl = abImageTemplate({ sizeBytes: 64 * MiB });
    const img = path.join(dir, 's.img');
    tpl.create(img);
    const ours = readPartitionTable(img).table;
    const json = JSON.parse(run('sfdisk', ['--json', img])) as {
      partitiontable: { label: string; id: string; partitions: Array<{ name?: string; uuid: string; start: number }> };
    };
    expect(json.partitiontable.label).toBe('gpt');
    expect(json.partitiontable.id.toLowerCase()).toBe(ours.diskGuid);
    expect(json.partitiontable.partitions.map((p) => [p.name, p.uuid.toLowerCase(), p.start])).toEqual(
      ours.partitions.map((p) => [p.name, p.guid, p.firstLba]),
    );
  });
});
