import { randomUUID } from 'node:crypto';
import { VfleetError } from '../errors.js';

/** Produces a fresh random GUID as a canonical string; injectable so tests can be deterministic. */
export type GuidSource = () => string;

export const defaultGuidSource: GuidSource = () => randomUUID();

/** GPT partition type "Linux filesystem data". */
export const LINUX_FILESYSTEM_GUID = '0fc63daf-8483-4772-8e79-3d69d8477de4';

export const ZERO_GUID = '00000000-0000-0000-0000-000000000000';

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Returns the GUID in lowercase canonical form, or throws naming `where` and the accepted form. */
export function normalizeGuid(text: string, where: string): string {
  if (!CANONICAL.test(text)) {
    throw new VfleetError(
      'VFLEET_DISK_INVALID',
      `${where}: ${JSON.stringify(text)} is not a GUID; expected the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (hex digits)`,
    );
  }
  return text.toLowerCase();
}

// UEFI stores the first three fields little-endian and the last two as plain bytes.
export function writeGuid(text: string, target: Buffer, offset: number): void {
  const hex = text.replaceAll('-', '');
  const bytes = Buffer.from(hex, 'hex');
  target.writeUInt32LE(bytes.readUInt32BE(0), offset);
  target.writeUInt16LE(bytes.readUInt16BE(4), offset + 4);
  target.writeUInt16LE(bytes.readUInt16BE(6), offset + 6);
  bytes.copy(target, offset + 8, 8, 16);
}

export function readGuid(source: Buffer, offset: number): string {
  const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');
  const tail = source.subarray(offset + 8, offset + 16).toString('hex');
  return [
    hex(source.readUInt32LE(offset), 8),
    hex(source.readUInt16LE(offset + 4), 4),
    hex(source.readUInt16LE(offset + 6), 4),
    tail.slice(0, 4),
    tail.slice(4),
  ].join('-');
}
