// Generating into a folder whose file system fills up half-way, or is read-only.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from './generate.js';
import { deviceIds } from './spec.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-full-'));
const home = join(root, 'home');
beforeAll(() => {
  initWorkspace({ home });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.skipIf(process.getuid?.() !== 0)('a full or read-only file system', () => {
  it('fails the device it hit, leaves nothing half-written, and does not attempt the rest', async () => {
    const mount = join(root, 'small');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', mount]);
    try {
      const out = join(mount, 'devices');
      const specs = deviceIds('D', 1, 300).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
      const r = await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs });
      expect(readdirSync(out).sort()).toEqual(r.created);
      const [hit, ...rest] = r.failed;
      expect(r.created.length + r.failed.length).toBe(300);
      expect(hit?.error).toMatch(/^ENOSPC: no space left on device, /);
      expect(new Set(rest.map((f) => f.error))).toEqual(new Set([`not attempted: writing ${hit?.id} in ${out} failed with ${hit?.error}`]));
    } finally {
      execFileSync('umount', [mount]);
    }
  });

  it('fails the first device of a read-only folder and does not attempt the rest', async () => {
    const out = join(root, 'read-only');
    mkdirSync(out);
    execFileSync('mount', ['--bind', out, out]);
    try {
      execFileSync('mount', ['-o', 'remount,ro,bind', out]);
      const specs = deviceIds('R', 1, 5).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
      const r = await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs });
      const cause = `EROFS: read-only file system, mkdir '${join(out, '.R-0001.tmp-')}`;
      expect(r.failed[0]?.error.startsWith(cause)).toBe(true);
      expect(r.failed.slice(1)).toEqual(['R-0002', 'R-0003', 'R-0004', 'R-0005'].map((id) => ({ id, error: `not attempted: writing R-0001 in ${out} failed with ${r.failed[0]?.error}` })));
      expect(readdirSync(out)).toEqual([]);
    } finally {
      execFileSync('umount', [out]);
    }
  });
});
