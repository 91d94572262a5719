import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describeTarget, requestUrl } from '../request-url.js';
import { createContentCache, type ContentCache } from './content-cache.js';
import { parseRange } from './range.js';
import type { UrlSigner } from './signed-url.js';

export interface HostedBinary {
  path: string;
  size: number;
}

/** Faults a test or load run injects into one binary's downloads. */
export interface BinaryFault {
  /** Answer with this HTTP status instead of the content. */
  status?: number;
  /** Close the connection after this many body bytes (a truncated download). */
  truncateAt?: number;
  /** Flip one byte of the body (a tampered binary). */
  corrupt?: boolean;
}

export interface ServeBinariesOptions {
  signer: UrlSigner;
  lookup: (binaryUuid: string) => HostedBinary | undefined;
  faults?: (binaryUuid: string) => BinaryFault | undefined;
  /** Bytes per second per download; unlimited when absent. */
  throttle?: () => number | undefined;
  onDownload?: (e: { binaryUuid: string; phase: 'start' | 'end' | 'aborted'; bytes: number; start: number; remote: string | undefined }) => void;
  /** A stored binary is missing, not a file, or not the size the catalog says (the client got a 500), or went short mid-download. */
  onError?: (e: Error) => void;
  /** Hot binaries served from memory (default: a cache of DEFAULT_CONTENT_CACHE's size); false streams every download from disk. */
  memory?: ContentCache | false;
}

const BINARY_PATH = /^\/binaries\/([0-9a-f-]{36})$/;

/** Handles `GET|HEAD /binaries/<uuid>?expires&signature`; returns false for other paths. */
export function createBinaryHandler(opts: ServeBinariesOptions) {
  const memory = opts.memory ?? createContentCache();
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const url = requestUrl(req.url, 'http://binaries');
    if (url === undefined) return reply(res, 400, `request target ${describeTarget(req.url)}: not a path`);
    const m = BINARY_PATH.exec(url.pathname);
    if (!m) return false;
    const uuid = m[1] as string;
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'method not allowed: use GET or HEAD', { allow: 'GET, HEAD' });
    const check = opts.signer.verify(uuid, url.searchParams.get('expires'), url.searchParams.get('signature'));
    if (check !== 'ok') return reply(res, 403, check === 'expired' ? 'binary URL expired; poll /update for a fresh one' : 'binary URL signature invalid');
    const binary = opts.lookup(uuid);
    if (!binary) return reply(res, 404, `no binary ${uuid}`);
    const fault = opts.faults?.(uuid);
    if (fault?.status !== undefined) return reply(res, fault.status, `injected fault: status ${fault.status}`);
    // the catalog's size becomes Content-Length: a file that is not that size would be cut off mid-body
    const problem = await stat(binary.path).then(
      (st) => (!st.isFile() ? 'is not a regular file' : st.size !== binary.size ? `holds ${st.size} bytes, the catalog says ${binary.size}` : undefined),
      (e: NodeJS.ErrnoException) => (e.code === 'ENOENT' ? 'is missing' : `cannot be read (${e.message})`),
    );
    if (problem !== undefined) {
      opts.onError?.(new Error(`binary ${uuid}: stored content ${binary.path} ${problem}; not served`));
      return reply(res, 500, `binary ${uuid}: stored content is unavailable`);
    }
    const range = parseRange(req.headers.range, binary.size);
    if (range.kind === 'unsatisfiable') {
      return reply(res, 416, `range ${JSON.stringify(req.headers.range)} not satisfiable for ${binary.size} bytes`, { 'content-range': `bytes */${binary.size}` });
    }
    const start = range.kind === 'partial' ? range.start : 0;
    const end = range.kind === 'partial' ? range.end : binary.size - 1;
    const headers: Record<string, string | number> = {
      'content-type': 'application/octet-stream',
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
    };
    if (range.kind === 'partial') headers['content-range'] = `bytes ${start}-${end}/${binary.size}`;
    res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
    if (req.method === 'HEAD' || binary.size === 0) {
      res.end();
      return true;
    }
    const remote = req.socket.remoteAddress;
    opts.onDownload?.({ binaryUuid: uuid, phase: 'start', bytes: 0, start, remote });
    const bytesPerSecond = opts.throttle?.();
    const held = fault === undefined && bytesPerSecond === undefined && memory !== false ? await memory.get(binary.path, binary.size) : undefined;
    if (held !== undefined) {
      const sent = await sendSlice(res, held.subarray(start, end + 1));
      opts.onDownload?.({ binaryUuid: uuid, phase: sent.finished ? 'end' : 'aborted', bytes: sent.bytes, start, remote });
      return true;
    }
    const source = createReadStream(binary.path, { start, end, highWaterMark: 1024 * 1024 });
    // the common case streams the file straight to the socket; faults and throttling add a stage
    const counter = fault !== undefined || bytesPerSecond !== undefined ? new ByteCounter(start, fault, bytesPerSecond) : undefined;
    let readFailure: Error | undefined;
    source.once('error', (e) => (readFailure = e));
    let finished = false;
    try {
      await (counter ? pipeline(source, counter, res) : pipeline(source, res));
      finished = source.bytesRead >= end - start + 1;
      // a file cut short after the stat ends the stream early, without an error
      if (!finished) readFailure = new Error(`ended after ${start + source.bytesRead} of ${binary.size} bytes`);
    } catch {
      // the client went away, an injected fault cut it, or the read failed (readFailure)
    }
    if (readFailure !== undefined) opts.onError?.(new Error(`binary ${uuid}: reading ${binary.path} failed mid-download: ${readFailure.message}`));
    opts.onDownload?.({ binaryUuid: uuid, phase: finished ? 'end' : 'aborted', bytes: counter?.bytes ?? source.bytesRead, start, remote });
    // the socket, not just the response: a response that ended short is already detached from it, and
    // the client would wait on the kept-alive connection for the missing bytes
    if (!finished) req.socket.destroy();
    return true;
  };
}

