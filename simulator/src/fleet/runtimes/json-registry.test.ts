import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonRegistry } from './json-registry.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const file = () => {
  const d = mkdtempSync(join(tmpdir(), 'vfleet-registry-'));
  dirs.push(d);
  return join(d, 'run', 'things.json');
};

describe('jsonRegistry', () => {
  it('reads nothing from an absent or corrupt file', () => {
    const f = file();
    expect(jsonRegistry(f).read()).toEqual([]);
    const r = jsonRegistry<{ id: string }>(f);
    return r.update(() => [{ id: 'a' }]).then(() => {
      writeFileSync(f, '{not json');
      expect(r.read()).toEqual([]);
    });
  });

  it('keeps every entry when many updates interleave, also through two handles on one file', async () => {
    const f = file();
    const a = jsonRegistry<{ id: number }>(f);
    const b = jsonRegistry<{ id: number }>(f);
    await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 ? a : b).update((e) => [...e, { id: i }])));
    expect(a.read().map((e) => e.id).sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(JSON.parse(readFileSync(f, 'utf8'))).toHaveLength(50);
  });

  it('drops entries its guard refuses and goes on after a failed change', async () => {
    const f = file();
    mkdirSync(dirname(f), { recursive: true });
    writeFileSync(f, '[{"id":1},7,null,{"x":2}]');
    const r = jsonRegistry<{ id: number }>(f, (v): v is { id: number } => typeof (v as { id?: unknown } | null)?.id === 'number');
    expect(r.read()).toEqual([{ id: 1 }]);
    await expect(r.update(() => { throw new Error('boom'); })).rejects.toThrow('boom');
    await r.update((e) => [...e, { id: 2 }]);
    expect(r.read()).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('two processes updating one file at once never fail an update', async () => {
    const f = file();
    const dir = dirname(dirname(f));
    // this module as it is now, run by two node processes
    const bundle = join(dir, 'registry.mjs');
    buildSync({ entryPoints: [join(dirname(fileURLToPath(import.meta.url)), 'json-registry.ts')], bundle: true, platform: 'node', format: 'esm', outfile: bundle, logLevel: 'silent' });
    const script = join(dir, 'writer.mjs');
    writeFileSync(script, `import { jsonRegistry } from './registry.mjs';
const r = jsonRegistry(process.argv[2]);
let failed = [];
for (let i = 0; i < 300; i++) await r.update((e) => [...e.slice(-3), { i }]).catch((e) => failed.push(e.code ?? e.message));
console.log(JSON.stringify(failed));
`);
    const run = async () => {
      const child = spawn(process.execPath, [script, f], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      await once(child, 'exit');
      return JSON.parse(out) as string[];
    };
    expect(await Promise.all([run(), run()])).toEqual([[], []]);
    expect(readdirSync(dirname(f))).toEqual(['things.json']);
  }, 60_000);
});

