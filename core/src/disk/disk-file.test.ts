import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { haveTools, run } from '../test-support/oracle.js';
import { readRange, writeRange } from './disk-file.js';
import { readPartitionTable } from './read-partition-table.js';

let dir: string;
let img: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-disk-'));
  img = path.join(dir, 'disk.img');
  fs.writeFileSync(img, Buffer.alloc(4096));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('readRange / writeRange', () => {
  it('writes and reads back bytes in place without growing the file', () => {
    writeRange(img, 1000, Buffer.from('slot-a header'));
    expect(readRange(img, 1000, 13).toString()).toBe('slot-a header');
    expect(readRange(img, 999, 1)[0]).toBe(0);
    expect(fs.statSync(img).size).toBe(4096);
  });

  it('refuses ranges outside the image', () => {
    expect(() => writeRange(img, 4090, Buffer.alloc(10))).toThrow(
      `${img}: byte range 4090..4100 (length 10) is outside the image (0..4096)`,
    );
    expect(() => readRange(img, -1, 2)).toThrow(/byte range -1\.\.1 \(length 2\) is outside the image/);
    expect(fs.statSync(img).size).toBe(4096);
  });

  it('refuses anything but regular files', () => {
    expect(() => readRange('/dev/zero', 0, 1)).toThrow(
      '/dev/zero: is a character device; only regular image files are accepted here',
    );
    expect(() => writeRange('/dev/null', 0, Buffer.alloc(1))).toThrow('/dev/null: is a character device');
    expect(() => readRange(dir, 0, 1)).toThrow(`${dir}: is a directory`);
    expect(() => readPartitionTable(dir)).toThrow(`${dir}: is a directory`);
    expect(() => readRange(path.join(dir, 'missing.img'), 0, 1)).toThrow(/missing\.img: cannot open: ENOENT/);
  });

  it.skipIf(!haveTools('mkfifo'))('refuses a FIFO without blocking', () => {
    const fifo = path.join(dir, 'fifo');
    run('mkfifo', [fifo]);
    expect(() => readRange(fifo, 0, 1)).toThrow(`${fifo}: is a FIFO`);
  });

  it('reports a plain zero file as not a GPT disk', () => {
    expect(() => readPartitionTable(img)).toThrow(`${img}: MBR at byte 510: bad signature 0x0000, expected 0x55aa`);
  });
});
