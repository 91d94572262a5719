import { request } from 'node:http';
import type { Readable } from 'node:stream';
import { VfleetError } from '@vfleet/core';
import { escapeControls } from '../agent/connect/log-text.js';

export interface AdminClient {
  call<T = Record<string, unknown>>(method: string, path: string, body?: unknown): Promise<T>;
  upload(path: string, content: Readable, size: number): Promise<Record<string, unknown>>;
}

export interface AdminClientLimits {
  /** Largest successful body read (default 256 MiB: a listing of a whole large fleet). */
  maxBodyBytes?: number;
  /** Largest refusal body read; what fits is kept for the message (default 64 KiB). */
  maxErrorBytes?: number;
  /** How long the body may take once the headers arrived (default 60 s). */
  bodyTimeoutMs?: number;
  /** How long the connection may stay silent (no answer yet, or a stalled body) before the call gives up (default 120 s). */
  idleTimeoutMs?: number;
}

const MIB = 1024 * 1024;

/** Text from a server or device for an error message: one line, controls escaped, cut to `max` characters. */
export function peerText(text: string, max = 300): string {
  const line = escapeControls(text.trim());
  return line.length > max ? `${line.slice(0, max)}…` : line;
}

/** What a refusal says: `{"error": {"message": …}}` or `{"error": "…"}`, else the raw text. */
function refusalDetail(json: unknown, text: string): string {
  const error = typeof json === 'object' && json !== null ? (json as { error?: unknown }).error : undefined;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') return (error as { message: string }).message;
  return text;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A small client for the admin API (`/api/v1/...`, bearer token), used by the CLI, the TUI, seeds and tests. */
export function createAdminClient(baseUrl: string, token: string, limits: AdminClientLimits = {}): AdminClient {
  const maxBody = limits.maxBodyBytes ?? 256 * MIB;
  const maxError = limits.maxErrorBytes ?? 64 * 1024;
  const bodyTimeoutMs = limits.bodyTimeoutMs ?? 60_000;
  const idleTimeoutMs = limits.idleTimeoutMs ?? 120_000;

  function send(method: string, path: string, headers: Record<string, string | number>, body?: Buffer | Readable): Promise<Record<string, unknown>> {
    const what = `admin API ${method} ${path}`;
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, baseUrl), { method, headers: { authorization: `Bearer ${token}`, ...headers } }, (res) => {
        const status = res.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        const cap = ok ? maxBody : maxError;
        const chunks: Buffer[] = [];
        let size = 0;
        let done = false;
        // cut short (too big, too slow, broken): the connection goes, it cannot be reused
        const stop = (cut: boolean): void => {
          done = true;
          clearTimeout(deadline);
          if (!cut) return;
          res.destroy();
          req.destroy();
        };
        const fail = (e: VfleetError): void => {
          if (done) return;
          stop(true);
          reject(e);
        };
        const finish = (cut: boolean): void => {
          if (done) return;
          stop(cut);
          const text = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          let parsed = true;
          try {
            json = text === '' ? {} : JSON.parse(text);
          } catch {
            parsed = false;
          }
          if (!ok) return reject(new VfleetError('VFLEET_USAGE', `${what}: ${status} ${peerText(refusalDetail(json, text))}`));
          if (parsed && isObject(json)) return resolve(json);
          reject(new VfleetError('VFLEET_IO', `${what}: ${status} but the body is ${parsed ? `${peerText(text, 60)}, not a JSON object` : 'not JSON'}`));
        };
        const deadline = setTimeout(() => {
          if (!ok) return finish(true); // a refusal that trickles: say what arrived
          fail(new VfleetError('VFLEET_IO', `${what}: the response body did not arrive within ${bodyTimeoutMs / 1000} s`));
        }, bodyTimeoutMs);
        res.on('data', (c: Buffer) => {
          if (done) return;
          const room = cap - size;
          if (c.length <= room) {
            chunks.push(c);
            size += c.length;
            return;
          }
          if (ok) return fail(new VfleetError('VFLEET_IO', `${what}: the response is larger than ${cap >= MIB ? `${cap / MIB} MiB` : `${cap} bytes`}`));
          chunks.push(c.subarray(0, room)); // a refusal: keep what fits for the message
          size = cap;
          finish(true);
        });
        res.on('end', () => finish(false));
        res.on('error', (e) => fail(new VfleetError('VFLEET_IO', `${what}: the response broke off: ${e.message}`, { cause: e })));
      });
      // a server that accepts and never answers must not hold the caller (the CLI, the TUI) for ever
      req.setTimeout(idleTimeoutMs, () => {
        reject(new VfleetError('VFLEET_IO', `${what}: no answer from ${baseUrl} for ${idleTimeoutMs / 1000} s`));
        req.destroy();
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
