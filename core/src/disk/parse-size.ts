import { VfleetError } from '../errors.js';

const UNITS: Record<string, number> = { '': 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/**
 * Parses a byte count: plain bytes ("268435456") or a whole number with a binary unit
 * ("256M", "1G", "64MiB", "512k"). `where` names the flag or key in errors.
 */
export function parseSize(text: string, where: string): number {
  const match = /^\s*(\d+)\s*(?:([kmgt])(?:ib)?)?\s*$/i.exec(text);
  const digits = match?.[1];
  const unit = UNITS[(match?.[2] ?? '').toLowerCase()];
  const bytes = digits === undefined || unit === undefined ? Number.NaN : Number(digits) * unit;
  if (!Number.isSafeInteger(bytes)) {
    throw new VfleetError(
      'VFLEET_USAGE',
      `${where}: ${JSON.stringify(text)} is not a size; use bytes or a whole number with K, M, G or T ` +
        `(also KiB, MiB, GiB, TiB; all binary), e.g. 256M`,
    );
  }
  return bytes;
}
