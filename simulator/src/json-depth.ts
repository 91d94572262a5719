/** Deepest nesting of arrays and objects the backend accepts in a JSON body or stored value. */
export const MAX_JSON_DEPTH = 64;

/**
 * The JSON path (`$.a[0].b…`) of the first value nested deeper than `maxDepth` arrays/objects, or
 * undefined when none is. Iterative, so a hostile body cannot exhaust the stack here (JSON.parse
 * builds such values without recursion limits; JSON.stringify and validators then overflow).
 */
export function tooDeep(value: unknown, maxDepth = MAX_JSON_DEPTH): string | undefined {
  const stack: [unknown, number, string][] = [[value, 0, '$']];
  for (let top = stack.pop(); top !== undefined; top = stack.pop()) {
    const [v, depth, path] = top;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= maxDepth) return path;
    if (Array.isArray(v)) v.forEach((item, i) => stack.push([item, depth + 1, `${path}[${i}]`]));
    else for (const [k, item] of Object.entries(v)) stack.push([item, depth + 1, /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`]);
  }
  return undefined;
}

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
