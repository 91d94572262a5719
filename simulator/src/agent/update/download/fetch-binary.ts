import type { IncomingHttpHeaders } from 'node:http';
import type { LookupFunction } from 'node:net';
import { rootCertificates } from 'node:tls';
import { httpGet } from './http-get.js';

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
  /**
   * The body's bytes. A chunk may be lent: it is valid until the next one is asked for, so a
   * consumer that keeps bytes across iterations copies them.
   */
  body: AsyncIterable<Buffer>;
  /** Releases the connection when the body is not read to the end. */
  close(): void;
}

/** One HTTP GET of a binary URL; tests and benches may substitute their own. */
export type FetchBinary = (request: BinaryRequest) => Promise<BinaryResponse>;

/**
 * HTTP/1.1 GET over a connection of its own per request (no pool shared between devices; see
 * http-get.ts for why not node:http). https trusts the public CAs, plus `extraCaPem` when given
 * (protocol §5.5: not the device-API CA). `lookup` resolves the URL's host (the device's /etc/hosts first).
 */
export function createHttpFetch(extraCaPem?: string, lookup?: LookupFunction): FetchBinary {
  const ca = extraCaPem === undefined ? undefined : [...rootCertificates, extraCaPem];
  return (request) => httpGet(request, { ...(ca === undefined ? {} : { ca }), ...(lookup === undefined ? {} : { lookup }) });
}
