// Deflated resources of an archive file, inflated into files before an apply: streamed through
// zlib off the calling thread, so a 256 MiB rootfs costs neither its size in memory nor a blocked
// event loop. The apply then reads them by range, as it reads stored resources from the archive.
import fs from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';
import { VfleetError } from '../errors.js';
import { fwupError } from './fwup-error.js';
import { type DecodeFwupOptions, openFwupArchiveFile } from './archive.js';
import { resourceDataSize } from './meta-types.js';
import { zipEntryWhere } from './zip-read.js';
import { METHOD_DEFLATE } from './zip-layout.js';

export interface InflateFwupResourcesOptions extends DecodeFwupOptions {
  /** Refuses, before inflating anything, resources declaring more bytes than this in all. */
  maxBytes?: number;
  signal?: AbortSignal;
}

/**
 * Inflates the deflated resources of `archiveFile` into a file each under `dir` (which must exist;
 * the caller removes it). The archive is decoded first as the apply decodes it, so an archive whose
 * signature fails (with `publicKeys`) or whose meta.conf is invalid costs no inflating; only entries
 * meta.conf declares, at the size it declares, are inflated. Each stream stops as soon as it passes
 * that size, so a deflate bomb costs at most that much disk. Returns ZIP entry name → file, for
 * applyFwupArchiveToFile's `inflated`, which checks each file's size, CRC-32 and BLAKE2b-256 again
 * before any byte of it is written.
 */
export async function inflateFwupResources(archiveFile: string, dir: string, opts: InflateFwupResourcesOptions = {}): Promise<Map<string, string>> {
  const archive = openFwupArchiveFile(archiveFile, opts);
  archive.close();
  const declared = new Map(archive.meta.resources.map((r) => [r.name, resourceDataSize(r)]));
  const entries = archive.resources.filter((e) => e.zip.method === METHOD_DEFLATE && e.zip.size > 0 && declared.get(e.resource) === e.zip.size).map((e) => e.zip);
  const total = entries.reduce((n, e) => n + e.size, 0);
  if (opts.maxBytes !== undefined && total > opts.maxBytes) {
    throw fwupError('image', archive.source, `image too small: the archive's deflated resources come to ${total} bytes, more than the ${opts.maxBytes} allowed for this image`);
  }
  const source = archive.source;
  const out = new Map<string, string>();
  for (const [i, entry] of entries.entries()) {
    const file = join(dir, `resource-${i}`);
    const where = zipEntryWhere(entry, source);
    let produced = 0;
    const bounded = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        produced += chunk.length;
        if (produced > entry.size) done(fwupError('archive', where, `corrupt deflate data: inflates to more than the recorded ${entry.size} bytes`));
        else done(null, chunk);
      },
    });
    try {
      const input = fs.createReadStream(archiveFile, { start: entry.dataOffset, end: entry.dataOffset + Math.max(entry.compressedSize, 1) - 1 });
      await pipeline(input, createInflateRaw(), bounded, fs.createWriteStream(file, { flags: 'wx', mode: 0o600 }), ...(opts.signal ? [{ signal: opts.signal }] : []));
    } catch (e) {
      if (e instanceof VfleetError || opts.signal?.aborted === true) throw e;
      const code = (e as { code?: unknown }).code;
      const reason = e instanceof Error ? e.message : String(e);
      // zlib's errors carry Z_* codes; anything else is reading the archive or writing the file
      if (typeof code === 'string' && code.startsWith('Z_')) throw fwupError('archive', where, `corrupt deflate data: ${reason}`, e);
      throw fwupError('io', where, `cannot inflate into ${file}: ${reason}`, e);
    }
    if (produced !== entry.size) throw fwupError('archive', where, `inflates to ${produced} bytes, the central directory says ${entry.size}`);
    out.set(entry.name, file);
  }
  return out;
}
