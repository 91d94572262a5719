// fw_printenv / fw_setenv (libubootenv-tool) are the oracle for fw_env.config files and the
// redundant-copy flag protocol. libubootenv wants absolute paths (it realpath()s them from its
// own working directory), so every config here is written with absolute paths.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { haveTools, run } from '../test-support/oracle.js';
import { encodeUbootEnv } from './encode.js';
import { readUbootEnvFromConfig, updateUbootEnv, writeUbootEnvFromConfig } from './env-file.js';
import { type FwEnvCopy, formatFwEnvConfig } from './fw-env-config.js';
import { randomVars } from './random-vars.js';

const hasTools = haveTools('fw_printenv', 'fw_setenv');
const SIZE = 0x20000;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-libubootenv-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function printenv(configPath: string): Map<string, string> {
  const out = run('fw_printenv', ['-c', configPath]);
  const lines = out.split('\n').filter((l) => l !== '');
  return new Map(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

function setenv(configPath: string, key: string, value: string): void {
  run('fw_setenv', ['-c', configPath, key, value]);
}

function sorted(vars: Map<string, string>): Array<[string, string]> {
  return [...vars].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function config(copies: FwEnvCopy[]): string {
  const configPath = path.join(dir, 'fw_env.config');
  fs.writeFileSync(configPath, formatFwEnvConfig({ copies }));
  return configPath;
}

function singleEnv(): string {
  const envFile = path.join(dir, 'uboot.env');
  fs.writeFileSync(envFile, Buffer.alloc(SIZE, 0xff));
  return config([{ path: envFile, offset: 0, size: SIZE }]);
}

/** Two 128 KiB copies at 1 MiB and 1 MiB + 128 KiB of a 4 MiB sparse image. */
function redundantPair(sectorSize?: number): { image: string; configPath: string } {
  const image = path.join(dir, 'disk.img');
  fs.writeFileSync(image, '');
  fs.truncateSync(image, 4 << 20);
  const extra = sectorSize === undefined ? {} : { sectorSize };
  const configPath = config([
    { path: image, offset: 0x100000, size: SIZE, ...extra },
    { path: image, offset: 0x120000, size: SIZE, ...extra },
  ]);
  return { image, configPath };
}

describe.skipIf(!hasTools)('libubootenv interop', () => {
  it('fw_printenv reads a single env that core wrote', () => {
    const configPath = singleEnv();
    const vars = randomVars(7, 150, true);
    writeUbootEnvFromConfig(configPath, vars);
    expect(sorted(printenv(configPath))).toEqual(sorted(vars));
  });

  it('fw_printenv reads core\'s redundant pair without the sector-size column (and with it)', () => {
    for (const sectorSize of [undefined, SIZE]) {
      const { configPath } = redundantPair(sectorSize);
      expect(fs.readFileSync(configPath, 'utf8').split('\n')[0]?.split(' ')).toHaveLength(sectorSize === undefined ? 3 : 4);
      writeUbootEnvFromConfig(configPath, { gen: 'first', keep: 'me' });
      writeUbootEnvFromConfig(configPath, { gen: 'second', keep: 'me' });
      expect(sorted(printenv(configPath))).toEqual([['gen', 'second'], ['keep', 'me']]);
      fs.rmSync(configPath);
    }
  });

  it('libubootenv reads the size column as hex even without 0x, so core always writes 0x', () => {
    const envFile = path.join(dir, 'uboot.env');
    fs.writeFileSync(envFile, encodeUbootEnv({ k: 'v' }, { size: SIZE }));
    const decimal = path.join(dir, 'decimal.config');
    fs.writeFileSync(decimal, `${envFile} 0 131072\n`);
    expect(() => run('fw_printenv', ['-c', decimal])).toThrow();
    expect(readUbootEnvFromConfig(decimal).vars.get('k')).toBe('v');
    expect(printenv(config([{ path: envFile, offset: 0, size: SIZE }])).get('k')).toBe('v');
  });

  it('core reads a single env after fw_setenv, and fw_printenv reads core\'s write after that', () => {
    const configPath = singleEnv();
    writeUbootEnvFromConfig(configPath, { peridio_active: 'a', foreign: 'x' });
    setenv(configPath, 'peridio_active', 'b');
    setenv(configPath, 'spaced', 'one two');
    expect(sorted(readUbootEnvFromConfig(configPath).vars)).toEqual([['foreign', 'x'], ['peridio_active', 'b'], ['spaced', 'one two']]);
    updateUbootEnv(configPath, (vars) => vars.set('peridio_validated', '1'));
    expect(sorted(printenv(configPath))).toEqual([['foreign', 'x'], ['peridio_active', 'b'], ['peridio_validated', '1'], ['spaced', 'one two']]);
  });

  it('core and fw_setenv alternate on a redundant pair with one flag sequence', () => {
    const { configPath } = redundantPair();
    expect(writeUbootEnvFromConfig(configPath, { n: '0' })).toMatchObject({ copyIndex: 0, flag: 1 });
    setenv(configPath, 'n', 'tool1');
    expect(readUbootEnvFromConfig(configPath)).toMatchObject({ copyIndex: 1, flag: 2, vars: new Map([['n', 'tool1']]) });
    expect(updateUbootEnv(configPath, (vars) => vars.set('n', 'core2'))).toMatchObject({ copyIndex: 0, flag: 3 });
    expect(printenv(configPath).get('n')).toBe('core2');
    setenv(configPath, 'n', 'tool3');
    expect(readUbootEnvFromConfig(configPath)).toMatchObject({ copyIndex: 1, flag: 4, vars: new Map([['n', 'tool3']]) });
  });

  it('agrees with libubootenv across the 255 -> 0 flag wrap', () => {
    const { image, configPath } = redundantPair();
    const fd = fs.openSync(image, 'r+');
    fs.writeSync(fd, encodeUbootEnv({ n: 'older' }, { size: SIZE, redundant: true, flag: 254 }), 0, SIZE, 0x100000);
    fs.writeSync(fd, encodeUbootEnv({ n: 'newest' }, { size: SIZE, redundant: true, flag: 255 }), 0, SIZE, 0x120000);
    fs.closeSync(fd);
    expect(printenv(configPath).get('n')).toBe('newest');
    expect(updateUbootEnv(configPath, (vars) => vars.set('n', 'wrapped'))).toMatchObject({ copyIndex: 0, flag: 0 });
    expect(printenv(configPath).get('n')).toBe('wrapped');
    setenv(configPath, 'n', 'tool-after-wrap');
    expect(readUbootEnvFromConfig(configPath)).toMatchObject({ copyIndex: 1, flag: 1, vars: new Map([['n', 'tool-after-wrap']]) });
  });
});
