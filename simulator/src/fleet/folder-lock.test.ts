import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCK_NAME, lockDeviceFolder } from './folder-lock.js';
import { createFleet } from './orchestrator.js';
import { createInprocRuntime } from './runtimes/inproc.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The pid of a process that has ended. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('one fleet per device folder', () => {
  it('refuses a second holder, naming the first, until it lets go', () => {
    const folder = join(root, 'a');
    const first = lockDeviceFolder(folder, 'vfleet up, VFLEET_HOME /x');
    expect(() => lockDeviceFolder(folder, 'another')).toThrow(
      `${folder} is in use by another fleet (vfleet up, VFLEET_HOME /x), process ${process.pid} on ${hostname()}: one fleet per device folder (stop that one, e.g. vfleet down, or remove ${join(folder, LOCK_NAME)} if it is stale)`,
    );
    first.release();
    first.release();
    const second = lockDeviceFolder(folder, 'another');
    // a stale release never removes someone else's lock
    first.release();
    expect(() => lockDeviceFolder(folder, 'third')).toThrow(/in use by another fleet \(another\)/);
    second.release();
  });

  it('takes over a lock whose process is gone, one this process no longer holds, or one that is not a lock', () => {
    const folder = join(root, 'b');
    lockDeviceFolder(folder, 'x').release();
    for (const stale of [
      { pid: deadPid(), host: hostname(), token: 'a', owner: 'gone' },
      { pid: process.pid, host: hostname(), token: 'not-held-here', owner: 'crashed fleet of this process' },
      'not json',
    ]) {
      writeFileSync(join(folder, LOCK_NAME), typeof stale === 'string' ? stale : JSON.stringify(stale));
      const lock = lockDeviceFolder(folder, 'new');
      expect(JSON.parse(readFileSync(join(folder, LOCK_NAME), 'utf8'))).toMatchObject({ pid: process.pid, owner: 'new' });
      lock.release();
    }
    // another host's lock cannot be checked from here: refused
    writeFileSync(join(folder, LOCK_NAME), JSON.stringify({ pid: 1, host: 'elsewhere', token: 't', owner: 'o' }));
    expect(() => lockDeviceFolder(folder, 'new')).toThrow(/process 1 on elsewhere/);
  });

  it('createFleet holds the folder until close()', async () => {
    const folder = join(root, 'c');
    const first = await createFleet({ runtime: createInprocRuntime(), devicesDir: folder, ids: [], owner: 'the first fleet' });
    await expect(createFleet({ runtime: createInprocRuntime(), devicesDir: folder, ids: [] })).rejects.toThrow(/in use by another fleet \(the first fleet\)/);
    await first.close();
    const second = await createFleet({ runtime: createInprocRuntime(), devicesDir: folder, ids: [] });
    await second.close();
  });
});
