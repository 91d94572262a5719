// `vfleet devices` against a running fleet, a tampered device and a full disk.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runVfleet } from '../test-support/run-vfleet.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vfleet-cli-devices-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const vfleet = (...argv: string[]) => runVfleet(join(root, 'home'), argv);

describe('vfleet devices', () => {
  it('list shows control characters a device put in its tags escaped, not sent to the terminal', async () => {
    const out = join(root, 'tags');
    expect((await vfleet('devices', 'create', '--count', '1', '--disk-size', '0', '--out', out)).code).toBe(0);
    const file = join(out, 'EI-ML-0001', 'vfleet.json');
    const meta = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    // C1 CSI (U+009B) is a terminal control sequence introducer like ESC [
    writeFileSync(file, JSON.stringify({ ...meta, tags: ['a\u009b2Jb'] }));
    const r = await vfleet('devices', 'list', '--out', out);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toEqual(['ID\tCOHORT\tTAGS\tTARGET\tENV\tDISK', 'EI-ML-0001\trelease\ta\\u009b2Jb\tarm64-v8\tfile\t0M']);
  });

  it('create --json prints only the outcome on stdout: counts, failures, seconds and CPU', async () => {
    const out = join(root, 'json');
    const fresh = (...argv: string[]) => runVfleet(join(root, 'json-home'), argv);
    // a fresh home: the workspace it initialises is said on stderr, not mixed into the JSON
    const first = await fresh('devices', 'create', '--count', '3', '--disk-size', '0', '--out', out, '--json');
    expect(first.code).toBe(0);
    expect(first.err).toMatch(/^initialised workspace /);
    const made = JSON.parse(first.out) as Record<string, unknown>;
    expect(made).toMatchObject({ out, created: 3, replaced: 0, skipped: 0, failed: [] });
    expect(made['seconds']).toBeGreaterThan(0);
    expect(made['devicesPerSecond']).toBeGreaterThan(0);
    expect(Object.keys(made['cpuSeconds'] as object)).toEqual(['user', 'system']);
    // again, with one device's place taken by a file: skipped, failed (with its reason) and exit code 1
    writeFileSync(join(out, 'EI-ML-0004'), 'not a device');
    const again = await fresh('devices', 'create', '--count', '4', '--disk-size', '0', '--out', out, '--force', '--json');
    expect(again.code).toBe(1);
    const r = JSON.parse(again.out) as { created: number; replaced: number; failed: Array<{ id: string; error: string }> };
    expect(r.created).toBe(0);
    expect(r.replaced).toBe(3);
    expect(r.failed).toEqual([{ id: 'EI-ML-0004', error: `${join(out, 'EI-ML-0004')} exists and is not a vfleet device directory; refusing to replace it` }]);
  });

  it('list, create and rm say which vfleet.json is damaged and why; rm removes only what vfleet surely made', async () => {
    const out = join(root, 'damaged');
    expect((await vfleet('devices', 'create', '--count', '4', '--disk-size', '0', '--out', out)).code).toBe(0);
    const file = (n: number) => join(out, `EI-ML-000${n}`, 'vfleet.json');
    const text = readFileSync(file(2), 'utf8');
    writeFileSync(file(2), JSON.stringify({ ...(JSON.parse(text) as object), cohort: 7 }));
    const cut = readFileSync(file(3), 'utf8').slice(0, 40);
    writeFileSync(file(3), cut);
    let parseError = '';
    try {
      JSON.parse(cut);
    } catch (e) {
      parseError = (e as Error).message;
    }
    const ours = `${file(2)}: cohort: expected a non-empty string of at most 128 characters without control characters, found 7; vfleet made it: \`vfleet devices rm EI-ML-0002\` removes it, \`vfleet devices create --force\` with its id replaces it`;
    const notOurs = `${file(3)}: not valid JSON (${parseError}); vfleet cannot tell it made this folder, so it leaves it for you to delete`;

    const list = await vfleet('devices', 'list', '--out', out);
    expect(list.code).toBe(0);
    expect(list.out.split('\n').map((l) => l.split('\t')[0])).toEqual(['ID', 'EI-ML-0001', 'EI-ML-0004']);
    expect(list.err.split('\n')).toEqual([`vfleet: not listed: ${ours}`, `vfleet: not listed: ${notOurs}`]);
    const json = await vfleet('devices', 'list', '--out', out, '--json');
    expect((JSON.parse(json.out) as Array<{ id: string }>).map((d) => d.id)).toEqual(['EI-ML-0001', 'EI-ML-0004']);
    expect(json.err).toBe(list.err);

    const again = await vfleet('devices', 'create', '--count', '4', '--disk-size', '0', '--out', out);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/0 created, 0 replaced, 4 already there/);
    expect(again.err.split('\n')).toEqual([`vfleet: skipped: ${ours}`, `vfleet: skipped: ${notOurs}`]);

    const refused = await vfleet('devices', 'rm', 'EI-ML-0003', '--out', out);
    expect(refused.code).toBe(2);
    expect(refused.err).toBe(`vfleet: ${notOurs}`);
    expect((await vfleet('devices', 'rm', 'EI-ML-0002', '--out', out)).out).toBe(`removed 1 device(s) from ${out}`);
    const all = await vfleet('devices', 'rm', '--all', '--out', out);
    expect(all).toEqual({ code: 0, out: `removed 2 device(s) from ${out}`, err: `vfleet: not removed: ${notOurs}` });
    expect(readdirSync(out)).toEqual(['EI-ML-0003']);
    expect(readFileSync(file(3), 'utf8')).toBe(cut);
  });

  it('create --force and rm refuse a folder a running fleet holds, and change nothing', async () => {
    const out = join(root, 'held');
    expect((await vfleet('devices', 'create', '--count', '2', '--disk-size', '0', '--out', out)).code).toBe(0);
    const key = () => readFileSync(join(out, 'EI-ML-0001', 'device-private-key.pem'), 'utf8');
    const before = key();
    // the lock a fleet writes; pid 1 is always running
    const lock = join(out, '.vfleet-lock');
    writeFileSync(lock, JSON.stringify({ pid: 1, host: hostname(), token: 'f00d', owner: 'vfleet up (test)' }));
    const refusal = `vfleet: ${out} is in use by another fleet (vfleet up (test)), process 1 on ${hostname()}: one fleet per device folder (stop that one, e.g. vfleet down, or remove ${lock} if it is stale)`;
    for (const argv of [['create', '--count', '2', '--disk-size', '0', '--force'], ['rm', '--all'], ['rm', 'EI-ML-0002']]) {
      const r = await vfleet('devices', ...argv, '--out', out);
      expect(r.code).toBe(1);
      expect(r.err).toBe(refusal);
    }
    expect(key()).toBe(before);
    expect(readdirSync(out).sort()).toEqual(['.vfleet-lock', 'EI-ML-0001', 'EI-ML-0002']);
    rmSync(lock);
    expect((await vfleet('devices', 'rm', 'EI-ML-0002', '--out', out)).out).toBe(`removed 1 device(s) from ${out}`);
    expect(existsSync(lock)).toBe(false);
  });

  it.skipIf(process.getuid?.() !== 0)('a full disk is reported once, and the devices after it are not attempted', async () => {
    const mount = join(root, 'small');
    mkdirSync(mount);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=400k', 'tmpfs', mount]);
    try {
      const out = join(mount, 'devices');
      const r = await vfleet('devices', 'create', '--count', '200', '--disk-size', '0', '--out', out);
      expect(r.code).toBe(1);
      const made = readdirSync(out).filter((n) => !n.startsWith('.'));
      expect(readdirSync(out)).toEqual(made);
      const first = `EI-ML-${String(made.length + 1).padStart(4, '0')}`;
      const lines = r.err.split('\n');
      expect(lines).toHaveLength(2);
      const cause = /^vfleet: EI-ML-\d{4}: (ENOSPC: no space left on device, \w+.*)$/.exec(lines[0] ?? '')?.[1];
      expect(lines).toEqual([
        `vfleet: ${first}: ${cause}`,
        `vfleet: EI-ML-${String(made.length + 2).padStart(4, '0')} and ${200 - made.length - 2} more: not attempted: writing ${first} in ${out} failed with ${cause}`,
      ]);
    } finally {
      execFileSync('umount', [mount]);
    }
  });
});
