import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { forwardLines } from './netutil.js';

async function linesOf(chunks: Array<string | Buffer>, maxLine?: number): Promise<string[]> {
  const stream = new PassThrough();
  const lines: string[] = [];
  forwardLines(stream, 'stdout', (line) => lines.push(line), maxLine);
  for (const c of chunks) stream.write(c);
  stream.end();
  await once(stream, 'end');
  return lines;
}

describe('forwardLines', () => {
  it('passes on non-empty lines without their newline or carriage return, the last one at the end', async () => {
    expect(await linesOf(['one\r\ntw', 'o\n\n', 'three'])).toEqual(['one', 'two', 'three']);
  });

  it('passes a line longer than the limit on cut, once, and drops the rest of it without holding it', async () => {
    const big = 'a'.repeat(64 * 1024);
    const chunks = [...Array.from({ length: 160 }, () => big), '\nnext line\n'];
    const lines = await linesOf(chunks);
    expect(lines.map((l) => l.length)).toEqual([64 * 1024, 'next line'.length]);
    expect(lines[1]).toBe('next line');
  });

  it('cuts a long line that ends within one chunk too, and a long last line without a newline', async () => {
    expect(await linesOf([`${'x'.repeat(25)}\nok\n${'y'.repeat(30)}`], 10)).toEqual(['x'.repeat(10), 'ok', 'y'.repeat(10)]);
  });

  it('keeps a character whose UTF-8 bytes arrive in two chunks', async () => {
    const bytes = Buffer.from('größe €\n', 'utf8');
    expect(await linesOf([bytes.subarray(0, 3), bytes.subarray(3, 10), bytes.subarray(10)])).toEqual(['größe €']);
  });
});
