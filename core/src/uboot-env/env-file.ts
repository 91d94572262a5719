import fs from 'node:fs';
import path from 'node:path';
import { isVfleetError, VfleetError } from '../errors.js';
import { decodeUbootEnv } from './decode.js';
import { encodeUbootEnv, type PadByte } from './encode.js';
import { type FwEnvConfig, type FwEnvCopy, parseFwEnvConfig } from './fw-env-config.js';
import { type EnvVars, envEntries } from './layout.js';
import { openForReading, readRange, writeRange, writeRangeAsync, type AllowDevice, type RangeOptions } from './file-range.js';
import { chooseCopy, type CopyIndex, type CopyResult, nextWrite, tryDecodeCopy } from './redundant.js';

export interface EnvFileOptions extends RangeOptions {
  /** Maps a path from the config (e.g. the device path /etc/peridiod/uboot.env) to a host path. */
  resolvePath?: (configuredPath: string) => string;
}

/** Longest fw_env.config read: a few lines in practice. */
const MAX_CONFIG_BYTES = 64 * 1024;

export interface WriteEnvOptions extends EnvFileOptions {
  /** Padding after the terminator; default 0xff, as peridiod's library writes. */
  pad?: PadByte;
  /** Only regular files are written, unless this vouches for a device (a vfleet-made loop device). */
  allowDevice?: AllowDevice;
}

export interface EnvFromConfig {
  vars: Map<string, string>;
  /** The copy read (or written): always 0 for a non-redundant env. */
  copyIndex: CopyIndex;
  /** Flag byte of that copy; present only for a redundant env. */
  flag?: number;
  config: FwEnvConfig;
}

interface Located {
  config: FwEnvConfig;
  files: string[];
  range: RangeOptions;
}