const SLICE_BYTES = 1024 * 1024;

/**
 * Writes `body` to the response in 1 MiB slices of the shared buffer (no copy), waiting for the
 * socket to drain between them. Resolves once the response finished or closed, with the bytes
 * handed to the socket and whether all of them went out.
 */
function sendSlice(res: ServerResponse, body: Buffer): Promise<{ bytes: number; finished: boolean }> {
  return new Promise((resolve) => {
    let at = 0;
    const done = (): void => {
      res.off('drain', next);
      resolve({ bytes: at, finished: res.writableFinished });
    };
    if (res.destroyed) {
      done();
      return;
    }
    res.once('close', done);
    function next(): void {
      while (at < body.length && !res.destroyed) {
        const slice = body.subarray(at, Math.min(at + SLICE_BYTES, body.length));
        at += slice.length;
        if (at === body.length) {
          res.end(slice);
          return;
        }
        if (!res.write(slice)) {
          res.once('drain', next);
          return;
        }
      }
    }
    next();
  });
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): true {
  const body = JSON.stringify({ error: { status, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
  return true;
}

/** Counts body bytes and applies throttling and injected faults on the way out. */
class ByteCounter extends Transform {
  bytes = 0;
  constructor(
    private readonly offset: number,
    private readonly fault: BinaryFault | undefined,
    private readonly bytesPerSecond: number | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    let out = chunk;
    const at = this.offset + this.bytes;
    if (this.fault?.truncateAt !== undefined && at + out.length > this.fault.truncateAt) {
      out = out.subarray(0, Math.max(0, this.fault.truncateAt - at));
      this.bytes += out.length;
      this.push(out);
      done(new Error('injected fault: truncated download'));
      return;
    }
    if (this.fault?.corrupt && at === 0 && out.length > 0) {
      out = Buffer.from(out);
      out[0] = (out[0] ?? 0) ^ 0xff;
    }
    this.bytes += out.length;
    if (this.bytesPerSecond === undefined) {
      done(null, out);
      return;
    }
    setTimeout(() => done(null, out), (out.length / this.bytesPerSecond) * 1000);
  }
}
