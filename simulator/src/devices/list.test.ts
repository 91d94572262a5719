// Listing and removing device directories a device (root in its container) has tampered with.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from './generate.js';
import { listDevices, removeDevices } from './list.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-list-'));
const home = join(root, 'home');
const spec = (id: string) => ({ id, cohort: 'release', tags: ['t'], target: 'arm64-v8' });
const make = (out: string, ids: string[]) =>
  generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs: ids.map(spec) });

beforeAll(() => {
  initWorkspace({ home });
});
// rm(1), not fs.rmSync: a nested tree a failed test leaves behind overflows rmSync's stack
afterAll(() => execFileSync('rm', ['-rf', root]));

/** Nests `depth` folders named `d` under `dir`, from a child process (a path that long cannot be named in one piece). */
function nest(dir: string, depth: number): void {
  const script = 'const fs = require("fs"); process.chdir(process.argv[1]); for (let i = 0; i < +process.argv[2]; i++) { fs.mkdirSync("d"); process.chdir("d"); } fs.writeFileSync("bottom", "x");';
  execFileSync(process.execPath, ['-e', script, dir, String(depth)]);
}

describe('devices list and rm against what a device put in its directory', () => {
  it('lists neither a device whose vfleet.json it rewrote with control characters nor a folder named with them', async () => {
    const out = join(root, 'controls');
    await make(out, ['C-1', 'C-2', 'C-3']);
    const meta = JSON.parse(readFileSync(join(out, 'C-1', 'vfleet.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(out, 'C-2', 'vfleet.json'), JSON.stringify({ ...meta, id: 'C-2', cohort: '\u001b]0;owned\u0007\u001b[2J' }));
    writeFileSync(join(out, 'C-3', 'vfleet.json'), JSON.stringify({ ...meta, id: 'C-3', target: 'x\r', env: 7, diskBytes: 'lots' }));
    const odd = 'B\u001b[31mRED\n';
    mkdirSync(join(out, odd));
    writeFileSync(join(out, odd, 'vfleet.json'), JSON.stringify({ ...meta, id: odd }));
    expect(listDevices(out).map((d) => d.meta.id)).toEqual(['C-1']);
  });

  it('lists and removes a device that nested folders deeper than a path can name', async () => {
    const out = join(root, 'deep');
    await make(out, ['N-1', 'N-2']);
    nest(join(out, 'N-1', 'cache'), 2100);
    const listed = listDevices(out, { withUsage: true });
    expect(listed.map((d) => d.meta.id)).toEqual(['N-1', 'N-2']);
    expect(listed[0]?.allocatedBytes).toBeGreaterThan(0);
    expect(removeDevices(out, ['N-1'])).toEqual(['N-1']);
    expect(readdirSync(out)).toEqual(['N-2']);
  });

  it('removes a device as a whole or not at all, never through a link it holds', async () => {
    const out = join(root, 'links');
    const host = join(root, 'host');
    mkdirSync(host);
    writeFileSync(join(host, 'precious'), 'precious');
    await make(out, ['L-1']);
    symlinkSync(host, join(out, 'L-1', 'cache', 'host'));
    expect(removeDevices(out, ['L-1', 'L-1'])).toEqual(['L-1']);
    expect(readdirSync(out)).toEqual([]);
    expect(readFileSync(join(host, 'precious'), 'utf8')).toBe('precious');
    expect(existsSync(host)).toBe(true);
  });
});
