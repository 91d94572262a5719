import { VfleetError, type VfleetErrorCode } from '../errors.js';

export type BootHealth = 'ok' | 'crash' | 'no-network';

/** What an OS image says about itself in its boot header. */
export interface BootHeaderMeta {
  /** Product name; published as `<slot>.peridio_product`. */
  name: string;
  /** Published as `<slot>.peridio_version`. */
  version: string;
  /** How the agent behaves when this slot boots: `crash` exits at start, `no-network` never connects. */
  health: BootHealth;
  platform?: string;
  architecture?: string;
  uuid?: string;
  /** When the image was made (ISO 8601 by convention; not interpreted). */
  created?: string;
}

export const BOOT_HEALTHS: readonly BootHealth[] = ['ok', 'crash', 'no-network'];
const REQUIRED = ['name', 'version'] as const;
export const OPTIONAL_FIELDS = ['platform', 'architecture', 'uuid', 'created'] as const;

// Values land in the U-Boot env, where NUL ends a value and control characters break fw_printenv output.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function checkString(value: unknown, field: string, fail: (detail: string) => VfleetError): string {
  if (typeof value !== 'string' || value === '') {
    throw fail(`$.${field} is ${value === undefined ? 'missing' : JSON.stringify(value)}; expected a non-empty string`);
  }
  if (CONTROL.test(value)) throw fail(`$.${field} ${JSON.stringify(value)} contains a control character`);
  return value;
}

/**
 * Checks an object against BootHeaderMeta and returns a copy holding only the known fields, in
 * the header's canonical order. Unknown fields are dropped (later format additions stay readable).
 */
export function checkBootMeta(value: unknown, code: VfleetErrorCode, where: string): BootHeaderMeta {
  const fail = (detail: string): VfleetError => new VfleetError(code, `${where}: ${detail}`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`expected a JSON object with name, version and health, got ${Array.isArray(value) ? 'an array' : JSON.stringify(value)}`);
  }
  const record = value as Record<string, unknown>;
  const [name, version] = REQUIRED.map((field) => checkString(record[field], field, fail)) as [string, string];
  const health = record['health'];
  if (!BOOT_HEALTHS.includes(health as BootHealth)) {
    throw fail(`$.health is ${JSON.stringify(health)}; expected one of ${BOOT_HEALTHS.join(', ')}`);
  }
  const meta: BootHeaderMeta = { name, version, health: health as BootHealth };
  for (const field of OPTIONAL_FIELDS) {
    if (record[field] !== undefined) meta[field] = checkString(record[field], field, fail);
  }
  return meta;
}
