import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readUbootEnvFromConfig, updateUbootEnv, writeUbootEnvFromConfig } from '@vfleet/core';
import { haveTools, run } from '@vfleet/core/test-support';
import { createDevicePaths } from './device-paths.js';
import { openKvStore } from './kv-store.js';

const tools = haveTools('mkenvimage', 'fw_printenv');
let dir: string;
let logs: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'vfleet-kv-'));
  logs = [];
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (m: string) => logs.push(m) };
const paths = () => createDevicePaths({ root: dir, mode: 'mapped' });
const env = { VFLEET_FW_ENV_CONFIG: '/etc/peridiod/fw_env.config' };

/** A device directory as the EVK lays it out: fw_env.config naming /etc/peridiod/uboot.env, made by mkenvimage. */
function makeDevice(vars: string): void {
  writeFileSync(join(dir, 'fw_env.config'), '/etc/peridiod/uboot.env 0x0000 0x20000\n');
  writeFileSync(join(dir, 'vars.txt'), vars);
  run('mkenvimage', ['-s', '0x20000', '-o', join(dir, 'uboot.env'), join(dir, 'vars.txt')]);
}

/** fw_printenv needs host paths, so the oracle gets its own config naming the same file. */
function printenv(): Map<string, string> {
  writeFileSync(join(dir, 'host-fw_env.config'), `${join(dir, 'uboot.env')} 0x0000 0x20000\n`);
  const out = run('fw_printenv', ['-c', join(dir, 'host-fw_env.config')]);
  return new Map(out.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

describe('openKvStore', () => {
  it.skipIf(!tools)('reads the env mkenvimage wrote and writes changes fw_printenv sees, keeping foreign variables', async () => {
    makeDevice('peridio_active=a\na.peridio_version=1.0.0\nbootcount=0\n');
    const kv = openKvStore({ env, paths: paths(), log });
    expect(kv.persistent).toBe(true);
    expect(kv.get('a.peridio_version')).toBe('1.0.0');
    // The bootloader (orchestrator) changes a variable behind the agent's back.
    updateUbootEnv(join(dir, 'fw_env.config'), (v) => v.set('bootcount', '1'), { resolvePath: paths().map });
    await kv.putMany(new Map([['peridio_vsn_current', '2.0.0'], ['peridio_bc_progress', '0']]));
    const seen = printenv();
    expect(Object.fromEntries(seen)).toEqual({
      peridio_active: 'a', 'a.peridio_version': '1.0.0', bootcount: '1', peridio_vsn_current: '2.0.0', peridio_bc_progress: '0',
    });
    expect(kv.get('bootcount')).toBe('1');
    expect(logs).toEqual([]);
  });

  it.skipIf(!tools)('flushes each write through the flush it is given (the in-process runtime\'s threads)', async () => {
    makeDevice('x=0\n');
    let flushes = 0;
    const kv = openKvStore({ env, paths: paths(), log, flush: async () => void flushes++ });
    await kv.putMany(new Map([['peridio_vsn_current', '2.0.0']]));
    await kv.putMany(new Map([['peridio_vsn_current', '2.0.1']]));
    expect(flushes).toBe(2);
    expect(printenv().get('peridio_vsn_current')).toBe('2.0.1');
  });

  it.skipIf(!tools)('serialises overlapping putMany calls so none is lost', async () => {
    makeDevice('x=0\n');
    const kv = openKvStore({ env, paths: paths(), log });
    await Promise.all(Array.from({ length: 25 }, (_, i) => kv.putMany(new Map([[`k${i}`, String(i)], ['last', String(i)]]))));
    const seen = printenv();
    expect(Array.from({ length: 25 }, (_, i) => seen.get(`k${i}`))).toEqual(Array.from({ length: 25 }, (_, i) => String(i)));
    expect(seen.get('last')).toBe('24');
  });

  it.skipIf(!tools)('falls back to an in-memory store with peridiod\'s log line when the env is corrupt', async () => {
    makeDevice('a=1\n');
    const image = readFileSync(join(dir, 'uboot.env'));
    image[10] = (image[10] ?? 0) ^ 0xff;
    writeFileSync(join(dir, 'uboot.env'), image);
    const kv = openKvStore({ env, paths: paths(), log });
    expect(kv.persistent).toBe(false);
    expect(kv.get('a')).toBeUndefined();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/^Peridiod failed to load KV: .*uboot\.env.*CRC/);
    await kv.putMany(new Map([['peridio_vsn_current', '2.0.0']]));
    expect(kv.get('peridio_vsn_current')).toBe('2.0.0');
    expect(readFileSync(join(dir, 'uboot.env')).equals(image)).toBe(true);
  });

  it('falls back when fw_env.config is missing, naming the mapped file', () => {
    const kv = openKvStore({ env: {}, paths: paths(), log });
    expect(kv.persistent).toBe(false);
    expect(logs).toEqual([expect.stringMatching(new RegExp(`^Peridiod failed to load KV: ${join(dir, 'root/etc/fw_env.config')}: cannot read fw_env.config`)) as unknown]);
  });
});

describe('openKvStore without tools', () => {
  it('reads what core wrote and rejects putMany when the env was truncated underneath', async () => {
    writeFileSync(join(dir, 'fw_env.config'), '/etc/peridiod/uboot.env 0x0000 0x20000\n');
    writeFileSync(join(dir, 'uboot.env'), Buffer.alloc(0x20000, 0xff));
    writeUbootEnvFromConfig(join(dir, 'fw_env.config'), new Map([['a', '1']]), { resolvePath: paths().map });
    const kv = openKvStore({ env, paths: paths(), log });
    expect(kv.get('a')).toBe('1');
    writeFileSync(join(dir, 'uboot.env'), Buffer.alloc(16));
    await expect(kv.putMany(new Map([['a', '2']]))).rejects.toThrow(/uboot\.env/);
    expect(kv.get('a')).toBe('1');
    // The chain goes on after a failed write.
    writeFileSync(join(dir, 'uboot.env'), Buffer.alloc(0x20000, 0xff));
    writeUbootEnvFromConfig(join(dir, 'fw_env.config'), new Map([['a', '1']]), { resolvePath: paths().map });
    await kv.putMany(new Map([['a', '3']]));
    expect(readUbootEnvFromConfig(join(dir, 'fw_env.config'), { resolvePath: paths().map }).vars.get('a')).toBe('3');
  });
});
