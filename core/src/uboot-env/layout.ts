/** Byte layout shared by the encoder and decoder. */

/** 4-byte CRC, plus the 1-byte flag of a redundant copy. */
export function headerSize(redundant: boolean): number {
  return redundant ? 5 : 4;
}

/** Header plus `\0\0`, the encoding of an empty variable list. */
export function minimumSize(redundant: boolean): number {
  return headerSize(redundant) + 2;
}

export const FLAG_OFFSET = 4;

export type EnvVars = ReadonlyMap<string, string> | Readonly<Record<string, string>>;

export function envEntries(vars: EnvVars): Iterable<readonly [string, string]> {
  return vars instanceof Map ? (vars as ReadonlyMap<string, string>).entries() : Object.entries(vars);
}

export function envKind(redundant: boolean): string {
  return redundant ? 'redundant' : 'non-redundant';
}
