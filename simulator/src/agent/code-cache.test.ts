import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { haveTools, run } from '@vfleet/core/test-support';
import { repoRoot } from '../fleet/image.js';
import { codeCacheKey, decodeCodeCache, encodeCodeCache } from './code-cache.js';

// Each run is its own node process, as each agent is: within one process V8's in-memory compilation
// cache would answer before the code cache is looked at.
const dir = mkdtempSync(join(tmpdir(), 'vft-code-cache-'));
const loader = join(dir, 'code-cache.cjs');
const bundle = join(dir, 'app', 'agent.cjs');
const cache = join(dir, 'app', 'agent.cjs.cache');
// enough functions that the cache spans several 4 KiB blocks
const work = Array.from({ length: 100 }, (_, i) => `function f${i}(n) { let s = 0; for (let j = 0; j < n; j++) s += j * ${i}; return s; }`).join('\n');
const calls = Array.from({ length: 100 }, (_, i) => `f${i}(3)`).join(' + ');
// a shebang line, require and the CommonJS variables, as the agent bundle has them
const program = (tag: string) => `#!/usr/bin/env node
const { basename } = require('node:path');
${work}
console.log(JSON.stringify({ ran: [basename(__filename), basename(__dirname), typeof module.exports, ${JSON.stringify(tag)}, ${calls}] }));
`;
const ran = (tag = 'a') => ['agent.cjs', 'app', 'object', tag, 14850];

beforeAll(() => {
  run(join(repoRoot(), 'node_modules', '.bin', 'esbuild'), [
    join(repoRoot(), 'simulator', 'src', 'agent', 'code-cache.ts'), '--bundle', '--platform=node', '--format=cjs', '--log-level=error', `--outfile=${loader}`,
  ]);
  mkdirSync(join(dir, 'app'));
  writeFileSync(bundle, program('a'));
});
afterAll(() => {
  chmodSync(join(dir, 'app'), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

function start(cacheFile = cache): { ran: unknown[]; fresh: boolean; cache: string } {
  const out = execFileSync(process.execPath, ['-e', `const r = require(${JSON.stringify(loader)}).runWithCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cacheFile)}, 0); console.log(JSON.stringify(r));`], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000,
  });
  const [program, result] = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ran: program?.['ran'] as unknown[], fresh: result?.['fresh'] as boolean, cache: result?.['cache'] as string };
}

/** Starts until a cache is written and used, and returns its bytes. */
function goodCache(): Buffer {
  rmSync(cache, { force: true });
  expect(start()).toEqual({ ran: ran(), fresh: true, cache: 'missing' });
  expect(start()).toEqual({ ran: ran(), fresh: false, cache: 'used' });
  return readFileSync(cache);
}

describe('runWithCodeCache', () => {
  it('runs a CommonJS file, writes its cache once, starts from it next time, and replaces a cache V8 rejects', () => {
    const written = goodCache();
    expect(written.length).toBeGreaterThan(5 * 4096);
    expect(start()).toEqual({ ran: ran(), fresh: false, cache: 'used' });
    expect(readFileSync(cache).equals(written)).toBe(true);

    // well formed for this bundle, but V8's bytes are for another script
    writeFileSync(cache, encodeCodeCache(new Script('1 + 1').createCachedData(), codeCacheKey(readFileSync(bundle))));
    expect(start()).toEqual({ ran: ran(), fresh: true, cache: 'rejected' });
    expect(start().cache).toBe('used');
  });

  const damage: [string, (good: Buffer) => Buffer][] = [
    ['a zeroed 4 KiB block', (good) => Buffer.from(good).fill(0, 2 * 4096, 3 * 4096)],
    ['a random 4 KiB block', (good) => { const bad = Buffer.from(good); randomBytes(4096).copy(bad, 4096); return bad; }],
    ['a zeroed header', (good) => Buffer.from(good).fill(0, 0, 24)],
    ['a truncated file', (good) => good.subarray(0, good.length - 1000)],
    ['only the header', (good) => good.subarray(0, 24)],
    ['no V8 code cache at all', () => Buffer.from('not a V8 code cache')],
    ['an empty file', () => Buffer.alloc(0)],
  ];
  it.each(damage)('runs without a cache with %s, and writes a good one', (_, corrupt) => {
    writeFileSync(cache, corrupt(goodCache()));
    expect(start()).toEqual({ ran: ran(), fresh: true, cache: 'invalid' });
    expect(decodeCodeCache(readFileSync(cache), codeCacheKey(readFileSync(bundle)))).toBeDefined();
    expect(start()).toEqual({ ran: ran(), fresh: false, cache: 'used' });
  });

  it('does not use a cache made for another bundle of the same length', () => {
    try {
      goodCache();
      writeFileSync(bundle, program('b'));
      expect(start()).toEqual({ ran: ran('b'), fresh: true, cache: 'invalid' });
      expect(start()).toEqual({ ran: ran('b'), fresh: false, cache: 'used' });
    } finally {
      writeFileSync(bundle, program('a'));
    }
  });

  it.runIf(haveTools('mkfifo'))('does not wait on a FIFO in place of the cache, and replaces it', () => {
    rmSync(cache, { force: true });
    execFileSync('mkfifo', [cache]);
    expect(start()).toEqual({ ran: ran(), fresh: true, cache: 'invalid' });
    expect(lstatSync(cache).isFile()).toBe(true);
    expect(start().cache).toBe('used');
  });

  it('runs without a cache where none can be written', () => {
    chmodSync(join(dir, 'app'), 0o555);
    const elsewhere = join(dir, 'app', 'agent.cjs.other-cache');
    expect(start(elsewhere)).toEqual({ ran: ran(), fresh: true, cache: 'missing' });
    // root writes anyway: the point is only that a failed write is not an error
    if (process.getuid?.() !== 0) expect(existsSync(elsewhere)).toBe(false);
  });
});
