import { request } from 'node:http';
import type { Readable } from 'node:stream';
import { VfleetError } from '@vfleet/core';

export interface AdminClient {
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  upload(path: string, content: Readable, size: number): Promise<Record<string, unknown>>;
}

/** A small client for the admin API (`/api/v1/...`, bearer token), used by the CLI, seeds and tests. */
export function createAdminClient(baseUrl: string, token: string): AdminClient {
  function send(method: string, path: string, headers: Record<string, string | number>, body?: Buffer | Readable): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, baseUrl), { method, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
          } catch {
            json = { text };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(json);
          const err = (json['error'] ?? {}) as { message?: string };
          reject(new VfleetError('VFLEET_USAGE', `admin API ${method} ${path}: ${status} ${err.message ?? text}`));
        });
        res.on('error', reject);
      });
      req.on('error', (e) => reject(new VfleetError('VFLEET_IO', `admin API ${baseUrl} unreachable: ${e.message}`, { cause: e })));
      if (body === undefined || Buffer.isBuffer(body)) req.end(body);
      else body.pipe(req);
    });
  }
  return {
    call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const headers = payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {};
      return send(method, path, headers, payload) as Promise<T>;
    },
    upload(path: string, content: Readable, size: number) {
      return send('PUT', path, { 'content-type': 'application/octet-stream', 'content-length': size }, content);
    },
  };
}
