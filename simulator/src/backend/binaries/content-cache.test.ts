import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createContentCache } from './content-cache.js';

describe('content cache', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vfleet-content-cache-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const file = (name: string, bytes: Buffer): string => {
    const path = join(dir, name);
    writeFileSync(`${path}.new`, bytes);
    renameSync(`${path}.new`, path);
    return path;
  };

  it('hands every caller the one buffer it read, and reads again once the file was replaced', async () => {
    const cache = createContentCache({ maxBytes: 1000, maxFileBytes: 1000 });
    const path = file('a', Buffer.alloc(100, 1));
    const [first, second] = await Promise.all([cache.get(path, 100), cache.get(path, 100)]);
    expect(first?.equals(Buffer.alloc(100, 1))).toBe(true);
    expect(second).toBe(first);
    file('a', Buffer.alloc(100, 2));
    expect((await cache.get(path, 100))?.equals(Buffer.alloc(100, 2))).toBe(true);
    expect(cache.bytes()).toBe(100);
  });

  it('declines files above the per-file limit, of another size than expected, or missing', async () => {
    const cache = createContentCache({ maxBytes: 1000, maxFileBytes: 50 });
    expect(await cache.get(file('big', Buffer.alloc(100)), 100)).toBeUndefined();
    expect(await cache.get(file('small', Buffer.alloc(10)), 11)).toBeUndefined();
    expect(await cache.get(join(dir, 'none'), 10)).toBeUndefined();
    expect(cache.bytes()).toBe(0);
  });

  it('drops the least recently used file past the total', async () => {
    const cache = createContentCache({ maxBytes: 250, maxFileBytes: 100 });
    const [a, b, c] = ['a', 'b', 'c'].map((n) => file(n, Buffer.alloc(100, n)));
    const held = await cache.get(a as string, 100);
    await cache.get(b as string, 100);
    expect(await cache.get(a as string, 100)).toBe(held); // a is now the most recent
    await cache.get(c as string, 100); // b goes
    expect(cache.bytes()).toBe(200);
    expect(await cache.get(a as string, 100)).toBe(held);
    expect(await cache.get(b as string, 100)).not.toBe(undefined);
    expect(cache.bytes()).toBe(200);
  });
});
