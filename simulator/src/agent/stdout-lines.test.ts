import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fdLines } from './stdout-lines.js';

const dir = mkdtempSync(join(tmpdir(), 'vfleet-stdout-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('fdLines', () => {
  it('writes each line and its newline to the descriptor, in order, without the fallback', () => {
    const file = join(dir, 'out');
    const fd = openSync(file, 'w');
    const fallback: Uint8Array[] = [];
    const sink = fdLines(fd, () => ({ write: (b) => fallback.push(b) }));
    sink('12:00:00.000 [info] [Cloud Socket] Joined Device channel');
    sink('x'.repeat(200_000));
    sink('');
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe(`12:00:00.000 [info] [Cloud Socket] Joined Device channel\n${'x'.repeat(200_000)}\n\n`);
    expect(fallback).toEqual([]);
  });

  it('does not set up process.stdout while the descriptor takes the lines', () => {
    const fd = openSync(join(dir, 'out2'), 'w');
    let asked = 0;
    const sink = fdLines(fd, () => {
      asked++;
      return { write: () => true };
    });
    sink('a');
    closeSync(fd);
    expect(asked).toBe(0);
  });

  it('hands the line and every later one to the fallback once the descriptor fails', () => {
    const fd = openSync(join(dir, 'closed'), 'w');
    closeSync(fd); // EBADF from here on
    const fallback: string[] = [];
    const sink = fdLines(fd, () => ({ write: (b) => fallback.push(Buffer.from(b).toString('utf8')) }));
    sink('first');
    sink('second');
    expect(fallback).toEqual(['first\n', 'second\n']);
  });
});
