import type { IncomingMessage } from 'node:http';
import { jsonTextTooDeep } from '../../json-depth.js';

/**
 * Parsed JSON when the response says JSON and parses, else the text (Tesla's JSON middleware).
 * JSON nested deeper than the backend accepts counts as unparsable: a few MB of `[[[[…` would parse
 * into a gigabyte of arrays and overflow the stack of whatever reads them.
 */
export function decodeBody(res: IncomingMessage, raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!/\bjson\b/i.test(res.headers['content-type'] ?? '')) return text;
  if (jsonTextTooDeep(text) >= 0) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
