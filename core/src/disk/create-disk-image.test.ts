import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { abLayout } from './ab-layout.js';
import { createDiskImage } from './create-disk-image.js';
import { readPartitionTable } from './read-partition-table.js';

const MiB = 1024 * 1024;
let dir: string;
let img: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-disk-'));
  img = path.join(dir, 'disk.img');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('createDiskImage', () => {
  it('creates a sparse 256 MiB image that reads back as the returned layout', () => {
    const layout = createDiskImage(img, { sizeBytes: 256 * MiB });
    const st = fs.statSync(img);
    expect(st.size).toBe(256 * MiB);
    expect(st.blocks * 512).toBeLessThan(100 * 1024);
    expect(readPartitionTable(img)).toEqual({ table: layout.table, warnings: [] });
  });

  it('leaves the middle of the disk unwritten (zero)', () => {
    const { slots } = createDiskImage(img, { sizeBytes: 16 * MiB });
    const bytes = fs.readFileSync(img);
    expect(bytes.subarray(34 * 512, bytes.length - 33 * 512).every((b) => b === 0)).toBe(true);
    expect(bytes.subarray(slots.a.offset, slots.a.offset + 16).every((b) => b === 0)).toBe(true);
  });

  it('writes a layout passed in and rejects one for another size', () => {
    const layout = abLayout({ sizeBytes: 32 * MiB, envRedundant: true });
    expect(createDiskImage(img, { sizeBytes: 32 * MiB, layout })).toBe(layout);
    expect(readPartitionTable(img).table.diskGuid).toBe(layout.table.diskGuid);
    expect(() => createDiskImage(path.join(dir, 'other.img'), { sizeBytes: 64 * MiB, layout })).toThrow(
      /other\.img: layout is for 33554432 bytes but sizeBytes is 67108864/,
    );
  });

  it('refuses to replace an existing file unless asked, then replaces it sparsely', () => {
    fs.writeFileSync(img, Buffer.alloc(40 * MiB, 0xab));
    expect(() => createDiskImage(img, { sizeBytes: 16 * MiB })).toThrow(
      `${img}: already exists; pass { overwrite: true } to replace a regular file`,
    );
    expect(fs.statSync(img).size).toBe(40 * MiB);
    const layout = createDiskImage(img, { sizeBytes: 16 * MiB, overwrite: true });
    expect(fs.statSync(img).size).toBe(16 * MiB);
    expect(fs.statSync(img).blocks * 512).toBeLessThan(100 * 1024);
    expect(fs.readFileSync(img)[layout.slots.a.offset]).toBe(0);
    expect(readPartitionTable(img).table).toEqual(layout.table);
  });

  it('refuses directories, devices and symlinks even with overwrite', () => {
    expect(() => createDiskImage(dir, { sizeBytes: 16 * MiB, overwrite: true })).toThrow(
      new RegExp(`^${dir}: cannot create the disk image: EISDIR`),
    );
    expect(() => createDiskImage('/dev/null', { sizeBytes: 16 * MiB, overwrite: true })).toThrow(
      '/dev/null: is a character device; only regular image files are accepted here',
    );
    expect(() => createDiskImage('/dev/null', { sizeBytes: 16 * MiB })).toThrow('/dev/null: already exists');
    const target = path.join(dir, 'target.img');
    fs.writeFileSync(target, 'keep');
    fs.symlinkSync(target, img);
    expect(() => createDiskImage(img, { sizeBytes: 16 * MiB, overwrite: true })).toThrow(
      `${img}: is a symbolic link; refusing to overwrite through it`,
    );
    expect(fs.readFileSync(target, 'utf8')).toBe('keep');
  });
});
