import { randomUUID } from 'node:crypto';
import { VfleetError } from '../errors.js';

/** Resource types vfleet names in PRNs (`prn:1:<org>:<type>:<uuid>`). */
export const PRN_TYPES = [
  'release',
  'bundle',
  'binary',
  'bundle_override',
  'tunnel',
  'signing_key',
  'device',
  'device_certificate',
  'cohort',
  'artifact',
  'artifact_version',
  'product',
  'ca_certificate',
] as const;

export type PrnType = (typeof PRN_TYPES)[number];

export interface Prn {
  org: string;
  /** A known PrnType, or any other lowercase type name the server uses. */
  type: string;
  uuid: string;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const TYPE_RE = /^[a-z][a-z0-9_]*$/;

export function isUuid(text: string): boolean {
  return UUID_RE.test(text);
}

export function isPrnType(type: string): type is PrnType {
  return (PRN_TYPES as readonly string[]).includes(type);
}

function invalid(text: string, where: string, why: string): VfleetError {
  return new VfleetError(
    'VFLEET_PRN_INVALID',
    `${where}: invalid PRN ${JSON.stringify(text)}: ${why} (expected prn:1:<org uuid>:<type>:<uuid>)`,
  );
}

/**
 * Parses exactly five fields; use `truncatePrn` first for PRNs that may carry extra fields.
 * With `expectedType` the type field must match it.
 */
export function parsePrn(text: string, where = 'PRN', expectedType?: PrnType): Prn {
  const fields = text.split(':');
  if (fields.length !== 5) {
    const hint = fields.length > 5 ? '; truncatePrn() cuts it to five as peridiod does' : '';
    throw invalid(text, where, `has ${fields.length} ':'-separated fields, not 5${hint}`);
  }
  const [scheme, version, org, type, uuid] = fields as [string, string, string, string, string];
  if (scheme !== 'prn') throw invalid(text, where, `field 1 is ${JSON.stringify(scheme)}, not "prn"`);
  if (version !== '1') throw invalid(text, where, `field 2 is ${JSON.stringify(version)}, not "1"`);
  if (!isUuid(org)) throw invalid(text, where, `organization ${JSON.stringify(org)} is not a UUID`);
  if (!TYPE_RE.test(type)) {
    throw invalid(text, where, `type ${JSON.stringify(type)} is not a lowercase name such as ${PRN_TYPES.slice(0, 4).join(', ')}`);
  }
  if (expectedType !== undefined && type !== expectedType) {
    throw invalid(text, where, `type is ${JSON.stringify(type)}, expected ${JSON.stringify(expectedType)}`);
  }
  if (!isUuid(uuid)) throw invalid(text, where, `resource id ${JSON.stringify(uuid)} is not a UUID`);
  return { org, type, uuid };
}

export function formatPrn(prn: Prn): string {
  return `prn:1:${prn.org}:${prn.type}:${prn.uuid}`;
}

/** The resource UUID (5th field), as peridiod takes it; extra trailing fields are ignored. */
export function prnUuid(text: string, where = 'PRN'): string {
  return parsePrn(truncatePrn(text), where).uuid;
}

/** Keeps the first five `:` fields, as peridiod does with binary PRNs read from its cache. */
export function truncatePrn(text: string): string {
  return text.split(':').slice(0, 5).join(':');
}

/** Builds a PRN; a random v4 UUID is used when `uuid` is omitted. */
export function makePrn(org: string, type: PrnType, uuid: string = randomUUID()): string {
  const text = `prn:1:${org}:${type}:${uuid}`;
  parsePrn(text, 'makePrn');
  return text;
}
