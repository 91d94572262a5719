import { createHash, randomBytes, type Hash } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';
import type { AgentLogger } from '../../types.js';

/** Renames `from` onto `to`; a directory there, which rename cannot replace, is removed first (links inside are not followed). */
export async function renameOver(from: string, to: string): Promise<void> {
  try {
    await rename(from, to);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR') throw error;
    await rm(to, { recursive: true, force: true });
    await rename(from, to);
  }
}

/** Writes through a temporary name and a rename, so a kill never leaves a half-written file. */
export async function writeFileAtomic(path: string, data: Uint8Array | string, mode = 0o600): Promise<void> {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(temp, data, { mode });
    await renameOver(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Yields a file's chunks while feeding them to `hash`. */
export async function* hashing(source: AsyncIterable<Buffer>, hash: Hash): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    hash.update(chunk);
    yield chunk;
  }
}

/** Longest `.sig` read: hex of a DER signature, 1024 characters for RSA-4096; room to spare for any device key. */
export const MAX_SIG_BYTES = 8192;

/** A cache entry open for reading: a regular file of `size` bytes (as it was when opened). */
export interface OpenEntry {
  handle: FileHandle;
  size: number;
}

/** Why an entry has no bytes: absent, or something the cache never writes there (a warning was logged). */
export type NoEntry = 'missing' | 'invalid';

/**
 * Opens `rel` under the cache `root` without blocking or following a final link: whatever runs as
 * the device can put a FIFO, socket, device node, directory or link there, and one open(2) stuck
 * on a FIFO holds a libuv thread, stalling file I/O for every device in the process.
 */
export async function openEntry(root: string, rel: string, log: AgentLogger): Promise<OpenEntry | NoEntry> {
  let handle: FileHandle;
  try {
    handle = await open(join(root, rel), constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'missing';
    // ELOOP: the entry is a symbolic link; ENXIO: a socket (or a device node with no device)
    if (code === 'ELOOP' || code === 'ENXIO') {
      log.warn(`[Cache] ${rel}: ${code === 'ELOOP' ? 'a symbolic link' : 'not a regular file'}; treated as missing`);
      return 'invalid';
    }
    throw new VfleetError('VFLEET_IO', `cache ${rel}: cannot read it: ${(error as Error).message}`, { cause: error });
  }
  try {
    const st = await handle.stat();
    if (st.isFile()) return { handle, size: st.size };
    log.warn(`[Cache] ${rel}: ${st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : 'not a regular file'}; treated as missing`);
  } catch (error) {
    await handle.close();
    throw new VfleetError('VFLEET_IO', `cache ${rel}: cannot read it: ${(error as Error).message}`, { cause: error });
  }
  await handle.close();
  return 'invalid';
}

/** An open entry's bytes, up to the size it had when opened, in chunks of at most 64 KiB. */
export async function* entryChunks(entry: OpenEntry): AsyncGenerator<Buffer> {
  for (let at = 0; at < entry.size;) {
    const chunk = Buffer.allocUnsafe(Math.min(65536, entry.size - at));
    const { bytesRead } = await entry.handle.read(chunk, 0, chunk.length, at);
    if (bytesRead === 0) return;
    at += bytesRead;
    yield chunk.subarray(0, bytesRead);
  }
}

/** The bytes of a regular-file entry of at most `maxBytes`; anything else is 'invalid' (warned) or 'missing'. */
export async function readEntry(root: string, rel: string, log: AgentLogger, maxBytes = Infinity): Promise<Buffer | NoEntry> {
  const entry = await openEntry(root, rel, log);
  if (typeof entry === 'string') return entry;
  try {
    if (entry.size > maxBytes) {
      log.warn(`[Cache] ${rel}: ${entry.size} bytes, more than the ${maxBytes} expected; treated as missing`);
      return 'invalid';
    }
    const chunks: Buffer[] = [];
    for await (const chunk of entryChunks(entry)) chunks.push(chunk);
    return Buffer.concat(chunks);
  } finally {
    await entry.handle.close();
  }
}

/** The lowercase-hex SHA-256 of a regular-file entry of at most `maxBytes`, or undefined when it has none (a bigger one is warned). */
export async function sha256OfEntry(root: string, rel: string, log: AgentLogger, maxBytes = Infinity): Promise<string | undefined> {
  const entry = await openEntry(root, rel, log);
  if (typeof entry === 'string') return undefined;
  const hash = createHash('sha256');
  try {
    if (entry.size > maxBytes) {
      log.warn(`[Cache] ${rel}: ${entry.size} bytes, more than the ${maxBytes} expected; treated as missing`);
      return undefined;
    }
    for await (const chunk of entryChunks(entry)) hash.update(chunk);
  } finally {
    await entry.handle.close();
  }
  return hash.digest('hex');
}
