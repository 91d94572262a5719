import { describe, expect, it } from 'vitest';
import { bufferImageTarget } from './image-target.js';
import { PlannedImage, TRIM_SEGMENT } from './planned-image.js';
import { rawWriteChunks } from './raw-write.js';

const SEG = TRIM_SEGMENT;
const planned = (size: number, fill = 0xaa, mode: 'skip' | 'zero' = 'skip'): PlannedImage =>
  new PlannedImage(bufferImageTarget(Buffer.alloc(size, fill)), mode);
const writes = (p: PlannedImage): Array<[number, number]> => p.steps.flatMap((s) => (s.kind === 'write' ? [[s.offset, s.data.length] as [number, number]] : []));

describe('PlannedImage', () => {
  it('reads its own earlier writes over the target without touching the target', () => {
    const bytes = Buffer.alloc(4096, 1);
    const p = new PlannedImage(bufferImageTarget(bytes));
    p.write(100, Buffer.alloc(10, 2), 'w');
    expect([...p.read(98, 14, 'r')]).toEqual([1, 1, ...Array(10).fill(2), 1, 1]);
    expect(bytes.equals(Buffer.alloc(4096, 1))).toBe(true);
  });

  it('drops an earlier write that a later one covers, keeping the later position', () => {
    const p = planned(4096);
    p.write(0, Buffer.alloc(512), 'env');
    p.write(1024, Buffer.alloc(512), 'data');
    p.write(0, Buffer.alloc(512, 1), 'env again');
    expect(writes(p)).toEqual([[1024, 512], [0, 512]]);
  });

  it("trims like fwup's block cache: inward to 128 KiB segments, zeros on read, no write", () => {
    const p = planned(4 * SEG);
    p.trim(100, 3 * SEG, 'trim');
    expect(p.steps).toEqual([]);
    expect(p.read(SEG - 1, 2, 'r')).toEqual(Buffer.from([0xaa, 0]));
    expect(p.read(3 * SEG - 1, 2, 'r')).toEqual(Buffer.from([0, 0xaa]));
  });

  it('fills the rest of a trimmed segment with zeros when a task writes into it', () => {
    const p = planned(4 * SEG);
    p.trim(0, 4 * SEG, 'trim');
    p.write(SEG + 512, Buffer.alloc(512, 7), 'data');
    expect(writes(p)).toEqual([[SEG, SEG], [SEG + 512, 512]]);
    expect(p.read(0, 1, 'r')[0]).toBe(0);
  });

  it("zero mode writes the trimmed segments' zeros", () => {
    const p = planned(4 * SEG, 0xaa, 'zero');
    p.trim(0, 2 * SEG + 5, 'trim');
    expect(writes(p)).toEqual([[0, 2 * SEG]]);
  });

  it('refuses ranges past the end, naming what wanted them', () => {
    expect(() => planned(1024).write(1000, Buffer.alloc(48), 'raw_write(x)')).toThrow('raw_write(x): image too small: needs to write bytes 1000..1048 (blocks 1..2) but the image is 1024 bytes');
  });
});

describe('rawWriteChunks', () => {
  it('pads the last partial block with zeros, as fwup writes whole blocks, without copying the whole blocks', () => {
    const data = Buffer.alloc(700, 9);
    const chunks = rawWriteChunks({ name: 'r', lengths: [700] }, data);
    expect(chunks.map((c) => [c.offset, c.data.length])).toEqual([[0, 512], [512, 512]]);
    expect((chunks[0]?.data as Buffer).buffer).toBe(data.buffer);
    expect(Buffer.concat(chunks.map((c) => c.data as Buffer)).equals(Buffer.concat([data, Buffer.alloc(324)]))).toBe(true);
  });

  it('writes the data runs of a sparse resource at their offsets and ends a final hole with one zero block', () => {
    const data = Buffer.concat([Buffer.alloc(1024, 1), Buffer.alloc(512, 2)]);
    const chunks = rawWriteChunks({ name: 'r', lengths: [1024, 4096, 512, 8192] }, data);
    expect(chunks.map((c) => [c.offset, c.data.length, (c.data as Buffer)[0]])).toEqual([
      [0, 1024, 1],
      [5120, 512, 2],
      [5632 + 8192 - 512, 512, 0],
    ]);
  });

  it('merges runs that share a block so neither clobbers the other', () => {
    const chunks = rawWriteChunks({ name: 'r', lengths: [100, 50, 100] }, Buffer.alloc(200, 5));
    expect(chunks).toHaveLength(1);
    expect([...(chunks[0]!.data as Buffer).subarray(95, 155)].filter((b) => b === 0)).toHaveLength(50);
  });
});
