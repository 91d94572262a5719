import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { VfleetError } from '@vfleet/core';

export interface BinaryRequest {
  url: URL;
  headers: Readonly<Record<string, string>>;
  signal: AbortSignal;
  /** The response body fails when no byte arrives for this long. */
  idleTimeoutMs: number;
}

export interface BinaryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: AsyncIterable<Buffer>;
  /** Releases the connection when the body is not read to the end. */
  close(): void;
}

/** One HTTP GET of a binary URL; tests and benches may substitute their own. */
export type FetchBinary = (request: BinaryRequest) => Promise<BinaryResponse>;

/**
 * Plain node:http(s) GET, a fresh connection per request (no pool shared between devices). https
 * trusts the public CAs, plus `extraCaPem` when given (protocol §5.5: not the device-API CA).
 * `lookup` resolves the URL's host (the device's /etc/hosts first).
 */
export function createHttpFetch(extraCaPem?: string, lookup?: LookupFunction): FetchBinary {
  const ca = extraCaPem === undefined ? undefined : [...rootCertificates, extraCaPem];
  return ({ url, headers, signal, idleTimeoutMs }) =>
    new Promise((resolve, reject) => {
      const options = { method: 'GET', headers: { ...headers }, signal, agent: false as const, ...(lookup === undefined ? {} : { lookup }) };
      const req = url.protocol === 'https:' ? httpsRequest(url, ca === undefined ? options : { ...options, ca }) : httpRequest(url, options);
      req.setTimeout(idleTimeoutMs, () => {
        req.destroy(new VfleetError('VFLEET_IO', `idle_timeout: no data from ${url.host} for ${idleTimeoutMs} ms`));
      });
      req.on('error', reject);
      req.once('response', (res) => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, close: () => res.destroy() });
      });
      req.end();
    });
}
