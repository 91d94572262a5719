import type { IncomingMessage } from 'node:http';
import { HttpError } from './http-error.js';
import { jsonTextTooDeep, MAX_JSON_DEPTH } from '../../json-depth.js';

export const MAX_JSON_BODY = 1024 * 1024;

const tooLarge = (what: string, limit: number): HttpError => new HttpError(413, 'payload_too_large', `${what}: larger than ${limit} bytes`);

/**
 * Feeds the request body to `onChunk` (awaited, so a slow sink pauses the client) and resolves
 * with the byte count. Over `limit` it stops reading without destroying the request, so a 413 can
 * still be sent; an aborted request rejects.
 */
export function consumeBody(req: IncomingMessage, limit: number, what: string, onChunk: (chunk: Buffer) => Promise<void> | void): Promise<number> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.reject(tooLarge(what, limit));
  return new Promise((resolve, reject) => {
    let size = 0;
    let settled = false;
    const finish = (error?: unknown): void => {
      if (settled) return;
      settled = true;
      req.off('data', onData).off('end', onEnd).off('error', finish).off('close', onClose);
      if (error === undefined) resolve(size);
      else reject(error);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.pause();
        finish(tooLarge(what, limit));
        return;
      }
      const pending = onChunk(chunk);
      if (pending instanceof Promise) {
        req.pause();
        pending.then(() => req.resume(), finish);
      }
    };
    const onEnd = (): void => finish();
    const onClose = (): void => finish(new Error(`${what}: the client closed the connection before the end of the body`));
    req.on('data', onData).on('end', onEnd).on('error', finish).on('close', onClose);
  });
}

/**
 * The JSON object a request carries. An empty body is `{}`; anything else must be
 * `application/json` holding an object.
 */
export async function readJsonObject(req: IncomingMessage, limit = MAX_JSON_BODY): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  await consumeBody(req, limit, 'body', (chunk) => void chunks.push(chunk));
  const bytes = Buffer.concat(chunks);
  if (bytes.length === 0) return {};
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', `body: Content-Type must be application/json, got ${JSON.stringify(type)}`);
  }
  const text = bytes.toString('utf8');
  const deep = jsonTextTooDeep(text);
  if (deep >= 0) throw new HttpError(422, 'invalid_value', `body: nested deeper than ${MAX_JSON_DEPTH} levels (at character ${deep})`, 'body');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new HttpError(400, 'invalid_json', `body: not valid JSON (${(e as Error).message})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'invalid_body', `body: expected a JSON object, got ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value as Record<string, unknown>;
}
