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
    // the segment's zeros around the data, then the data
    expect(writes(p)).toEqual([[SEG, 512], [SEG + 1024, SEG - 1024], [SEG + 512, 512]]);
    expect(p.read(0, 1, 'r')[0]).toBe(0);
    expect([...p.read(SEG + 510, 4, 'r')]).toEqual([0, 0, 7, 7]);
    expect([...p.read(SEG + 1022, 4, 'r')]).toEqual([7, 7, 0, 0]);
  });

  it('keeps only what later writes leave of earlier ones, so the plan holds at most the image', () => {
    const size = 8 * SEG;
    const p = planned(size);
    // 41 fills, each shifted one block: every one overlaps the next but none covers another
    for (let i = 0; i <= 40; i++) p.write(i * 512, Buffer.alloc(size - 41 * 512, i), `fill ${i}`);
    const held = p.steps.reduce((n, s) => n + (s.kind === 'write' ? s.data.length : 0), 0);
    expect(held).toBe(size - 41 * 512 + 40 * 512);
    expect(p.read(0, 1, 'r')[0]).toBe(0);
    expect(p.read(40 * 512 - 1, 1, 'r')[0]).toBe(39);
    expect(p.read(size - 41 * 512 + 40 * 512 - 1, 1, 'r')[0]).toBe(40);
    // a small piece left of a big buffer is a copy (in Node's 8 KiB pool), not a view that keeps the buffer
    const piece = p.steps[0]?.kind === 'write' ? p.steps[0].data : undefined;
    expect(Buffer.isBuffer(piece) && piece.length).toBe(512);
    expect(Buffer.isBuffer(piece) && piece.buffer.byteLength).toBeLessThanOrEqual(8192);
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
