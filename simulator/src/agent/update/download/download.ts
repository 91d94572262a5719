import { setTimeout as sleep } from 'node:timers/promises';
import { VfleetError } from '@vfleet/core';
import type { AgentLogger } from '../../types.js';
import type { UpdateBinary } from '../model.js';
import type { DownloadSlots } from './download-slots.js';
import type { BinaryResponse, FetchBinary } from './fetch-binary.js';
import { IntegrityError } from './integrity.js';
import { sanitizeUrl } from './sanitize-url.js';

export interface DownloadTuning {
  /**
   * Resumes after a dropped connection. peridiod's downloader could resume, but in the release path
   * its install step crashes on the first transport error, so the default is 0 (one attempt per poll).
   */
  maxRetries: number;
  retryDelayMs: number;
  idleTimeoutMs: number;
  maxRedirects: number;
}

export const DEFAULT_DOWNLOAD_TUNING: DownloadTuning = { maxRetries: 0, retryDelayMs: 15_000, idleTimeoutMs: 60_000, maxRedirects: 5 };

export interface DownloadContext {
  fetch: FetchBinary;
  tuning: DownloadTuning;
  log: AgentLogger;
  signal: AbortSignal;
  userAgent: string;
  /** Shared with the other devices of this process: each attempt holds one while it runs. */
  slots?: DownloadSlots;
}

const HARD_CAP_MS = 24 * 3600 * 1000;
/** peridiod's worst case: the whole binary at 1000 bit/s, at least 60 s (and at most the 24 h cap). */
export const worstCaseTimeoutMs = (size: number): number => Math.min(HARD_CAP_MS, Math.max(60_000, size * 8));

class FatalDownload extends VfleetError {
  constructor(message: string) {
    super('VFLEET_IO', message);
  }
}

function startOf(res: BinaryResponse, received: number, url: URL): number {
  if (res.status !== 206) return 0;
  const range = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(String(res.headers['content-range'] ?? ''));
  const start = range ? Number(range[1]) : NaN;
  if (start !== received) throw new FatalDownload(`${sanitizeUrl(url)}: 206 Content-Range ${JSON.stringify(res.headers['content-range'])} does not start at byte ${received}`);
  return start;
}

/**
 * GETs a binary (protocol §5.5) and yields its bytes in order; a 200 answer to a resumed request
 * is skipped up to the bytes already yielded. Throws on HTTP ≥ 400, a missing Content-Length, a
 * length that disagrees with the manifest, or when the connection drops more than `maxRetries` times.
 */
export async function* downloadBinary(binary: UpdateBinary, ctx: DownloadContext): AsyncGenerator<Buffer> {
  const tag = `[Stream Downloader ${binary.prn}]`;
  ctx.log.info(`${tag} Started with integrity verification`);
  const worstCase = new AbortController();
  const signal = AbortSignal.any([ctx.signal, worstCase.signal]);
  let timer: NodeJS.Timeout | undefined;
  let url = new URL(binary.url);
  let received = 0;
  let attempt = 0;
  let redirects = 0;
  // held from the request to the end of its body, and kept across a redirect; given back before a retry's wait
  let giveBack: (() => void) | undefined;
  const giveSlotBack = (): void => {
    giveBack?.();
    giveBack = undefined;
  };
  try {
    for (;;) {
      if (ctx.slots !== undefined && giveBack === undefined) {
        if (ctx.slots.inUse >= ctx.slots.limit) ctx.log.info(`${tag} Waiting for a download slot (${ctx.slots.limit} at once in this process, ${ctx.slots.waiting + 1} waiting)`);
        giveBack = await ctx.slots.take(signal);
      }
      ctx.log.info(`${tag} ${attempt === 0 ? 'INIT' : 'RESUME'} download attempt ${attempt} ${sanitizeUrl(url)}`);
      const headers: Record<string, string> = {
        'content-type': 'application/octet-stream', 'X-Retry-Number': String(attempt), 'User-Agent': ctx.userAgent,
      };
      if (received > 0) headers['Range'] = `bytes=${received}-`;
      let failure: unknown;
      try {
        const res = await ctx.fetch({ url, headers, signal, idleTimeoutMs: ctx.tuning.idleTimeoutMs });
        const location = res.headers.location;
        if (res.status >= 300 && res.status < 400 && location !== undefined) {
          res.close();
          if (++redirects > ctx.tuning.maxRedirects) throw new FatalDownload(`${sanitizeUrl(binary.url)}: more than ${ctx.tuning.maxRedirects} redirects`);
          url = new URL(location, url);
          continue;
        }
        if (res.status < 200 || res.status >= 300) {
          res.close();
          throw new FatalDownload(`http_error ${res.status} from ${sanitizeUrl(url)}`);
        }
        const length = Number(res.headers['content-length']);
        if (res.headers['content-length'] === undefined || !Number.isSafeInteger(length)) {
          res.close();
          throw new FatalDownload(`${sanitizeUrl(url)}: response has no Content-Length (required to detect completion)`);
        }
        const start = startOf(res, received, url);
        if (start + length !== binary.size) {
          res.close();
          throw new IntegrityError('size_mismatch', `binary ${binary.prn}: server announces ${start + length} bytes, manifest says ${binary.size}`);
        }
        if (timer === undefined) {
          const ms = worstCaseTimeoutMs(binary.size);
          ctx.log.warn(`${tag} Worst case timeout: ${ms}`);
          timer = setTimeout(() => worstCase.abort(new FatalDownload(`worst_case_download_speed_reached after ${ms} ms`)), ms);
          const ranges = res.headers['accept-ranges'];
          if (ranges === undefined || ranges === 'none') ctx.log.error(`${tag} HTTP Server does not support the Range header`);
        }
        let skip = received - start;
        for await (const chunk of res.body) {
          // what was already read in still stops at an abort (the connection may have closed by then)
          signal.throwIfAborted();
          if (skip >= chunk.length) {
            skip -= chunk.length;
            continue;
          }
          const fresh = skip > 0 ? chunk.subarray(skip) : chunk;
          skip = 0;
          received += fresh.length;
          yield fresh;
        }
        if (received === binary.size) return;
        failure = new VfleetError('VFLEET_IO', `connection closed after ${received} of ${binary.size} bytes`);
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (error instanceof FatalDownload || error instanceof IntegrityError) throw error;
        failure = error;
      }
      giveSlotBack();
      if (attempt >= ctx.tuning.maxRetries) {
        const why = failure instanceof Error ? failure.message : String(failure);
        throw new VfleetError('VFLEET_IO', `download of ${binary.prn} failed after ${attempt + 1} attempt(s) at byte ${received} of ${binary.size}: ${why}`, { cause: failure });
      }
      attempt++;
      await sleep(ctx.tuning.retryDelayMs, undefined, { signal });
    }
  } finally {
    clearTimeout(timer);
    giveSlotBack();
  }
}
