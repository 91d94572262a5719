import type { IncomingMessage } from 'node:http';
import { jsonTextTooDeep, MAX_JSON_DEPTH } from '../../json-depth.js';

export class BodyError extends Error {
  constructor(readonly status: 400 | 413 | 415, message: string) {
    super(message);
  }
}

/** Reads a JSON object body of at most `limit` bytes. */
export async function readJsonObject(req: IncomingMessage, limit = 64 * 1024): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new BodyError(415, `content-type must be application/json, got ${JSON.stringify(type)}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new BodyError(413, `body larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const deep = jsonTextTooDeep(text);
  if (deep >= 0) throw new BodyError(400, `body nested deeper than ${MAX_JSON_DEPTH} levels (at character ${deep})`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new BodyError(400, `body is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BodyError(400, 'body must be a JSON object');
  return value as Record<string, unknown>;
}
