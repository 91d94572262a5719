// Listing and removing device directories a device (root in its container) has tampered with.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initWorkspace } from '../workspace/init.js';
import { generateDevices } from './generate.js';
import { listDevices, removeDevices, removeDevicesWithReport, scanDevices } from './list.js';

const root = mkdtempSync(join(tmpdir(), 'vfleet-list-'));
const home = join(root, 'home');
const spec = (id: string) => ({ id, cohort: 'release', tags: ['t'], target: 'arm64-v8' });
const make = (out: string, ids: string[], force = false) =>
  generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force, specs: ids.map(spec) });

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

describe('a vfleet.json vfleet cannot use', () => {
  const metaOf = (out: string, id: string) => JSON.parse(readFileSync(join(out, id, 'vfleet.json'), 'utf8')) as Record<string, unknown>;
  const damage = (out: string, id: string, text: string) => writeFileSync(join(out, id, 'vfleet.json'), text);
  const parseError = (text: string): string => {
    try {
      JSON.parse(text);
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error(`${text} is JSON`);
  };

  it('is reported with the file and what is wrong, ours only when it still names vfleet and the folder', async () => {
    const out = join(root, 'damaged');
    const ids = ['A-ok', 'B-cut', 'C-esc', 'D-fifo', 'E-link', 'F-big', 'G-array', 'H-gen', 'I-id', 'J-cohort', 'K-tags', 'L-disk', 'M-long'];
    await make(out, ids);
    const meta = metaOf(out, 'A-ok');
    const file = (id: string) => join(out, id, 'vfleet.json');
    const cut = JSON.stringify({ ...meta, id: 'B-cut' }).slice(0, 30);
    damage(out, 'B-cut', cut);
    damage(out, 'C-esc', '\u001b[2J\u009b');
    rmSync(file('D-fifo'));
    execFileSync('mkfifo', [file('D-fifo')]);
    rmSync(file('E-link'));
    symlinkSync('/dev/zero', file('E-link'));
    damage(out, 'F-big', ' '.repeat(70 * 1024));
    damage(out, 'G-array', '[]');
    damage(out, 'H-gen', JSON.stringify({ ...meta, id: 'H-gen', generator: 'other' }));
    damage(out, 'I-id', JSON.stringify({ ...meta, id: 'A-ok' }));
    damage(out, 'J-cohort', JSON.stringify({ ...meta, id: 'J-cohort', cohort: `\u001b]0;owned\u0007${'x'.repeat(100)}` }));
    damage(out, 'K-tags', JSON.stringify({ ...meta, id: 'K-tags', tags: ['a,b'] }));
    damage(out, 'L-disk', JSON.stringify({ ...meta, id: 'L-disk', diskBytes: 'lots' }));
    damage(out, 'M-long', JSON.stringify({ ...meta, id: 'M-long', createdAt: undefined }));
    // not vfleet's: no vfleet.json at all, or a hidden name
    mkdirSync(join(out, 'notes'));
    mkdirSync(join(out, '.hidden'));
    writeFileSync(join(out, '.hidden', 'vfleet.json'), 'x');

    const { devices, damaged } = scanDevices(out);
    expect(devices.map((d) => d.meta.id)).toEqual(['A-ok']);
    expect(listDevices(out).map((d) => d.meta.id)).toEqual(['A-ok']);
    expect(damaged.map(({ name, problem, ours }) => ({ name, problem, ours }))).toEqual([
      { name: 'B-cut', problem: `${file('B-cut')}: not valid JSON (${parseError(cut)})`, ours: false },
      { name: 'C-esc', problem: `${file('C-esc')}: not valid JSON (${parseError('\u001b[2J\u009b').replaceAll('\u001b', '\\u001b').replaceAll('\u009b', '\\u009b')})`, ours: false },
      { name: 'D-fifo', problem: `${file('D-fifo')}: refusing to read it: not a regular file`, ours: false },
      { name: 'E-link', problem: `${file('E-link')}: refusing to follow a symbolic link in the device directory ${join(out, 'E-link')}`, ours: false },
      { name: 'F-big', problem: `${file('F-big')}: refusing to read it: 71680 bytes, more than 65536`, ours: false },
      { name: 'G-array', problem: `${file('G-array')}: expected a JSON object, found an array`, ours: false },
      { name: 'H-gen', problem: `${file('H-gen')}: generator: expected "vfleet", found "other"`, ours: false },
      { name: 'I-id', problem: `${file('I-id')}: id: expected "I-id" (the folder's name), found "A-ok"`, ours: false },
      {
        name: 'J-cohort',
        problem: `${file('J-cohort')}: cohort: expected a non-empty string of at most 128 characters without control characters, found "\\u001b]0;owned\\u0007${'x'.repeat(39)}…`,
        ours: true,
      },
      { name: 'K-tags', problem: `${file('K-tags')}: tags: tag "a,b" must be 1 to 128 printable characters without a comma`, ours: true },
      { name: 'L-disk', problem: `${file('L-disk')}: diskBytes: expected a whole number of bytes, 0 or more, found "lots"`, ours: true },
      { name: 'M-long', problem: `${file('M-long')}: createdAt: expected a string without control characters, found nothing`, ours: true },
    ]);
    // eslint-disable-next-line no-control-regex
    for (const d of damaged) expect(d.problem).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('rm removes a damaged device vfleet made, and refuses a folder it cannot tell it made, saying why', async () => {
    const out = join(root, 'rm-damaged');
    await make(out, ['R-1', 'R-2', 'R-3', 'R-4']);
    damage(out, 'R-1', JSON.stringify({ ...metaOf(out, 'R-1'), cohort: 7 }));
    damage(out, 'R-2', JSON.stringify({ ...metaOf(out, 'R-3'), id: 'R-2', env: 'nvram' }));
    damage(out, 'R-3', JSON.stringify({ ...metaOf(out, 'R-3'), generator: 'someone' }));
    const notOurs = `${join(out, 'R-3', 'vfleet.json')}: generator: expected "vfleet", found "someone"; vfleet cannot tell it made this folder, so it leaves it for you to delete`;
    expect(() => removeDevices(out, ['R-3'])).toThrow(notOurs);
    expect(() => removeDevices(out, ['R-2', 'R-3', 'nope'])).toThrow(`${out}: no vfleet device named nope\n${notOurs}`);
    expect(readdirSync(out)).toEqual(['R-1', 'R-2', 'R-3', 'R-4']);
    expect(removeDevices(out, ['R-2'])).toEqual(['R-2']);
    expect(removeDevicesWithReport(out, 'all')).toMatchObject({ removed: ['R-1', 'R-4'], left: [{ name: 'R-3', ours: false }] });
    expect(readdirSync(out)).toEqual(['R-3']);
    expect(readdirSync(join(out, 'R-3')).sort()).toContain('device-private-key.pem');
  });

  it('create --force replaces a damaged device vfleet made, and refuses another folder naming the problem', async () => {
    const out = join(root, 'force-damaged');
    await make(out, ['F-1', 'F-2']);
    const key = readFileSync(join(out, 'F-1', 'device-private-key.pem'), 'utf8');
    damage(out, 'F-1', JSON.stringify({ ...metaOf(out, 'F-1'), cohort: '' }));
    damage(out, 'F-2', 'null');
    const r = await make(out, ['F-1', 'F-2'], true);
    expect(r.replaced).toEqual(['F-1']);
    expect(r.failed).toEqual([
      { id: 'F-2', error: `${join(out, 'F-2')} exists and is not a vfleet device directory; refusing to replace it: ${join(out, 'F-2', 'vfleet.json')}: expected a JSON object, found null` },
    ]);
    expect(readFileSync(join(out, 'F-1', 'device-private-key.pem'), 'utf8')).not.toBe(key);
    expect(listDevices(out).map((d) => d.meta.id)).toEqual(['F-1']);
  });
});
