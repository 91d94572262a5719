import { VfleetError } from '../errors.js';
import { crc32, hex32 } from './crc32.js';
import { envKind, FLAG_OFFSET, headerSize, minimumSize } from './layout.js';

export interface DecodeOptions {
  redundant?: boolean;
  /** Names the block in error messages (a file path, "copy 1 of …"); default "uboot.env". */
  source?: string;
}

export interface DecodedEnv {
  /** Variables in stored order; a repeated name keeps its last value. */
  vars: Map<string, string>;
  /** Flag (generation) byte; present only for a redundant copy. */
  flag?: number;
}

const NUL = 0x00;
const EQUALS = 0x3d;

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Checks the CRC of a U-Boot env block and returns its variables. */
export function decodeUbootEnv(bytes: Uint8Array, opts: DecodeOptions = {}): DecodedEnv {
  const redundant = opts.redundant ?? false;
  const source = opts.source ?? 'uboot.env';
  const fail = (message: string): VfleetError => new VfleetError('VFLEET_ENV_INVALID', `${source}: ${message}`);
  const block = toBuffer(bytes);
  const header = headerSize(redundant);
  if (block.length < minimumSize(redundant)) {
    throw fail(`truncated: ${block.length} bytes, a ${envKind(redundant)} env block needs at least ${minimumSize(redundant)}`);
  }
  const stored = block.readUInt32LE(0);
  const computed = crc32(block.subarray(header));
  if (stored !== computed) {
    throw fail(`CRC mismatch: stored ${hex32(stored)}, computed ${hex32(computed)} over bytes ${header}..${block.length - 1}`);
  }
  const vars = new Map<string, string>();
  let pos = header;
  while (block[pos] !== NUL) {
    const end = block.indexOf(NUL, pos);
    if (end < 0) throw fail(`missing terminator: entry at byte offset ${pos} runs to the end of the block without a NUL`);
    const eq = block.indexOf(EQUALS, pos);
    if (eq < 0 || eq >= end) throw fail(`entry without "=" at byte offset ${pos}: ${JSON.stringify(block.toString('utf8', pos, Math.min(end, pos + 64)))}`);
    if (eq === pos) throw fail(`entry with an empty name at byte offset ${pos}`);
    vars.set(block.toString('utf8', pos, eq), block.toString('utf8', eq + 1, end));
    pos = end + 1;
    if (pos === block.length) throw fail(`missing terminator: no empty entry ("\\0") after the last entry, which ends at byte offset ${end}`);
  }
  return redundant ? { vars, flag: block[FLAG_OFFSET] as number } : { vars };
}
