import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '@vfleet/core/test-support';
import { repoRoot } from '../fleet/image.js';

// Each run is its own node process, as each agent is: within one process V8's in-memory compilation
// cache would answer before the code cache is looked at.
const dir = mkdtempSync(join(tmpdir(), 'vft-code-cache-'));
const loader = join(dir, 'code-cache.cjs');
const bundle = join(dir, 'app', 'agent.cjs');
const cache = join(dir, 'app', 'agent.cjs.cache');

beforeAll(() => {
  run(join(repoRoot(), 'node_modules', '.bin', 'esbuild'), [
    join(repoRoot(), 'simulator', 'src', 'agent', 'code-cache.ts'), '--bundle', '--platform=node', '--format=cjs', '--log-level=error', `--outfile=${loader}`,
  ]);
  mkdirSync(join(dir, 'app'));
  // a shebang line, require and the CommonJS variables, as the agent bundle has them
  writeFileSync(bundle, `#!/usr/bin/env node
const { basename } = require('node:path');
console.log(JSON.stringify({ ran: [basename(__filename), basename(__dirname), typeof module.exports] }));
`);
});
afterAll(() => {
  chmodSync(join(dir, 'app'), 0o755);
  rmSync(dir, { recursive: true, force: true });
});

function start(cacheFile = cache): { ran: string[]; fresh: boolean } {
  const out = run(process.execPath, ['-e', `const r = require(${JSON.stringify(loader)}).runWithCodeCache(${JSON.stringify(bundle)}, ${JSON.stringify(cacheFile)}, 0); console.log(JSON.stringify(r));`]);
  const [ran, result] = out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  return { ran: ran?.['ran'] as string[], fresh: result?.['fresh'] as boolean };
}

describe('runWithCodeCache', () => {
  it('runs a CommonJS file, writes its cache once, starts from it next time, and replaces a cache V8 rejects', () => {
    expect(start()).toEqual({ ran: ['agent.cjs', 'app', 'object'], fresh: true });
    const written = readFileSync(cache);
    expect(written.length).toBeGreaterThan(100);

    expect(start()).toEqual({ ran: ['agent.cjs', 'app', 'object'], fresh: false });
    expect(readFileSync(cache).equals(written)).toBe(true);

    writeFileSync(cache, Buffer.from('not a V8 code cache'));
    expect(start().fresh).toBe(true);
    expect(start().fresh).toBe(false);
  });

  it('runs without a cache where none can be written', () => {
    chmodSync(join(dir, 'app'), 0o555);
    const elsewhere = join(dir, 'app', 'agent.cjs.other-cache');
    expect(start(elsewhere)).toEqual({ ran: ['agent.cjs', 'app', 'object'], fresh: true });
    // root writes anyway: the point is only that a failed write is not an error
    if (process.getuid?.() !== 0) expect(existsSync(elsewhere)).toBe(false);
  });
});
