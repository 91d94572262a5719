import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from './open-store.js';
import { STORE_PRAGMAS } from './pragmas.js';

const writer = fileURLToPath(new URL('fixtures/durability-writer.mjs', import.meta.url));
let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** Runs the writer until it has acknowledged `count` commits, SIGKILLs it, returns what it printed. */
function writeThenKill(file: string, count: number): Promise<{ lines: string[]; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, file, JSON.stringify(STORE_PRAGMAS)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      if (out.split('\n').length > count + 1 && !child.killed) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === null) reject(new Error(`writer exited with ${code}: ${err}`));
      // A partial last line was never acknowledged in full; drop it.
      else resolve({ lines: out.split('\n').slice(0, -1), signal });
    });
  });
}

describe('durability', () => {
  it('a SIGKILL during writes loses no acknowledged commit', async () => {
    dir = mkdtempSync(join(tmpdir(), 'vfleet-durable-'));
    const file = join(dir, 'backend.db');
    openStore(file).close();
    const { lines, signal } = await writeThenKill(file, 300);
    expect(signal).toBe('SIGKILL');
    expect(lines[0]).toBe('pragmas wal 1'); // WAL, synchronous=NORMAL
    const acknowledged = lines.slice(1);
    expect(acknowledged.length).toBeGreaterThanOrEqual(300);
    const store = openStore(file);
    try {
      const stored = new Set(store.products.list().map((p) => p.uuid));
      expect(acknowledged.filter((uuid) => !stored.has(uuid))).toEqual([]);
      expect(stored.size).toBeGreaterThanOrEqual(acknowledged.length);
    } finally {
      store.close();
    }
  });
});
