import type { IncomingMessage } from 'node:http';

/** Parsed JSON when the response says JSON and parses, else the text (Tesla's JSON middleware). */
export function decodeBody(res: IncomingMessage, raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (!/\bjson\b/i.test(res.headers['content-type'] ?? '')) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
