/**
 * vfleet OS image boot header, format version 1 (see FORMAT.md beside this file).
 *
 * Every vfleet OS image starts with this 4096-byte block, so "booting" a slot is a read of its
 * first 4 KiB. All offsets are from the start of the image (= the start of the slot).
 *
 *   offset  size  field
 *   0       8     magic, ASCII "VFLEETOS"
 *   8       2     format version, u16 big-endian, = 1
 *   10      2     header length H, u16 big-endian: bytes 0..H-1 hold magic..CRC, so H = 16 + J
 *   12      J     metadata, a UTF-8 JSON object, J <= 3800:
 *                 {"name","version","health":"ok"|"crash"|"no-network",
 *                  "platform"?,"architecture"?,"uuid"?,"created"?} (non-empty strings, no control
 *                 characters; unknown keys are ignored by readers)
 *   12+J    4     CRC-32 (zlib/IEEE polynomial) of bytes 0..11+J, little-endian
 *   H       4096-H  zeros
 *
 * A slot whose first 4096 bytes are all zero is empty. vfleet writes the JSON keys in the order
 * above without whitespace, so equal metadata gives equal bytes.
 */
import { VfleetError } from '../errors.js';
import { crc32, hex32 } from '../uboot-env/crc32.js';
import { checkBootMeta, OPTIONAL_FIELDS, type BootHeaderMeta } from './boot-meta.js';

export const BOOT_HEADER_SIZE = 4096;
export const BOOT_HEADER_MAGIC = 'VFLEETOS';
export const BOOT_HEADER_VERSION = 1;
export const MAX_META_JSON = 3800;
const MAGIC = Buffer.from(BOOT_HEADER_MAGIC, 'ascii');
const VERSION_OFFSET = 8;
const LENGTH_OFFSET = 10;
const JSON_OFFSET = 12;
const CRC_SIZE = 4;
const MIN_LENGTH = JSON_OFFSET + 2 + CRC_SIZE;
const MAX_LENGTH = JSON_OFFSET + MAX_META_JSON + CRC_SIZE;
const ZEROS = Buffer.alloc(BOOT_HEADER_SIZE);

/** The 4096-byte boot header for `meta`; VFLEET_USAGE when the metadata is not acceptable. */
export function encodeBootHeader(meta: BootHeaderMeta): Buffer {
  const checked = checkBootMeta(meta, 'VFLEET_USAGE', 'boot header metadata');
  const ordered: Record<string, string> = { name: checked.name, version: checked.version, health: checked.health };
  for (const field of OPTIONAL_FIELDS) {
    const value = checked[field];
    if (value !== undefined) ordered[field] = value;
  }
  const json = Buffer.from(JSON.stringify(ordered), 'utf8');
  if (json.length > MAX_META_JSON) {
    throw new VfleetError('VFLEET_USAGE', `boot header metadata: its JSON is ${json.length} bytes; at most ${MAX_META_JSON} are accepted`);
  }
  const header = Buffer.alloc(BOOT_HEADER_SIZE);
  MAGIC.copy(header, 0);
  header.writeUInt16BE(BOOT_HEADER_VERSION, VERSION_OFFSET);
  const length = JSON_OFFSET + json.length + CRC_SIZE;
  header.writeUInt16BE(length, LENGTH_OFFSET);
  json.copy(header, JSON_OFFSET);
  header.writeUInt32LE(crc32(header.subarray(0, length - CRC_SIZE)), length - CRC_SIZE);
  return header;
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Byte offset of a JSON.parse failure, from the character position V8 puts in its message. */
function jsonErrorOffset(text: string, error: unknown): number {
  const position = /at position (\d+)/.exec(error instanceof Error ? error.message : '')?.[1];
  return JSON_OFFSET + (position === undefined ? 0 : Buffer.byteLength(text.slice(0, Number(position)), 'utf8'));
}

/**
 * Reads the boot header at the start of `bytes` (at least 4096 bytes of a slot or image).
 * Returns null for an empty (all-zero) header; anything else that is not a valid version-1
 * header is a VFLEET_DISK_INVALID error naming `source` and the byte offset.
 */
export function decodeBootHeader(bytes: Uint8Array, source: string): BootHeaderMeta | null {
  const fail = (detail: string, cause?: unknown): VfleetError =>
    new VfleetError('VFLEET_DISK_INVALID', `${source}: boot header: ${detail}`, cause === undefined ? undefined : { cause });
  const all = toBuffer(bytes);
  if (all.length < BOOT_HEADER_SIZE) throw fail(`truncated: ${all.length} bytes, a boot header needs ${BOOT_HEADER_SIZE}`);
  const header = all.subarray(0, BOOT_HEADER_SIZE);
  if (header.equals(ZEROS)) return null;
  if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw fail(`bad magic at byte offset 0: found ${header.subarray(0, MAGIC.length).toString('hex')}, expected "${BOOT_HEADER_MAGIC}" (${MAGIC.toString('hex')}); not a vfleet OS image`);
  }
  const version = header.readUInt16BE(VERSION_OFFSET);
  if (version !== BOOT_HEADER_VERSION) {
    throw fail(`format version ${version} at byte offset ${VERSION_OFFSET} is not supported; expected ${BOOT_HEADER_VERSION}`);
  }
  const length = header.readUInt16BE(LENGTH_OFFSET);
  if (length < MIN_LENGTH || length > MAX_LENGTH) {
    throw fail(`header length ${length} at byte offset ${LENGTH_OFFSET} is out of range; expected ${MIN_LENGTH}..${MAX_LENGTH}`);
  }
  const crcOffset = length - CRC_SIZE;
  const stored = header.readUInt32LE(crcOffset);
  const computed = crc32(header.subarray(0, crcOffset));
  if (stored !== computed) {
    throw fail(`CRC mismatch at byte offset ${crcOffset}: stored ${hex32(stored)}, computed ${hex32(computed)} over bytes 0..${crcOffset - 1}`);
  }
  const stray = header.subarray(length).findIndex((b) => b !== 0);
  if (stray >= 0) {
    const at = length + stray;
    throw fail(`non-zero byte 0x${header[at]?.toString(16).padStart(2, '0')} at byte offset ${at} in the padding; bytes ${length}..${BOOT_HEADER_SIZE - 1} must be zero`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(header.subarray(JSON_OFFSET, crcOffset));
  } catch (e) {
    throw fail(`metadata at byte offset ${JSON_OFFSET} (${crcOffset - JSON_OFFSET} bytes) is not valid UTF-8`, e);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw fail(`metadata JSON is not valid at byte offset ${jsonErrorOffset(text, e)}: ${(e as Error).message}`, e);
  }
  return checkBootMeta(value, 'VFLEET_DISK_INVALID', `${source}: boot header: metadata at byte offset ${JSON_OFFSET}`);
}
