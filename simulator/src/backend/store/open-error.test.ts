import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openStore } from './open-store.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-store-open-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('openStore on a damaged database', () => {
  it.each([
    ['random bytes', (file: string) => writeFileSync(file, randomBytes(10_000)), 'file is not a database'],
    ['a database cut to a third', (file: string) => {
      const good = join(dir, 'good.db');
      const store = openStore(good);
      for (let i = 0; i < 50; i++) store.products.create({ name: `p${i}` });
      store.close();
      copyFileSync(good, file);
      truncateSync(file, Math.floor(statSync(good).size / 3));
    }, 'database disk image is malformed'],
  ])('refuses %s with one line naming the file and what to do, and leaves the file as it was', (_what, make, why) => {
    const file = join(dir, 'backend.db');
    make(file);
    const before = readFileSync(file);
    let error: (Error & { code?: string }) | undefined;
    try {
      openStore(file).close();
    } catch (e) {
      error = e as Error;
    }
    expect(error?.code).toBe('VFLEET_IO');
    expect(error?.message).toMatch(new RegExp(`^${escape(file)}: is not a readable backend database \\(${why}\\); move it away [^\\n]*$`));
    expect(readFileSync(file).equals(before)).toBe(true);
  });
});
