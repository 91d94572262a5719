// Runs the agent's CommonJS bundle with a V8 code cache beside it (Node 20 has no compile cache of
// its own): a process that starts from the cache neither parses the bundle nor compiles the
// functions the cache holds, ~20 ms less CPU per agent start. V8 checks the cache against its own
// version and flags and the source's length only, and a release build does not checksum the
// payload: a damaged cache that V8 accepts kills the process in its deserializer. So the file is
// vfleet's own: a header with CRC-32s of V8's bytes and of the bundle they were made for, checked
// before V8 sees them. A missing, damaged or rejected cache is written anew, once, by the process
// that found it so (at exit, or two seconds in, so it holds what the agent compiled while
// starting). A cache that cannot be written (read-only image) only costs that saving.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';
import { crc32 } from 'node:zlib';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';

type CommonJsWrapper = (exports: object, require: NodeJS.Require, module: { exports: object }, filename: string, dirname: string) => void;

/** How a start went: `used` the cache; ran without one that was `missing`, `invalid` (not a whole vfleet cache for this bundle) or `rejected` by V8. */
export type CodeCacheState = 'used' | 'missing' | 'invalid' | 'rejected';

export interface CodeCacheRun {
  /** True when the cache was not used (the process then writes one). */
  fresh: boolean;
  cache: CodeCacheState;
}

/** The bundle a cache was made for: its length and CRC-32. */
export interface CodeCacheKey {
  length: number;
  crc: number;
}

const MAGIC = Buffer.from('vfleetC1');
// magic, V8's length, CRC-32 of V8's bytes, bundle length, bundle CRC-32: 24 bytes keep V8's bytes 8-aligned (no copy)
const HEADER = MAGIC.length + 16;
// far above any agent's cache (~200 KiB): a bigger file is not one this loader wrote
const MAX_CACHE = 64 * 1024 * 1024;

export function codeCacheKey(bundle: Uint8Array): CodeCacheKey {
  return { length: bundle.length, crc: crc32(bundle) };
}

/** The cache file for V8's bytes made for the bundle `key`. */
export function encodeCodeCache(data: Uint8Array, key: CodeCacheKey): Buffer {
  const out = Buffer.allocUnsafe(HEADER + data.length);
  MAGIC.copy(out, 0);
  out.writeUInt32LE(data.length, 8);
  out.writeUInt32LE(crc32(data), 12);
  out.writeUInt32LE(key.length >>> 0, 16);
  out.writeUInt32LE(key.crc, 20);
  out.set(data, HEADER);
  return out;
}

/** V8's bytes from a cache file, or undefined where it is not a whole one made for the bundle `key`. */
export function decodeCodeCache(file: Buffer, key: CodeCacheKey): Buffer | undefined {
  if (file.length <= HEADER || !file.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const data = file.subarray(HEADER);
  if (file.readUInt32LE(8) !== data.length || file.readUInt32LE(16) !== key.length >>> 0 || file.readUInt32LE(20) !== key.crc) return undefined;
  return file.readUInt32LE(12) === crc32(data) ? data : undefined;
}

function writeCacheFile(file: string, bytes: Uint8Array): void {
  // pid alone is not unique: agents in pid namespaces share the bundle directory
  const tmp = `${file}.${process.pid}-${Math.random().toString(36).slice(2, 10)}.tmp`;
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    writeFileSync(fd, bytes);
    // on disk before the rename, so a crash cannot leave the name on a short or empty file
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, file);
  } catch {
    try {
      if (fd !== undefined) closeSync(fd);
      rmSync(tmp, { force: true });
    } catch {
      // a directory we cannot write: nothing was left there
    }
  }
}

export function runWithCodeCache(bundle: string, cacheFile: string, writeAfterMs = 2000): CodeCacheRun {
  const bytes = readFileSync(bundle);
  const key = codeCacheKey(bytes);
  let source = bytes.toString('utf8');
  // keep line numbers: the wrapper goes on the first line, as node's own CommonJS loader does
  if (source.startsWith('#!')) source = `//${source.slice(2)}`;
  // a FIFO, a directory or a short or damaged file in the cache's place is `invalid`, and replaced
  const read = readRegularFile(cacheFile, MAX_CACHE);
  const cached = read.status === 'ok' ? decodeCodeCache(read.bytes, key) : undefined;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${source}\n})`, {
    filename: bundle,
    ...(cached === undefined ? {} : { cachedData: cached }),
  });
  const cache: CodeCacheState = read.status === 'missing' ? 'missing' : cached === undefined ? 'invalid' : script.cachedDataRejected === true ? 'rejected' : 'used';
  if (cache !== 'used') {
    let written = false;
    const write = () => {
      if (written) return;
      written = true;
      writeCacheFile(cacheFile, encodeCodeCache(script.createCachedData(), key));
    };
    setTimeout(write, writeAfterMs).unref();
    process.once('exit', write);
  }
  const module = { exports: {} };
  (script.runInThisContext() as CommonJsWrapper).call(module.exports, module.exports, createRequire(bundle), module, bundle, dirname(bundle));
  return { fresh: cache !== 'used', cache };
}
