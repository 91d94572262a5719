import { VfleetError } from '../errors.js';
import { crc32, crc32Combine } from './crc32.js';
import { padCrc } from './pad-crc.js';
import { type EnvVars, envEntries, envKind, FLAG_OFFSET, headerSize, minimumSize } from './layout.js';

export type PadByte = 0x00 | 0xff;

export interface EncodeOptions {
  /** Whole block size in bytes, header included (the size column of fw_env.config). */
  size: number;
  /** Adds the flag byte at offset 4, as for one of two copies. */
  redundant?: boolean;
  /** Flag (generation) byte of a redundant copy, 0..255; default 1 as mkenvimage -r writes. */
  flag?: number;
  /** Byte after the terminator; default 0xff as mkenvimage and peridiod's library write. */
  pad?: PadByte;
}

function invalid(message: string): VfleetError {
  return new VfleetError('VFLEET_ENV_INVALID', `U-Boot env: ${message}`);
}

function checkOptions(opts: EncodeOptions, redundant: boolean): void {
  const min = minimumSize(redundant);
  if (!Number.isSafeInteger(opts.size) || opts.size < min) {
    throw invalid(
      `size ${String(opts.size)} is too small: a ${envKind(redundant)} env needs an integer size of at least ${min} bytes`,
    );
  }
  if (opts.flag !== undefined) {
    if (!redundant) throw invalid(`flag ${opts.flag} given for a non-redundant env; only redundant copies have a flag byte`);
    if (!Number.isInteger(opts.flag) || opts.flag < 0 || opts.flag > 0xff) {
      throw invalid(`flag ${opts.flag} is out of range; expected an integer 0..255`);
    }
  }
  if (opts.pad !== undefined && opts.pad !== 0x00 && opts.pad !== 0xff) {
    throw invalid(`pad byte ${String(opts.pad)} is not supported; expected 0x00 or 0xff`);
  }
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function entryText(key: string, value: string): string {
  if (key.length === 0) throw invalid(`empty variable name (value ${JSON.stringify(value)}); names must be non-empty`);
  if (key.includes('=')) throw invalid(`variable ${JSON.stringify(key)}: name contains "=", which ends a name`);
  if (key.includes('\0')) throw invalid(`variable ${JSON.stringify(key)}: name contains NUL, which ends an entry`);
  if (value.includes('\0')) throw invalid(`variable ${JSON.stringify(key)}: value contains NUL, which ends an entry`);
  return `${key}=${value}\0`;
}

/**
 * Encodes variables (in iteration order) as a U-Boot env block of exactly `opts.size` bytes:
 * CRC-32 LE, [flag], `key=value\0`…, `\0`, padding. Strings are stored as UTF-8.
 */
export function encodeUbootEnv(vars: EnvVars, opts: EncodeOptions): Buffer {
  const redundant = opts.redundant ?? false;
  checkOptions(opts, redundant);
  const header = headerSize(redundant);
  let text = '';
  for (const [key, value] of envEntries(vars)) text += entryText(key, value);
  text += '\0';
  const need = header + Buffer.byteLength(text, 'utf8');
  if (need > opts.size) {
    throw invalid(
      `variables need ${need} bytes (${header}-byte header, entries, terminator) but the env size is ${opts.size} (0x${opts.size.toString(16)}): ${plural(need - opts.size, 'byte')} too many`,
    );
  }
  const pad = opts.pad ?? 0xff;
  const block = Buffer.allocUnsafe(opts.size);
  block.write(text, header, 'utf8');
  block.fill(pad, need);
  if (redundant) block[FLAG_OFFSET] = opts.flag ?? 1;
  // Equals crc32(block.subarray(header)), without re-hashing the padding each time.
  const padLength = opts.size - need;
  const dataCrc = crc32(block.subarray(header, need));
  block.writeUInt32LE(padLength === 0 ? dataCrc : crc32Combine(dataCrc, padCrc(pad, padLength), padLength), 0);
  return block;
}
