import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundleAgent } from '../fleet/image.js';
import { codeCacheKey, decodeCodeCache } from './code-cache.js';

// The bundled agent (image.ts bundleAgent) with its primed cache: V8 trusts a cache that passes its
// own header checks, and dies in its deserializer on damage behind them.
const dir = mkdtempSync(join(tmpdir(), 'vft-cached-main-'));
const empty = join(dir, 'device');
let entry = '';
let cache = '';
let good: Buffer;

beforeAll(async () => {
  entry = (await bundleAgent({ outDir: join(dir, 'bundle') })).file;
  cache = join(dirname(entry), `agent.cjs.${process.version}-${process.arch}.code-cache`);
  good = readFileSync(cache);
  mkdirSync(empty);
}, 60_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** One agent start on an empty device directory: it exits 1 for want of an identity. */
function start(): { status: number | null; signal: string | null; output: string } {
  const r = spawnSync(process.execPath, [entry, '--device-dir', empty], { encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, signal: r.signal, output: `${r.stdout}${r.stderr}` };
}

const refused = { status: 1, signal: null, output: expect.stringMatching(/peridiod cannot start with an invalid identity/) as unknown };

describe('vfleet-agent (cached-main)', () => {
  it('starts from the primed cache and leaves it alone', () => {
    const before = statSync(cache);
    expect(start()).toEqual(refused);
    const after = statSync(cache);
    expect([after.ino, after.mtimeMs]).toEqual([before.ino, before.mtimeMs]);
    expect(readFileSync(cache).equals(good)).toBe(true);
  });

  const damage: [string, (bytes: Buffer) => void][] = [
    // the reported crash: dd if=/dev/zero bs=4096 seek=4 count=1 conv=notrunc
    ['a zeroed 4 KiB block', (bytes) => bytes.fill(0, 4 * 4096, 5 * 4096)],
    ['a random 4 KiB block', (bytes) => randomBytes(4096).copy(bytes, 12 * 4096)],
  ];
  it.each(damage)('starts without a cache with %s, rewrites it, and starts from the new one', (_, corrupt) => {
    const bad = Buffer.from(good);
    corrupt(bad);
    writeFileSync(cache, bad);
    expect(start()).toEqual(refused);
    const rewritten = readFileSync(cache);
    expect(rewritten.equals(bad)).toBe(false);
    expect(decodeCodeCache(rewritten, codeCacheKey(readFileSync(join(dirname(entry), 'agent.cjs'))))).toBeDefined();
    const ino = statSync(cache).ino;
    expect(start()).toEqual(refused);
    expect(statSync(cache).ino).toBe(ino);
  });
});
