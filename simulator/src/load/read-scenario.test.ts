import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SCENARIO_BYTES, readScenario } from './parse-scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'vfleet-read-scenario-'));
const valid = 'name: t\nphases:\n  - provision: {count: 1}\n  - teardown\n';
let reader = '';

// readScenario in a child: a read that blocks (a FIFO) or never ends (/dev/zero) is killed by the timeout, not the test run
beforeAll(async () => {
  reader = join(dir, 'read.mjs');
  await build({
    stdin: {
      contents: "import { readScenario } from './parse-scenario.js';\ntry { readScenario(process.argv[2] ?? ''); console.log('parsed'); } catch (e) { console.log(e.message); }",
      resolveDir: dirname(fileURLToPath(import.meta.url)),
      loader: 'ts',
    },
    bundle: true, platform: 'node', format: 'esm', target: 'node20', conditions: ['source'], outfile: reader, logLevel: 'error',
    banner: { js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);" },
  });
}, 60_000);
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function readInChild(file: string): { output: string; stderr: string; signal: string | null } {
  const r = spawnSync(process.execPath, [reader, file], { encoding: 'utf8', timeout: 10_000 });
  return { output: r.stdout.trim(), stderr: r.stderr, signal: r.signal };
}

/** A valid scenario padded with comment lines to exactly `bytes`. */
function padded(bytes: number): string {
  const line = `#${'x'.repeat(99)}\n`;
  const body = valid + line.repeat(Math.floor((bytes - valid.length) / line.length));
  return body + '#'.repeat(bytes - body.length - 1) + '\n';
}

describe('readScenario on what is not a small regular file', () => {
  it('refuses a FIFO at once instead of waiting for a writer', () => {
    const fifo = join(dir, 'scenario.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    expect(readInChild(fifo)).toEqual({ output: `${fifo}: cannot read the scenario: it is a FIFO; expected a regular YAML file of at most 1048576 bytes (1 MiB)`, stderr: '', signal: null });
  });

  it('refuses a character device such as /dev/zero without reading it', () => {
    expect(readInChild('/dev/zero')).toEqual({ output: '/dev/zero: cannot read the scenario: it is a character device; expected a regular YAML file of at most 1048576 bytes (1 MiB)', stderr: '', signal: null });
  });

  it('refuses a directory by what it is', () => {
    const sub = join(dir, 'folder.yaml');
    mkdirSync(sub);
    expect(() => readScenario(sub)).toThrow(`${sub}: cannot read the scenario: it is a directory; expected a regular YAML file`);
  });

  it('reads a file of exactly 1 MiB and refuses one byte more, naming the size', () => {
    const limit = join(dir, 'limit.yaml');
    writeFileSync(limit, padded(MAX_SCENARIO_BYTES));
    expect(readScenario(limit).name).toBe('t');
    const over = join(dir, 'over.yaml');
    writeFileSync(over, padded(MAX_SCENARIO_BYTES + 1));
    expect(() => readScenario(over)).toThrow(`${over}: cannot read the scenario: it is 1048577 bytes; at most 1048576 (1 MiB) accepted`);
  });

  it('names duplicate keys where they are, even in a mapping of 20000 keys', () => {
    const keys = Array.from({ length: 20_000 }, (_, i) => `  k${i}: 1\n`).join('');
    const file = join(dir, 'dupes.yaml');
    writeFileSync(file, `${valid}x:\n${keys}  k7: 2\n`);
    expect(() => readScenario(file)).toThrow(`${file}:20006:3: YAML: Map keys must be unique; "k7" is repeated`);
  });
});
