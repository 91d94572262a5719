import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic } from './write-atomic.js';

// a disk that fills up as a real one does: a short write first, ENOSPC on the next call
const disk = vi.hoisted(() => ({ free: Infinity, chunk: Infinity }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  const writeSync = (fd: number, buf: Uint8Array, offset = 0, length = buf.length - offset): number => {
    if (disk.free <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', syscall: 'write' });
    const n = real.writeSync(fd, buf, offset, Math.min(length, disk.free, disk.chunk));
    disk.free -= n;
    return n;
  };
  return { ...real, writeSync };
});

let root: string;
beforeAll(() => {
  root = fs.mkdtempSync(join(tmpdir(), 'vfleet-write-atomic-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => {
  disk.free = Infinity;
  disk.chunk = Infinity;
});

describe('writeFileAtomic', () => {
  it('on a full disk throws VFLEET_IO naming the file, keeps the old content and leaves no temp file', () => {
    const dir = fs.mkdtempSync(join(root, 'full-'));
    const file = join(dir, 't.json');
    fs.writeFileSync(file, 'the previous report');
    disk.free = 100;
    const thrown = (() => {
      try {
        writeFileAtomic(file, 'x'.repeat(1000));
      } catch (e) {
        return e as Error & { code?: string };
      }
      return undefined;
    })();
    expect(thrown?.code).toBe('VFLEET_IO');
    expect(thrown?.message).toBe(`${file}: cannot write: ENOSPC: no space left on device, write`);
    expect(fs.readFileSync(file, 'utf8')).toBe('the previous report');
    expect(fs.readdirSync(dir)).toEqual(['t.json']);
  });

  it('writes every byte when the system takes them a few at a time', () => {
    const file = join(root, 'chunked.txt');
    disk.chunk = 7;
    const content = Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join('');
    writeFileAtomic(file, content);
    expect(fs.readFileSync(file, 'utf8')).toBe(content);
  });

  it('names the file when its temp file cannot be created', () => {
    const file = join(root, 'no-such-dir', 't.json');
    expect(() => writeFileAtomic(file, 'x')).toThrow(new RegExp(`^${file}: cannot create a temp file: ENOENT`));
  });
});
