import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { VfleetError } from '../errors.js';
import { crc32, hex32 } from './crc32.js';
import { decodeUbootEnv } from './decode.js';
import { encodeUbootEnv } from './encode.js';
import { readUbootEnvFromConfig, updateUbootEnv, updateUbootEnvAsync, writeUbootEnvFromConfig } from './env-file.js';

const ENV_SIZE = 0x20000;
let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vfleet-uboot-env-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function writeConfig(text: string): string {
  const configPath = path.join(dir, 'fw_env.config');
  fs.writeFileSync(configPath, text);
  return configPath;
}

function rangeOf(file: string, offset: number, size: number): Buffer {
  return fs.readFileSync(file).subarray(offset, offset + size);
}

function failure(fn: () => unknown): VfleetError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VfleetError);
    return e as VfleetError;
  }
  return expect.unreachable('expected a VfleetError');
}

/** A 4 MiB sparse image with marker bytes just outside two env copies at 1 MiB and 1 MiB + 128 KiB. */
function pairImage(): { image: string; configPath: string } {
  const image = path.join(dir, 'disk.img');
  fs.writeFileSync(image, '');
  fs.truncateSync(image, 4 << 20);
  const fd = fs.openSync(image, 'r+');
  fs.writeSync(fd, Buffer.from('<'), 0, 1, 0x100000 - 1);
  fs.writeSync(fd, Buffer.from('>'), 0, 1, 0x140000);
  fs.closeSync(fd);
  return { image, configPath: writeConfig('disk.img 0x100000 0x20000\ndisk.img 0x120000 0x20000\n') };
}

