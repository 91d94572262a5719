import type { IncomingHttpHeaders } from 'node:http';
import { connect as netConnect, isIP, type LookupFunction, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { VfleetError } from '@vfleet/core';
import type { BinaryRequest, BinaryResponse } from './fetch-binary.js';

/**
 * Bytes per body chunk handed to the consumer (and per disk write); three such buffers per download.
 * 256 KiB rather than 128: half the writes, and a 1,000 x 16 MiB rollout took 57-58 agent CPU-s and
 * 37.1-37.3 s instead of 61-66 and 40.2-42.4 s (bench/rollout.mjs, with the in-process runtime's 249
 * download slots bounding the buffers to ~190 MB).
 */
export const BODY_CHUNK_BYTES = 256 * 1024;
/** A response head larger than this is refused. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** Interim (1xx) responses accepted before the final one. */
export const MAX_INTERIM_HEADS = 8;

// Every socket reads into this one buffer (node's `onread`), and every read is consumed (copied into
// the download's own chunk buffers) before the callback returns, so sharing it is safe: callbacks
// never interleave. Reading this way allocates nothing per network read; node:http allocates a new
// ArrayBuffer for every TLS record, and with a thousand downloads in one process that churn
// (gigabytes of external memory) made V8 run a full mark-compact every few tens of MiB.
const READ_BUFFER = Buffer.allocUnsafeSlow(128 * 1024);

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const STATUS_LINE = /^HTTP\/1\.[01] (\d{3})(?: [^\r\n]*)?$/;

function httpError(url: URL, why: string): VfleetError {
  return new VfleetError('VFLEET_IO', `${url.protocol}//${url.host}: ${why}`);
}

/** The request head of a GET; refuses header names and values that would split the request. */
export function requestHead(url: URL, headers: Readonly<Record<string, string>>): string {
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) throw new VfleetError('VFLEET_CONFIG_INVALID', `HTTP header name ${JSON.stringify(name)} is not a token`);
    if (/[\r\n\0]/.test(value)) throw new VfleetError('VFLEET_CONFIG_INVALID', `HTTP header ${name}: the value contains a line break or NUL`);
    lines.push(`${name}: ${value}`);
  }
  lines.push('Connection: close', '', '');
  return lines.join('\r\n');
}

/** Status and headers of a response head (the bytes before the blank line), or why it is malformed. */
export function parseResponseHead(head: string): { status: number; headers: IncomingHttpHeaders } | string {
  const [statusLine = '', ...fields] = head.split('\r\n');
  const status = STATUS_LINE.exec(statusLine);
  if (status === null) return `malformed status line ${JSON.stringify(statusLine.slice(0, 80))}`;
  const headers: Record<string, string | string[]> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    const name = field.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) return `malformed header line ${JSON.stringify(field.slice(0, 80))}`;
    const value = field.slice(colon + 1).trim();
    const had = headers[name];
    if (name === 'set-cookie') headers[name] = [...(Array.isArray(had) ? had : []), value];
    else if (had === undefined) headers[name] = value;
    else if (name === 'content-length') {
      if (had !== value) return `conflicting Content-Length headers ${JSON.stringify(had)} and ${JSON.stringify(value)}`;
    } else headers[name] = `${String(had)}, ${value}`;
  }
  // A body in the chunked (or any other) transfer coding is not delimited by Content-Length; none is
  // reported then, which a binary download refuses (RFC 9112 §6.3: Transfer-Encoding overrides it).
  if (headers['transfer-encoding'] !== undefined) delete headers['content-length'];
  return { status: Number(status[1]), headers: headers as IncomingHttpHeaders };
}

/**
 * The body of one response: bytes are copied out of the shared read buffer into three chunk buffers
 * owned by this download; one is lent to the consumer while the others fill. The socket pauses when
 * a full chunk waits and no buffer is free, so a slow disk holds the network back instead of
 * buffering; the third buffer takes what TLS had already decrypted when the pause came. A chunk
 * handed out stays valid until the consumer asks for the next one.
 */
const POOL = 3;