function readConfig(configPath: string, opts: RangeOptions): string {
  const fd = openForReading(configPath, 'fw_env.config', opts);
  try {
    const size = fs.fstatSync(fd).size;
    if (size > MAX_CONFIG_BYTES) throw new VfleetError('VFLEET_CONFIG_INVALID', `${configPath}: fw_env.config is ${size} bytes, more than the ${MAX_CONFIG_BYTES} read`);
    const bytes = Buffer.alloc(size);
    let done = 0;
    while (done < size) {
      const n = fs.readSync(fd, bytes, done, size - done, done);
      if (n === 0) break;
      done += n;
    }
    return bytes.subarray(0, done).toString('utf8');
  } catch (e) {
    if (isVfleetError(e)) throw e;
    throw new VfleetError('VFLEET_IO', `${configPath}: cannot read fw_env.config: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  } finally {
    fs.closeSync(fd);
  }
}

function locate(configPath: string, opts: EnvFileOptions): Located {
  const range: RangeOptions = opts.noFollow === true ? { noFollow: true } : {};
  const config = parseFwEnvConfig(readConfig(configPath, range), configPath);
  const resolve = opts.resolvePath ?? ((p: string) => p);
  const files = config.copies.map((c) => path.resolve(path.dirname(configPath), resolve(c.path)));
  return { config, files, range };
}

function copySource(file: string, copy: FwEnvCopy): string {
  return copy.offset === 0 ? file : `${file} (offset 0x${copy.offset.toString(16)})`;
}

function readCopy(file: string, copy: FwEnvCopy, range: RangeOptions): CopyResult {
  try {
    return tryDecodeCopy(readRange(file, copy.offset, copy.size, range), copySource(file, copy));
  } catch (e) {
    if (isVfleetError(e) && e.code === 'VFLEET_ENV_INVALID') return e;
    throw e;
  }
}

function readLocated(configPath: string, { config, files, range }: Located): EnvFromConfig {
  const [first, second] = config.copies as [FwEnvCopy, FwEnvCopy?];
  const [file0, file1] = files as [string, string?];
  if (second === undefined || file1 === undefined) {
    const { vars } = decodeUbootEnv(readRange(file0, first.offset, first.size, range), { source: copySource(file0, first) });
    return { vars, copyIndex: 0, config };
  }
  const { index, vars, flag } = chooseCopy([readCopy(file0, first, range), readCopy(file1, second, range)], configPath);
  return { vars, copyIndex: index, flag, config };
}

/** Reads the env that fw_env.config describes; for a redundant pair, the valid copy with the newer flag. */
export function readUbootEnvFromConfig(configPath: string, opts: EnvFileOptions = {}): EnvFromConfig {
  return readLocated(configPath, locate(configPath, opts));
}

function writeTarget(configPath: string, located: Located): { index: CopyIndex; flag?: number } {
  if (located.config.copies.length === 1) return { index: 0 };
  try {
    const current = readLocated(configPath, located);
    return nextWrite({ index: current.copyIndex, flag: current.flag ?? 0 });
  } catch (e) {
    // Neither copy valid: start the pair afresh, as mkenvimage -r would.
    if (isVfleetError(e) && e.code === 'VFLEET_ENV_INVALID') return { index: 0, flag: 1 };
    throw e;
  }
}

/** The file, offset and bytes of the copy `target` names, holding `vars`. */
function encodeCopy(located: Located, target: { index: CopyIndex; flag?: number }, vars: EnvVars, pad: PadByte): { file: string; offset: number; block: Buffer } {
  const copy = located.config.copies[target.index] as FwEnvCopy;
  const block = encodeUbootEnv(vars, {
    size: copy.size,
    pad,
    ...(target.flag === undefined ? {} : { redundant: true, flag: target.flag }),
  });
  return { file: located.files[target.index] as string, offset: copy.offset, block };
}

function writeCopy(located: Located, target: { index: CopyIndex; flag?: number }, vars: EnvVars, pad: PadByte, allowDevice?: AllowDevice): void {
  const { file, offset, block } = encodeCopy(located, target, vars, pad);
  writeRange(file, offset, block, allowDevice, located.range);
}

function written(located: Located, target: { index: CopyIndex; flag?: number }, vars: EnvVars): EnvFromConfig {
  const result: EnvFromConfig = { vars: new Map(envEntries(vars)), copyIndex: target.index, config: located.config };
  if (target.flag !== undefined) result.flag = target.flag;
  return result;
}

/**
 * Writes `vars` as the whole env in place: the single copy, or for a redundant pair the older
 * (or invalid) copy with the newer flag + 1. Only regular files are written, only inside the range.
 */
export function writeUbootEnvFromConfig(configPath: string, vars: EnvVars, opts: WriteEnvOptions = {}): EnvFromConfig {
  const located = locate(configPath, opts);
  const target = writeTarget(configPath, located);
  writeCopy(located, target, vars, opts.pad ?? 0xff, opts.allowDevice);
  return written(located, target, vars);
}

/** Read-modify-write: foreign variables survive; fails if the current env cannot be read. */
export function updateUbootEnv(
  configPath: string,
  mutate: (vars: Map<string, string>) => void,
  opts: WriteEnvOptions = {},
): EnvFromConfig {
  const { located, target, vars } = planUpdate(configPath, mutate, opts);
  writeCopy(located, target, vars, opts.pad ?? 0xff, opts.allowDevice);
  return written(located, target, vars);
}

/** Read, mutate, and choose the copy to write: what both update flavours share. */
function planUpdate(configPath: string, mutate: (vars: Map<string, string>) => void, opts: WriteEnvOptions) {
  const located = locate(configPath, opts);
  const current = readLocated(configPath, located);
  mutate(current.vars);
  const target: { index: CopyIndex; flag?: number } = current.flag === undefined ? { index: 0 } : nextWrite({ index: current.copyIndex, flag: current.flag });
  return { located, target, vars: current.vars };
}

/**
 * `updateUbootEnv` whose write and fdatasync run in the thread pool (the env is read synchronously:
 * a few KiB from the page cache). Callers serialise their updates to one env themselves.
 */
export async function updateUbootEnvAsync(
  configPath: string,
  mutate: (vars: Map<string, string>) => void,
  opts: WriteEnvOptions = {},
): Promise<EnvFromConfig> {
  const { located, target, vars } = planUpdate(configPath, mutate, opts);
  const { file, offset, block } = encodeCopy(located, target, vars, opts.pad ?? 0xff);
  await writeRangeAsync(file, offset, block, opts.allowDevice, opts.flush === undefined ? located.range : { ...located.range, flush: opts.flush });
  return written(located, target, vars);
}