describe('non-redundant env through fw_env.config', () => {
  it('writes the block in place and reads it back, resolving relative paths against the config', () => {
    const envFile = path.join(dir, 'uboot.env');
    fs.writeFileSync(envFile, Buffer.alloc(ENV_SIZE));
    const configPath = writeConfig('uboot.env 0x0000 0x20000\n');
    const written = writeUbootEnvFromConfig(configPath, { peridio_active: 'a', a: '1' });
    expect(written).toMatchObject({ copyIndex: 0, vars: new Map([['peridio_active', 'a'], ['a', '1']]) });
    expect(written.flag).toBeUndefined();
    const bytes = fs.readFileSync(envFile);
    expect(bytes.length).toBe(ENV_SIZE);
    expect(bytes[ENV_SIZE - 1]).toBe(0xff);
    const read = readUbootEnvFromConfig(configPath);
    expect([...read.vars]).toEqual([['peridio_active', 'a'], ['a', '1']]);
    expect(read.copyIndex).toBe(0);
    expect(read.config.copies).toEqual([{ path: 'uboot.env', offset: 0, size: ENV_SIZE }]);
  });

  it('maps a device path through resolvePath and honours the pad option', () => {
    const envFile = path.join(dir, 'dev-uboot.env');
    fs.writeFileSync(envFile, Buffer.alloc(ENV_SIZE, 0x55));
    const configPath = writeConfig('/etc/peridiod/uboot.env 0x0000 0x20000\n');
    const resolvePath = (p: string): string => (p === '/etc/peridiod/uboot.env' ? envFile : p);
    writeUbootEnvFromConfig(configPath, { k: 'v' }, { resolvePath, pad: 0x00 });
    expect(fs.readFileSync(envFile)[ENV_SIZE - 1]).toBe(0x00);
    expect(readUbootEnvFromConfig(configPath, { resolvePath }).vars.get('k')).toBe('v');
  });

  it('updates with read-modify-write so foreign variables survive', () => {
    const envFile = path.join(dir, 'uboot.env');
    fs.writeFileSync(envFile, encodeUbootEnv({ foreign: 'keep', counter: '1' }, { size: ENV_SIZE }));
    const configPath = writeConfig(`${envFile} 0 0x20000\n`);
    const result = updateUbootEnv(configPath, (vars) => {
      vars.set('counter', String(Number(vars.get('counter')) + 1));
      vars.set('added', 'yes');
    });
    expect([...result.vars]).toEqual([['foreign', 'keep'], ['counter', '2'], ['added', 'yes']]);
    expect([...decodeUbootEnv(fs.readFileSync(envFile)).vars]).toEqual([...result.vars]);
  });

  it('refuses to write anything that is not a regular file', () => {
    const configPath = writeConfig('/dev/null 0 0x100\n');
    const e = failure(() => writeUbootEnvFromConfig(configPath, { k: 'v' }));
    expect(e.code).toBe('VFLEET_IO');
    expect(e.message).toBe('/dev/null: refusing to write the env: not a regular file');
    fs.mkdirSync(path.join(dir, 'sub'));
    const dirConfig = writeConfig('sub 0 0x100\n');
    expect(failure(() => writeUbootEnvFromConfig(dirConfig, { k: 'v' })).message).toMatch(/sub: refusing to write the env: not a regular file$/);
  });

  it('refuses to grow a file shorter than the configured range and leaves it untouched', () => {
    const envFile = path.join(dir, 'short.env');
    fs.writeFileSync(envFile, Buffer.alloc(100, 7));
    const configPath = writeConfig('short.env 0x0000 0x20000\n');
    const e = failure(() => writeUbootEnvFromConfig(configPath, { k: 'v' }));
    expect(e.code).toBe('VFLEET_IO');
    expect(e.message).toMatch(/short\.env: refusing to write env range 0x0\.\.0x20000: the file is only 100 bytes and would grow$/);
    expect(fs.readFileSync(envFile)).toEqual(Buffer.alloc(100, 7));
  });

  it('reports a range past the end of the file, a missing file and a missing config', () => {
    fs.writeFileSync(path.join(dir, 'short.env'), Buffer.alloc(100));
    const short = failure(() => readUbootEnvFromConfig(writeConfig('short.env 0 0x20000\n')));
    expect(short.code).toBe('VFLEET_ENV_INVALID');
    expect(short.message).toMatch(/short\.env: env range 0x0\.\.0x20000 runs past the end of the file \(100 bytes\)$/);
    const missing = failure(() => readUbootEnvFromConfig(writeConfig('nope.env 0 0x20000\n')));
    expect(missing.code).toBe('VFLEET_IO');
    expect(missing.message).toMatch(/nope\.env: cannot read the env: ENOENT/);
    const noConfig = failure(() => readUbootEnvFromConfig(path.join(dir, 'absent.config')));
    expect(noConfig.code).toBe('VFLEET_IO');
    expect(noConfig.message).toMatch(/absent\.config: cannot read fw_env\.config: ENOENT/);
  });

  it('refuses a FIFO, a character device and an oversized config instead of blocking or reading for ever', () => {
    execFileSync('mkfifo', [path.join(dir, 'fifo.env'), path.join(dir, 'fifo.config')]);
    // opening a FIFO for reading would block this thread until a writer came
    expect(failure(() => readUbootEnvFromConfig(writeConfig('fifo.env 0 0x1000\n'))).message).toMatch(/fifo\.env: refusing to read the env: not a regular file or block device$/);
    expect(failure(() => readUbootEnvFromConfig(path.join(dir, 'fifo.config'))).message).toMatch(/fifo\.config: refusing to read fw_env\.config: not a regular file or block device$/);
    expect(failure(() => writeUbootEnvFromConfig(writeConfig('fifo.env 0 0x1000\n'), { k: 'v' })).message).toMatch(/fifo\.env: refusing to write the env: not a regular file$/);
    expect(failure(() => readUbootEnvFromConfig(writeConfig('/dev/zero 0 0x1000\n'))).message).toBe('/dev/zero: refusing to read the env: not a regular file or block device');
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.config'));
    expect(failure(() => readUbootEnvFromConfig(path.join(dir, 'zero.config'))).message).toMatch(/zero\.config: refusing to read fw_env\.config: not a regular file or block device$/);
    fs.writeFileSync(path.join(dir, 'big.config'), '#'.repeat(70000));
    expect(failure(() => readUbootEnvFromConfig(path.join(dir, 'big.config'))).message).toMatch(/big\.config: fw_env\.config is 70000 bytes, more than the 65536 read$/);
  });

  it('with noFollow, refuses a config or env file that is a symbolic link, reading and writing nothing through it', () => {
    const outside = path.join(dir, 'outside.env');
    fs.writeFileSync(outside, encodeUbootEnv({ a: '1' }, { size: 0x1000 }));
    fs.symlinkSync(outside, path.join(dir, 'linked.env'));
    const configPath = writeConfig('linked.env 0 0x1000\n');
    // followed by default (a device's own view may use links), refused on the host side
    expect(readUbootEnvFromConfig(configPath).vars.get('a')).toBe('1');
    expect(failure(() => readUbootEnvFromConfig(configPath, { noFollow: true })).message).toMatch(/linked\.env: refusing to read the env: it is a symbolic link$/);
    const before = fs.readFileSync(outside);
    expect(failure(() => writeUbootEnvFromConfig(configPath, { a: '2' }, { noFollow: true })).message).toMatch(/linked\.env: refusing to write the env: it is a symbolic link$/);
    expect(failure(() => updateUbootEnv(configPath, (v) => v.set('a', '2'), { noFollow: true })).message).toMatch(/linked\.env: refusing to read the env: it is a symbolic link$/);
    expect(fs.readFileSync(outside).equals(before)).toBe(true);
    fs.symlinkSync(configPath, path.join(dir, 'linked.config'));
    expect(failure(() => readUbootEnvFromConfig(path.join(dir, 'linked.config'), { noFollow: true })).message).toMatch(/linked\.config: refusing to read fw_env\.config: it is a symbolic link$/);
  });

  it('reports a corrupt env with the file it came from', () => {
    const envFile = path.join(dir, 'uboot.env');
    fs.writeFileSync(envFile, Buffer.alloc(ENV_SIZE, 0xff));
    const e = failure(() => readUbootEnvFromConfig(writeConfig('uboot.env 0 0x20000\n')));
    expect(e.code).toBe('VFLEET_ENV_INVALID');
    const computed = hex32(crc32(Buffer.alloc(ENV_SIZE - 4, 0xff)));
    expect(e.message).toBe(`${envFile}: CRC mismatch: stored 0xffffffff, computed ${computed} over bytes 4..131071`);
  });
});

