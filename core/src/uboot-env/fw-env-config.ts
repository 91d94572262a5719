import { VfleetError } from '../errors.js';
import { minimumSize } from './layout.js';

/** One line of fw_env.config: where one copy of the env lives. */
export interface FwEnvCopy {
  /** File or device holding the copy, as written in the config (a device path for peridiod). */
  path: string;
  offset: number;
  size: number;
  sectorSize?: number;
  sectors?: number;
}

/** One copy = non-redundant env; two copies = redundant pair. */
export interface FwEnvConfig {
  copies: FwEnvCopy[];
}

const LINE_FORM = '"<file> <offset> <size> [sector size] [sectors]"';
const FIELD_NAMES = ['offset', 'size', 'sector size', 'sectors'] as const;

function configError(where: string, message: string): VfleetError {
  return new VfleetError('VFLEET_ENV_CONFIG_INVALID', `${where}: ${message}`);
}

function parseNumber(field: string, name: string, where: string): number {
  const value = /^0x[0-9a-f]+$/i.test(field) ? Number.parseInt(field.slice(2), 16) : /^[0-9]+$/.test(field) ? Number(field) : NaN;
  if (!Number.isSafeInteger(value)) {
    throw configError(where, `${name} ${JSON.stringify(field)} is not a number; expected decimal or 0x hex`);
  }
  return value;
}

function parseLine(fields: string[], where: string): FwEnvCopy {
  if (fields.length < 3 || fields.length > 5) {
    throw configError(where, `${fields.length} field(s); expected ${LINE_FORM}`);
  }
  const [path, ...numberFields] = fields as [string, ...string[]];
  const [offset, size, sectorSize, sectors] = numberFields.map((f, i) => parseNumber(f, FIELD_NAMES[i] ?? 'field', where));
  const copy: FwEnvCopy = { path, offset: offset as number, size: size as number };
  if (sectorSize !== undefined) copy.sectorSize = sectorSize;
  if (sectors !== undefined) copy.sectors = sectors;
  return copy;
}

function overlaps(a: FwEnvCopy, b: FwEnvCopy): boolean {
  return a.path === b.path && a.offset < b.offset + b.size && b.offset < a.offset + a.size;
}

/**
 * Parses fw_env.config: one copy per line, `#` comments, numbers decimal or 0x hex.
 * (libubootenv and U-Boot's fw_env read size, sector size and sectors as hex even without
 * `0x`; formatFwEnvConfig always writes `0x` so every reader agrees.)
 */
export function parseFwEnvConfig(text: string, source = 'fw_env.config'): FwEnvConfig {
  const copies: FwEnvCopy[] = [];
  const lineNumbers: number[] = [];
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/(^|\s)#.*$/, '').trim();
    if (line === '') continue;
    const where = `${source}:${i + 1}`;
    if (copies.length === 2) throw configError(where, 'a third env copy; expected 1 line (non-redundant) or 2 lines (redundant)');
    copies.push(parseLine(line.split(/\s+/), where));
    lineNumbers.push(i + 1);
  }
  if (copies.length === 0) throw configError(source, 'no env copy; expected 1 line (non-redundant) or 2 lines (redundant) of ' + LINE_FORM);
  const redundant = copies.length === 2;
  for (const [i, copy] of copies.entries()) {
    const where = `${source}:${lineNumbers[i]}`;
    if (copy.size < minimumSize(redundant)) {
      throw configError(where, `size ${copy.size} is too small for a ${redundant ? 'redundant' : 'non-redundant'} env; expected at least ${minimumSize(redundant)}`);
    }
  }
  const [first, second] = copies;
  if (first && second) {
    const where = `${source}:${lineNumbers[1]}`;
    if (first.size !== second.size) throw configError(where, `size 0x${second.size.toString(16)} differs from the first copy's 0x${first.size.toString(16)}; redundant copies have equal sizes`);
    if (overlaps(first, second)) throw configError(where, `copy overlaps the first copy in ${first.path}`);
  }
  return { copies };
}

function hex(n: number, digits = 1): string {
  return `0x${n.toString(16).padStart(digits, '0')}`;
}

function checkCopy(copy: FwEnvCopy, where: string): void {
  if (copy.path === '' || /\s/.test(copy.path) || copy.path.startsWith('#')) {
    throw configError(where, `path ${JSON.stringify(copy.path)} cannot be written: it must be non-empty, without whitespace, not starting with "#"`);
  }
  for (const [name, value] of [['offset', copy.offset], ['size', copy.size], ['sector size', copy.sectorSize], ['sectors', copy.sectors]] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw configError(where, `${name} ${String(value)} is not a non-negative integer`);
    }
  }
  if (copy.sectors !== undefined && copy.sectorSize === undefined) {
    throw configError(where, 'sectors given without a sector size; the sectors column follows the sector size column');
  }
}

/** Writes fw_env.config lines as peridiod and the EVK do: `/etc/peridiod/uboot.env 0x0000 0x20000`. */
export function formatFwEnvConfig(cfg: FwEnvConfig): string {
  if (cfg.copies.length !== 1 && cfg.copies.length !== 2) {
    throw configError('fw_env.config', `${cfg.copies.length} copies; expected 1 (non-redundant) or 2 (redundant)`);
  }
  return cfg.copies
    .map((copy, i) => {
      checkCopy(copy, `fw_env.config copy ${i}`);
      const fields = [copy.path, hex(copy.offset, 4), hex(copy.size)];
      if (copy.sectorSize !== undefined) fields.push(hex(copy.sectorSize));
      if (copy.sectors !== undefined) fields.push(hex(copy.sectors));
      return fields.join(' ') + '\n';
    })
    .join('');
}