class Body implements AsyncIterableIterator<Buffer> {
  private readonly free: Buffer[] = Array.from({ length: POOL }, () => Buffer.allocUnsafeSlow(BODY_CHUNK_BYTES));
  private filling: Buffer | undefined;
  private filled = 0;
  private readonly full: Buffer[] = [];
  private lent: Buffer | undefined;
  private waiter: { resolve: (r: IteratorResult<Buffer>) => void; reject: (e: unknown) => void } | undefined;
  private ended = false;
  private failure: { error: unknown } | undefined;
  private paused = false;

  constructor(private remaining: number, private readonly socket: Socket) {}

  /** Takes bytes from a read; false asks the socket to stop reading until a chunk is free again. */
  push(bytes: Uint8Array): boolean {
    if (this.ended) return true;
    let view = bytes.length > this.remaining ? bytes.subarray(0, this.remaining) : bytes;
    this.remaining -= view.length;
    while (view.length > 0) {
      // bytes beyond the pool (more arrived after the pause than one chunk holds) get a chunk of their own
      const into = this.filling ??= this.free.pop() ?? Buffer.allocUnsafeSlow(BODY_CHUNK_BYTES);
      const n = Math.min(BODY_CHUNK_BYTES - this.filled, view.length);
      into.set(n === view.length ? view : view.subarray(0, n), this.filled);
      this.filled += n;
      view = view.subarray(n);
      if (this.filled === BODY_CHUNK_BYTES) {
        this.full.push(into);
        this.filling = undefined;
        this.filled = 0;
      }
    }
    if (this.remaining === 0) {
      this.end();
      // the whole body is here (Connection: close); not destroyed inside node's read callback
      process.nextTick(() => this.socket.destroy());
    } else this.deliver();
    this.paused = this.free.length === 0 && this.full.length > 0;
    return !this.paused;
  }

  /** No more bytes: what is buffered is still handed out, then the iteration ends. */
  end(): void {
    this.ended = true;
    this.deliver();
  }

  /** The connection failed: buffered chunks are dropped and the iteration throws `error`. */
  fail(error: unknown): void {
    if (this.ended || this.failure !== undefined) return;
    this.failure = { error };
    this.deliver();
  }

  private deliver(): void {
    const waiter = this.waiter;
    if (waiter === undefined) return;
    const result = this.take();
    if (result === undefined) return;
    this.waiter = undefined;
    if (result instanceof Promise) result.then(waiter.resolve, waiter.reject);
    else waiter.resolve(result);
  }

  private take(): IteratorResult<Buffer> | Promise<never> | undefined {
    if (this.failure !== undefined) return Promise.reject(this.failure.error);
    const next = this.full.shift();
    if (next !== undefined) return { value: (this.lent = next), done: false };
    if (!this.ended) return undefined;
    if (this.filling !== undefined && this.filled > 0) {
      const last = this.filling.subarray(0, this.filled);
      this.lent = this.filling;
      this.filling = undefined;
      this.filled = 0;
      return { value: last, done: false };
    }
    return { value: undefined, done: true };
  }