describe('redundant env through fw_env.config', () => {
  it('starts a blank pair at copy 0 with flag 1, then alternates copies with flag + 1', () => {
    const { image, configPath } = pairImage();
    expect(writeUbootEnvFromConfig(configPath, { gen: '1' })).toMatchObject({ copyIndex: 0, flag: 1 });
    expect(readUbootEnvFromConfig(configPath)).toMatchObject({ copyIndex: 0, flag: 1, vars: new Map([['gen', '1']]) });
    expect(writeUbootEnvFromConfig(configPath, { gen: '2' })).toMatchObject({ copyIndex: 1, flag: 2 });
    expect(readUbootEnvFromConfig(configPath)).toMatchObject({ copyIndex: 1, flag: 2, vars: new Map([['gen', '2']]) });
    expect(decodeUbootEnv(rangeOf(image, 0x100000, ENV_SIZE), { redundant: true }).vars.get('gen')).toBe('1');
    expect(fs.statSync(image).size).toBe(4 << 20);
    expect(rangeOf(image, 0x100000 - 1, 1).toString()).toBe('<');
    expect(rangeOf(image, 0x140000, 1).toString()).toBe('>');
  });

  it('wraps the flag from 255 to 0 and still reads the newest copy', () => {
    const { image, configPath } = pairImage();
    const fd = fs.openSync(image, 'r+');
    fs.writeSync(fd, encodeUbootEnv({ gen: 'old' }, { size: ENV_SIZE, redundant: true, flag: 254 }), 0, ENV_SIZE, 0x100000);
    fs.writeSync(fd, encodeUbootEnv({ gen: 'cur' }, { size: ENV_SIZE, redundant: true, flag: 255 }), 0, ENV_SIZE, 0x120000);
    fs.closeSync(fd);
    const result = updateUbootEnv(configPath, (vars) => vars.set('gen', 'wrapped'));
    expect(result).toMatchObject({ copyIndex: 0, flag: 0 });
    expect(readUbootEnvFromConfig(configPath)).toMatchObject({ copyIndex: 0, flag: 0, vars: new Map([['gen', 'wrapped']]) });
  });

  it('reads the valid copy when the other is corrupt, and overwrites the corrupt one next', () => {
    const { image, configPath } = pairImage();
    writeUbootEnvFromConfig(configPath, { gen: '1' });
    writeUbootEnvFromConfig(configPath, { gen: '2' });
    const fd = fs.openSync(image, 'r+');
    fs.writeSync(fd, Buffer.from('X'), 0, 1, 0x120000 + 10);
    fs.closeSync(fd);
    expect(readUbootEnvFromConfig(configPath)).toMatchObject({ copyIndex: 0, flag: 1, vars: new Map([['gen', '1']]) });
    expect(writeUbootEnvFromConfig(configPath, { gen: '3' })).toMatchObject({ copyIndex: 1, flag: 2 });
  });

  it('fails to read a pair with no valid copy, naming both', () => {
    const { configPath } = pairImage();
    const e = failure(() => readUbootEnvFromConfig(configPath));
    expect(e.code).toBe('VFLEET_ENV_INVALID');
    expect(e.message).toMatch(
      /fw_env\.config: neither redundant copy is valid \(.*disk\.img \(offset 0x100000\): CRC mismatch: .*; .*disk\.img \(offset 0x120000\): CRC mismatch: /,
    );
    expect(failure(() => updateUbootEnv(configPath, () => undefined)).code).toBe('VFLEET_ENV_INVALID');
  });

  it('treats a copy past the end of its file as invalid and uses the other', () => {
    const first = path.join(dir, 'env0');
    fs.writeFileSync(first, encodeUbootEnv({ only: 'copy0' }, { size: 0x1000, redundant: true, flag: 9 }));
    fs.writeFileSync(path.join(dir, 'env1'), Buffer.alloc(10));
    const configPath = writeConfig('env0 0 0x1000\nenv1 0 0x1000\n');
    expect(readUbootEnvFromConfig(configPath)).toMatchObject({ copyIndex: 0, flag: 9, vars: new Map([['only', 'copy0']]) });
  });
});

describe('updateUbootEnvAsync (the write and its fdatasync in the thread pool)', () => {
  it('writes what updateUbootEnv writes: the same bytes, copy and flag, in a redundant pair', async () => {
    const { image, configPath } = pairImage();
    writeUbootEnvFromConfig(configPath, { gen: '1', foreign: 'keep' });
    const twin = path.join(dir, 'twin');
    fs.mkdirSync(twin);
    fs.copyFileSync(image, path.join(twin, 'disk.img'));
    fs.copyFileSync(configPath, path.join(twin, 'fw_env.config'));
    const mutate = (vars: Map<string, string>) => vars.set('gen', '2');
    const got = await updateUbootEnvAsync(configPath, mutate);
    const want = updateUbootEnv(path.join(twin, 'fw_env.config'), mutate);
    expect(got).toMatchObject({ copyIndex: 1, flag: 2 });
    expect(got.vars).toEqual(want.vars);
    expect(fs.readFileSync(image).equals(fs.readFileSync(path.join(twin, 'disk.img')))).toBe(true);
  });

  it('makes the write durable through the flush given, on the descriptor it wrote, and fails naming the file when that flush fails', async () => {
    const { configPath } = pairImage();
    writeUbootEnvFromConfig(configPath, { gen: '1' });
    const seen: number[] = [];
    const got = await updateUbootEnvAsync(configPath, (v) => v.set('gen', '2'), { flush: async (fd) => void seen.push(fd) });
    expect(seen).toHaveLength(1);
    expect(Number.isInteger(seen[0])).toBe(true);
    expect(got.vars.get('gen')).toBe('2');
    expect(readUbootEnvFromConfig(configPath).vars.get('gen')).toBe('2');
    const failing = async (): Promise<void> => {
      throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    };
    await expect(updateUbootEnvAsync(configPath, (v) => v.set('gen', '3'), { flush: failing })).rejects.toThrow(/disk\.img.*EIO/);
  });

  it('refuses what the sync writer refuses, with the same errors, and leaves the file untouched', async () => {
    const asyncFailure = async (p: Promise<unknown>): Promise<VfleetError> => {
      try {
        await p;
      } catch (e) {
        expect(e).toBeInstanceOf(VfleetError);
        return e as VfleetError;
      }
      return expect.unreachable('expected a VfleetError');
    };
    // a regular file is needed to read first; then the copy to write is swapped for something else
    const envFile = path.join(dir, 'uboot.env');
    fs.writeFileSync(envFile, encodeUbootEnv({ k: 'v' }, { size: 0x100 }));
    const devNull = writeConfig(`${envFile} 0 0x100\n`);
    const e = await asyncFailure(updateUbootEnvAsync(devNull, () => {
      fs.rmSync(envFile);
      fs.symlinkSync('/dev/null', envFile);
    }));
    expect(e.message).toBe(`${envFile}: refusing to write the env: not a regular file`);
    const short = path.join(dir, 'short.env');
    fs.writeFileSync(short, encodeUbootEnv({ k: 'v' }, { size: 0x100 }));
    const shortConfig = writeConfig('short.env 0 0x100\n');
    const grow = await asyncFailure(updateUbootEnvAsync(shortConfig, () => fs.truncateSync(short, 100)));
    expect(grow.message).toMatch(/short\.env: refusing to write env range 0x0\.\.0x100: the file is only 100 bytes and would grow$/);
    expect(fs.statSync(short).size).toBe(100);
    fs.writeFileSync(short, encodeUbootEnv({ k: 'v' }, { size: 0x100 }));
    const missing = await asyncFailure(updateUbootEnvAsync(shortConfig, () => fs.rmSync(short)));
    expect(missing.message).toMatch(/short\.env: cannot open for writing: ENOENT/);
  });
});
