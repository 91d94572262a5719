import { createHash } from 'node:crypto';
import { VfleetError } from '../errors.js';
import { isUuid, parsePrn, truncatePrn } from '../prn/index.js';
import { canonicalJson } from './canonical-json.js';

/** One `peridio_bin_*` record: the binary UUID as 32 hex chars + SHA-256 of its custom_metadata. */
export interface BinRecord {
  id: string;
  metaHash: string;
}

const RECORD_CHARS = 96;
const ID_CHARS = 32;
const HEX64 = /^[0-9a-f]{64}$/;

function invalid(where: string, why: string): VfleetError {
  return new VfleetError('VFLEET_STATE_INVALID', `${where}: ${why}`);
}

/** SHA-256 hex of the canonical JSON of a binary's custom_metadata (protocol §3.6). */
export function customMetadataHash(meta: unknown, where = 'custom_metadata'): string {
  return createHash('sha256').update(canonicalJson(meta, where), 'utf8').digest('hex');
}

/** The 32-hex record id of a binary, from `prn:1:<org>:binary:<uuid>` or a bare UUID. */
export function binaryId(binaryPrnOrUuid: string, where = 'binary'): string {
  const uuid = isUuid(binaryPrnOrUuid)
    ? binaryPrnOrUuid
    : parsePrn(truncatePrn(binaryPrnOrUuid), where, 'binary').uuid;
  return uuid.replaceAll('-', '').toLowerCase();
}

/** The 96-char record peridiod stores for an installed binary. */
export function binRecord(binaryPrnOrUuid: string, meta: unknown): string {
  return binaryId(binaryPrnOrUuid) + customMetadataHash(meta);
}

/** Splits a `peridio_bin_*` value into records; `where` names the KV variable in errors. */
export function parseBinRecords(str: string, where = 'peridio_bin_current'): BinRecord[] {
  if (str.length % RECORD_CHARS !== 0) {
    const at = str.length - (str.length % RECORD_CHARS);
    throw invalid(where, `length ${str.length} is not a multiple of ${RECORD_CHARS}: ` +
      `${str.length - at} stray characters at offset ${at} (expected 96-char records of lowercase hex)`);
  }
  const bad = /[^0-9a-f]/.exec(str);
  if (bad) {
    throw invalid(where, `character ${JSON.stringify(bad[0])} at offset ${bad.index} ` +
      `(record ${Math.floor(bad.index / RECORD_CHARS)}) is not lowercase hex`);
  }
  const records: BinRecord[] = [];
  for (let at = 0; at < str.length; at += RECORD_CHARS) {
    records.push({ id: str.slice(at, at + ID_CHARS), metaHash: str.slice(at + ID_CHARS, at + RECORD_CHARS) });
  }
  return records;
}

function toRecord(record: BinRecord | string, where: string): BinRecord {
  const [parsed, ...rest] = parseBinRecords(typeof record === 'string' ? record : record.id + record.metaHash, where);
  if (parsed === undefined || rest.length > 0) throw invalid(where, 'expected exactly one 96-char record');
  return parsed;
}

/** Concatenates records in the given order. */
export function encodeBinRecords(records: readonly BinRecord[]): string {
  return records.map((r) => {
    const { id, metaHash } = toRecord(r, 'encodeBinRecords');
    return id + metaHash;
  }).join('');
}

/**
 * Adds a record, replacing any with the same id. Like peridiod (which round-trips through an
 * Erlang map, ordered by key for up to 32 entries) the result is sorted by id, duplicates dropped.
 */
export function addBinRecord(str: string, record: BinRecord | string, where = 'peridio_bin_progress'): string {
  const byId = new Map<string, string>();
  for (const r of parseBinRecords(str, where)) byId.set(r.id, r.metaHash);
  const added = toRecord(record, `${where} (added record)`);
  byId.set(added.id, added.metaHash);
  return [...byId.keys()].sort().map((id) => id + byId.get(id)).join('');
}

/** True when `str` holds a record for this binary with this custom_metadata hash (protocol §5.1 step 4). */
export function hasBinRecord(str: string, binaryPrnOrUuid: string, metaHash: string, where = 'peridio_bin_current'): boolean {
  const id = binaryId(binaryPrnOrUuid);
  const hash = metaHash.toLowerCase();
  if (!HEX64.test(hash)) throw invalid(where, `custom_metadata hash ${JSON.stringify(metaHash)} is not 64 hex chars`);
  return parseBinRecords(str, where).some((r) => r.id === id && r.metaHash === hash);
}
