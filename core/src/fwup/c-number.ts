/**
 * An unsigned integer as fwup reads one with strtoull(text, …, 0): decimal, `0x` hex or
 * leading-`0` octal, the whole string; undefined when it is not one or exceeds 2^53.
 */
export function parseCUnsigned(text: string): number | undefined {
  const match = /^\s*\+?(?:0[xX]([0-9a-fA-F]+)|(0[0-7]*)|([1-9][0-9]*))$/.exec(text);
  if (match === null) return undefined;
  const [, hex, octal, decimal] = match;
  const value = hex !== undefined ? parseInt(hex, 16) : octal !== undefined ? parseInt(octal, 8) : Number(decimal);
  return Number.isSafeInteger(value) ? value : undefined;
}
