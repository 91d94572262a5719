// Two `devices create` runs into one folder: the other run makes a device between this run's check
// and its rename. Simulated by making the device just before this run renames its temp folder.
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import type * as FS from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

let beforeRename: ((from: string, to: string) => void) | undefined;
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof FS>();
  const renameSync = (from: string, to: string): void => {
    beforeRename?.(from, to);
    fs.renameSync(from, to);
  };
  return { ...fs, renameSync, default: { ...fs, renameSync } };
});

const { initWorkspace } = await import('../workspace/init.js');
const { generateDevices } = await import('./generate.js');

const root = mkdtempSync(join(tmpdir(), 'vfleet-race-'));
const home = join(root, 'home');
beforeAll(() => {
  initWorkspace({ home });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('a device another writer makes meanwhile', () => {
  it('is reported as already there, not as failed, and leaves no temp folder', async () => {
    const out = join(root, 'devices');
    beforeRename = (from, to) => {
      if (!basename(from).startsWith('.W-2.tmp-')) return;
      mkdirSync(to);
      writeFileSync(join(to, 'vfleet.json'), '{}');
    };
    const specs = ['W-1', 'W-2', 'W-3'].map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
    const r = await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs });
    beforeRename = undefined;
    expect(r).toEqual({ created: ['W-1', 'W-3'], replaced: [], skipped: ['W-2'], failed: [] });
    expect(readdirSync(out).sort()).toEqual(['W-1', 'W-2', 'W-3']);
  });
});
