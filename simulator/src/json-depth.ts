/** Deepest nesting of arrays and objects accepted in JSON from a peer (admin or device bodies, /update answers). */
export const MAX_JSON_DEPTH = 64;

/**
 * The offset in JSON text `text` where arrays/objects first nest deeper than `maxDepth`, or -1.
 * Checked before JSON.parse: a few MB of `[[[[…` parse into a gigabyte of nested arrays.
 */
export function jsonTextTooDeep(text: string, maxDepth = MAX_JSON_DEPTH): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > maxDepth) return i;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return -1;
}
