// What a `devices create` killed half-way leaves in the device folder, and how the next run deals with it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from './generate.js';
import { listDevices, removeDevices } from './list.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-leftovers-'));
const home = join(root, 'home');
const spec = (id: string) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' });
const make = (out: string, ids: string[], force = false) =>
  generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force, specs: ids.map(spec) });

/** The pid of a process that has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid as number;
}

beforeAll(() => {
  initWorkspace({ home });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('leftovers of killed runs', () => {
  it('a generation removes a dead writer’s temp and replaced folders, keeps a live one’s, and puts back a device a killed --force had moved aside', async () => {
    const out = join(root, 'crashed');
    await make(out, ['K-1', 'K-2', 'K-3']);
    const dead = deadPid();
    const key = (id: string) => readFileSync(join(out, id, 'device-private-key.pem'), 'utf8');
    const k2 = key('K-2');
    // killed while writing K-4; after moving K-1's old version aside; between the two renames of K-2
    cpSync(join(out, 'K-3'), join(out, `.K-4.tmp-${dead}-0badcafe`), { recursive: true });
    cpSync(join(out, 'K-1'), join(out, `.K-1.old-${dead}-00c0ffee`), { recursive: true });
    renameSync(join(out, 'K-2'), join(out, `.K-2.old-${dead}-12345678`));
    // an older version's names, without a pid
    cpSync(join(out, 'K-3'), join(out, '.K-3.tmp-deadbeef'), { recursive: true });
    // a live writer (pid 1 is always running)
    mkdirSync(join(out, '.K-5.tmp-1-abcdef01'));
    const r = await make(out, ['K-1', 'K-2', 'K-3']);
    expect(r.skipped).toEqual(['K-1', 'K-2', 'K-3']);
    expect(key('K-2')).toBe(k2);
    expect(readdirSync(out).sort()).toEqual(['.K-5.tmp-1-abcdef01', 'K-1', 'K-2', 'K-3']);
  });

  it('rm --all removes dead writers’ leftovers too', async () => {
    const out = join(root, 'rm-all');
    await make(out, ['R-1']);
    cpSync(join(out, 'R-1'), join(out, `.R-2.tmp-${deadPid()}-0badcafe`), { recursive: true });
    expect(removeDevices(out, 'all')).toEqual(['R-1']);
    expect(readdirSync(out)).toEqual([]);
  });

  it('--force replaces devices and leaves no leftover', async () => {
    const out = join(root, 'forced');
    await make(out, ['F-1', 'F-2']);
    const r = await make(out, ['F-1', 'F-2'], true);
    expect(r.replaced).toEqual(['F-1', 'F-2']);
    expect(readdirSync(out).sort()).toEqual(['F-1', 'F-2']);
    expect(listDevices(out).map((d) => d.meta.id)).toEqual(['F-1', 'F-2']);
  });
});
