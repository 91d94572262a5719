import { randomBytes } from 'node:crypto';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeDir, tempDir } from '../test-support/harness.js';
import { STAGE_BYTES, writeStaged } from './write-staged.js';

async function* pieces(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (let i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] as number;
    yield data.subarray(at, at + n);
    at += n;
  }
}

describe('writeStaged', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('write-staged');
  });
  afterEach(() => removeDir(dir));

  it.each([0, 1, STAGE_BYTES - 1, STAGE_BYTES, 2 * STAGE_BYTES + 12345])('writes %i bytes in order across stage boundaries', async (size) => {
    const data = randomBytes(size);
    const file = join(dir, `f${size}`);
    await writeStaged(pieces(data, [65536, 1, 70000, 3]), file, 0o600, new AbortController().signal);
    expect(readFileSync(file).equals(data)).toBe(true);
  });

  it('copies each chunk before asking for the next, so a source may reuse its buffer', async () => {
    const data = randomBytes(3 * STAGE_BYTES + 99);
    async function* reusing(): AsyncGenerator<Buffer> {
      const scratch = Buffer.alloc(50_000);
      for (let at = 0; at < data.length; at += scratch.length) {
        const n = data.copy(scratch, 0, at, at + scratch.length);
        yield scratch.subarray(0, n);
        scratch.fill(0xee);
      }
    }
    const file = join(dir, 'reuse');
    await writeStaged(reusing(), file, 0o600, new AbortController().signal);
    expect(readFileSync(file).equals(data)).toBe(true);
  });

  it('keeps no chunk alive once it is copied (a long download does not hold its bytes)', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const refs: WeakRef<Buffer>[] = [];
    let alive = -1;
    async function* watched(): AsyncGenerator<Buffer> {
      for (let i = 0; i < 64; i++) {
        const chunk = Buffer.alloc(65536, i);
        refs.push(new WeakRef(chunk));
        yield chunk;
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
      gc();
      alive = refs.slice(0, 48).filter((r) => r.deref() !== undefined).length;
    }
    await writeStaged(watched(), join(dir, 'watched'), 0o600, new AbortController().signal);
    expect(alive).toBe(0);
  });

  it("rejects with the source's error", async () => {
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(STAGE_BYTES + 5, 1);
      throw new Error('checksum_mismatch: test');
    }
    await expect(writeStaged(failing(), join(dir, 'bad'), 0o600, new AbortController().signal)).rejects.toThrow('checksum_mismatch: test');
  });

  it('stops a stalled source when aborted, with the reason, and ends the source', async () => {
    let ended = false;
    async function* stalled(): AsyncGenerator<Buffer> {
      try {
        yield Buffer.from('first');
        await new Promise((resolve) => setTimeout(resolve, 200));
        yield Buffer.from('late');
      } finally {
        ended = true;
      }
    }
    const controller = new AbortController();
    const writing = writeStaged(stalled(), join(dir, 'stalled'), 0o600, controller.signal);
    setTimeout(() => controller.abort(new Error('agent stopped')), 20);
    const started = Date.now();
    await expect(writing).rejects.toThrow('agent stopped');
    expect(Date.now() - started).toBeLessThan(150);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ended).toBe(true);
  });

  it('refuses an existing file or link at the path, leaving it and what it points to untouched', async () => {
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'keep me');
    symlinkSync(victim, join(dir, 'planted-link'));
    symlinkSync(join(dir, 'nothing-yet'), join(dir, 'dangling-link'));
    const signal = new AbortController().signal;
    await expect(writeStaged(pieces(Buffer.from('payload'), [7]), victim, 0o600, signal)).rejects.toThrow(`EEXIST: file already exists, open '${victim}'`);
    await expect(writeStaged(pieces(Buffer.from('payload'), [7]), join(dir, 'planted-link'), 0o600, signal)).rejects.toThrow('EEXIST');
    await expect(writeStaged(pieces(Buffer.from('payload'), [7]), join(dir, 'dangling-link'), 0o600, signal)).rejects.toThrow('EEXIST');
    expect(readFileSync(victim, 'utf8')).toBe('keep me');
    expect(() => readFileSync(join(dir, 'nothing-yet'))).toThrow('ENOENT');
  });

  it('refuses to start once aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(writeStaged(pieces(Buffer.from('x'), [1]), join(dir, 'never'), 0o600, controller.signal)).rejects.toThrow('gone');
  });
});