  next(): Promise<IteratorResult<Buffer>> {
    if (this.lent !== undefined) {
      if (this.free.length < POOL) this.free.push(this.lent);
      this.lent = undefined;
      if (this.paused) {
        this.paused = false;
        this.socket.resume();
      }
    }
    const result = this.take();
    if (result instanceof Promise) return result;
    if (result !== undefined) return Promise.resolve(result);
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<Buffer>> {
    this.socket.destroy();
    this.ended = true;
    this.full.length = 0;
    this.filling = undefined;
    this.lent = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

export interface HttpGetOptions {
  /** CA certificates for https (node's default store when absent). */
  ca?: string[];
  lookup?: LookupFunction;
}

/**
 * One HTTP/1.1 GET over a connection of its own (`Connection: close`), for binary downloads.
 * Resolves at the response head; the body ends after Content-Length bytes or when the server closes
 * (the caller compares counts). Rejects on a connection error, a malformed or oversized head, the
 * idle timeout or the signal. The body's chunks are lent: each is valid until the next is asked for.
 */
export function httpGet(request: BinaryRequest, options: HttpGetOptions = {}): Promise<BinaryResponse> {
  const { url, headers, signal, idleTimeoutMs } = request;
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(httpError(url, `unsupported protocol ${url.protocol}`));
  let head: string;
  try {
    head = requestHead(url, headers);
  } catch (error) {
    return Promise.reject(error);
  }
  signal.throwIfAborted();
  return new Promise((resolve, reject) => {
    const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const secure = url.protocol === 'https:';
    const port = Number(url.port || (secure ? 443 : 80));
    let headBytes: Buffer[] = [];
    let headLength = 0;
    let body: Body | undefined;
    let settled = false;
    let interim = 0;
    const fail = (error: unknown): void => {
      clearTimeout(headTimer);
      socket.destroy();
      if (!settled) {
        settled = true;
        reject(error);
      }
      body?.fail(error);
    };
    /**
     * Collects a response head; returns the offset in `bytes` just past it, or -1 while it is
     * incomplete. A final (non-1xx) head also resolves the request with its body.
     */
    const readHead = (bytes: Buffer): number => {
      // search from 3 bytes back so a blank line split across reads is found
      const joined = headBytes.length === 0 ? bytes : Buffer.concat([...headBytes, bytes]);
      const from = Math.max(0, headLength - 3);
      const blank = joined.indexOf('\r\n\r\n', from, 'latin1');
      if (blank < 0) {
        if (joined.length > MAX_HEAD_BYTES) throw httpError(url, `response head larger than ${MAX_HEAD_BYTES} bytes`);
        headBytes = [Buffer.from(joined)];
        headLength = joined.length;
        return -1;
      }
      const parsed = parseResponseHead(joined.toString('latin1', 0, blank));
      if (typeof parsed === 'string') throw httpError(url, parsed);
      const consumed = blank + 4 - headLength;
      headBytes = [];
      headLength = 0;
      // interim answers (100 Continue, 103 Early Hints) precede the real one, but not without end
      if (parsed.status >= 100 && parsed.status < 200) {
        if (++interim > MAX_INTERIM_HEADS) throw httpError(url, `more than ${MAX_INTERIM_HEADS} interim (1xx) responses before the final one`);
        return consumed;
      }
      clearTimeout(headTimer);
      const length = Number(parsed.headers['content-length']);
      body = new Body(parsed.headers['content-length'] !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : Infinity, socket);
      settled = true;
      resolve({ status: parsed.status, headers: parsed.headers, body, close: () => void body?.return() });
      return consumed;
    };
    // the idle timeout restarts with every byte; the head as a whole gets twice that, once, so a
    // server that trickles it (or sends 1xx answers for ever) cannot hold the download before its
    // worst-case timer, armed at the final head, starts
    const headMs = 2 * idleTimeoutMs;
    const headTimer = setTimeout(() => fail(new VfleetError('VFLEET_IO', `idle_timeout: no complete response head from ${url.host} within ${headMs} ms`)), headMs);
    const onread = {
      buffer: READ_BUFFER,
      callback: (n: number, buffer: Uint8Array): boolean => {
        let bytes = Buffer.from(buffer.buffer, buffer.byteOffset, n);
        try {
          while (body === undefined) {
            const at = readHead(bytes);
            if (at < 0) return true;
            bytes = bytes.subarray(at);
          }
        } catch (error) {
          fail(error);
          return false;
        }
        return bytes.length === 0 || body.push(bytes);
      },
    };
    const common = { host, port, onread, ...(options.lookup === undefined ? {} : { lookup: options.lookup }) };
    // tls.connect takes net's `onread` too (node ≥ 15), though its type does not say so
    const socket: Socket = secure
      ? tlsConnect({ ...common, ...(isIP(host) === 0 ? { servername: host } : {}), ...(options.ca === undefined ? {} : { ca: options.ca }) } as ConnectionOptions)
      : netConnect(common);
    const onAbort = (): void => fail(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    socket.setTimeout(idleTimeoutMs, () => fail(new VfleetError('VFLEET_IO', `idle_timeout: no data from ${url.host} for ${idleTimeoutMs} ms`)));
    socket.once(secure ? 'secureConnect' : 'connect', () => socket.write(head));
    socket.on('error', fail);
    socket.on('end', () => socket.destroy());
    socket.on('close', () => {
      signal.removeEventListener('abort', onAbort);
      if (body === undefined) fail(httpError(url, 'connection closed before the response head'));
      else body.end();
    });
  });
}
