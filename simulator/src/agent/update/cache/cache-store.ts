import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { sha256Hex, VfleetError } from '@vfleet/core';
import type { AgentLogger } from '../../types.js';
import { writeStaged } from '../installers/write-staged.js';
import { cacheRootSound, existingCacheDir, makeCacheDir, makeCacheRoot } from './cache-folders.js';
import { loadOrCreateDek } from './dek.js';
import type { DeviceSigner } from './device-signature.js';
import { entryChunks, hashing, MAX_SIG_BYTES, openEntry, readEntry, renameOver, sha256OfEntry, writeFileAtomic, type NoEntry } from './files.js';
import { decryptBuffer, decryptChunks, encryptBuffer, encryptChunks, isPdc1 } from './pdc1.js';

export interface CacheStoreOptions {
  /** Host path of `cache_dir`. */
  root: string;
  /**
   * A mapped (process/inproc) device's host directory: no folder from it down to a cache entry is
   * reached through a link. Unset for a device whose paths are its own (a container): links followed.
   */
  deviceDir?: string | undefined;
  encryption: boolean;
  signer: DeviceSigner;
  log: AgentLogger;
}

/** The directories holding signed (and possibly encrypted) content; purged when the DEK changes. */
export const CONTENT_DIRS = ['release', 'override', 'bundle', 'binary'] as const;

/**
 * peridiod's cache (protocol §5.8): every stored file X has X.sig, the device key's signature over
 * the lowercase-hex SHA-256 of the stored bytes; with encryption on the stored bytes are PDC1.
 * A file whose signature does not verify reads as missing, and so does anything but a regular file
 * (warned; opened so that it cannot block; a later write replaces it). Paths are relative to the root.
 * On a mapped device a folder of the cache that is a link is never followed: reads treat it as
 * missing, writes replace it (cache-folders.ts).
 */
export class CacheStore {
  readonly root: string;
  private dek: Buffer | undefined;
  private remaking: Promise<void> | undefined;

  constructor(private readonly options: CacheStoreOptions) {
    this.root = options.root;
  }

  path(rel: string): string {
    return join(this.root, rel);
  }

  /** Mode 0700, empty `.tmp/`, DEK loaded (a replaced DEK purges the encrypted content). */
  async init(): Promise<void> {
    await makeCacheRoot(this.root, this.options.deviceDir, this.options.log);
    const mode = (await stat(this.root)).mode & 0o777;
    if (mode !== 0o700) {
      this.options.log.warn(`[Cache] ${this.options.root} permissions ${mode.toString(8)} are too open, setting 0700`);
      await chmod(this.root, 0o700);
    }
    await rm(this.path('.tmp'), { recursive: true, force: true });
    await mkdir(this.path('.tmp'), { mode: 0o700 });
    if (!this.options.encryption) return;
    const { dek, replaced } = await loadOrCreateDek(this.root, this.options.signer, this.options.log);
    this.dek = dek;
    if (replaced) await Promise.all(CONTENT_DIRS.map((d) => rm(this.path(d), { recursive: true, force: true })));
  }

  /**
   * Called before every poll: a cache folder the device replaced (by a link, file or FIFO, or
   * removed) since boot is made again as at boot, instead of failing every later update.
   */
  async ensure(): Promise<void> {
    if (this.remaking === undefined && (await cacheRootSound(this.root, this.options.deviceDir))) return;
    this.remaking ??= this.init().finally(() => {
      this.remaking = undefined;
    });
    await this.remaking;
  }

  /** The folder `rel` of the cache, made if missing; never through a link on a mapped device. */
  dir(rel: string): Promise<string> {
    return makeCacheDir(this.root, rel, this.options.deviceDir, this.options.log);
  }

  /** A fresh path under `.tmp/` (wiped at boot) for plaintext on its way in or out. */
  async tempPath(): Promise<string> {
    return join(await this.dir('.tmp'), randomBytes(8).toString('hex'));
  }

  /** A fresh, empty folder under `.tmp/` (mode 0700), for a tool's temporary files; the caller removes it. */
  async tempDir(): Promise<string> {
    const dir = await this.tempPath();
    await mkdir(dir, { mode: 0o700 });
    return dir;
  }

  async write(rel: string, data: Uint8Array | string): Promise<void> {
    const plain = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const stored = this.dek === undefined ? plain : await encryptBuffer(plain, this.dek);
    const abs = join(await this.dir(dirname(rel)), basename(rel));
    await writeFileAtomic(abs, stored);
    await writeFileAtomic(`${abs}.sig`, this.options.signer.sign(sha256Hex(stored)));
  }

  /** Whether the folder of entry `rel` exists and (on a mapped device) is reached through no link. */
  private async folderOf(rel: string): Promise<boolean> {
    return (await existingCacheDir(this.root, dirname(rel), this.options.deviceDir, this.options.log)) !== undefined;
  }

  private async readSig(rel: string): Promise<Buffer | NoEntry> {
    if (!(await this.folderOf(rel))) return 'missing';
    return readEntry(this.root, `${rel}.sig`, this.options.log, MAX_SIG_BYTES);
  }

  async read(rel: string): Promise<Buffer | undefined> {
    if (!(await this.folderOf(rel))) return undefined;
    const [stored, sig] = await Promise.all([readEntry(this.root, rel, this.options.log), readEntry(this.root, `${rel}.sig`, this.options.log, MAX_SIG_BYTES)]);
    if (!Buffer.isBuffer(stored) || !Buffer.isBuffer(sig)) return undefined;
    if (!this.options.signer.verify(sha256Hex(stored), sig.toString('ascii'))) return undefined;
    if (!isPdc1(stored)) return stored;
    if (this.dek === undefined) return undefined;
    try {
      return await decryptBuffer(stored, this.dek, rel);
    } catch {
      return undefined;
    }
  }

  /** Whether `rel` is stored and device-signed; one bigger than `maxBytes` (as stored) is not hashed but warned and missing. */
  async exists(rel: string, maxBytes = Infinity): Promise<boolean> {
    const sig = await this.readSig(rel);
    if (!Buffer.isBuffer(sig)) return false;
    const hash = await sha256OfEntry(this.root, rel, this.options.log, maxBytes);
    return hash !== undefined && this.options.signer.verify(hash, sig.toString('ascii'));
  }

  /**
   * Stores a stream as `rel` in one pass: encrypted on the way to disk when encryption is on
   * (no plaintext copy), under `.tmp/` until `source` ends cleanly, then renamed into place and
   * device-signed. `source` throws at its end unless it verified; then nothing is stored.
   * `plainSha256` is the plaintext's hash, which the source checks; with encryption on the
   * signature covers the ciphertext, hashed as it is written.
   */
  async storeStream(rel: string, source: AsyncIterable<Buffer>, plainSha256: string, signal: AbortSignal): Promise<void> {
    const abs = join(await this.dir(dirname(rel)), basename(rel));
    const temp = await this.tempPath();
    const hash = this.dek === undefined ? undefined : createHash('sha256');
    try {
      await writeStaged(hash === undefined ? source : hashing(encryptChunks(source, this.dek as Buffer), hash), temp, 0o600, signal);
      await renameOver(temp, abs);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    await writeFileAtomic(`${abs}.sig`, this.options.signer.sign(hash === undefined ? plainSha256 : hash.digest('hex')));
  }

  /** Moves a verified plaintext file (under `.tmp/`) into the cache: renamed, or encrypted in a streaming pass. */
  async importFile(rel: string, plainPath: string, plainSha256: string): Promise<void> {
    try {
      if (this.dek !== undefined) {
        await this.storeStream(rel, createReadStream(plainPath), plainSha256, new AbortController().signal);
        return;
      }
      const abs = join(await this.dir(dirname(rel)), basename(rel));
      await renameOver(plainPath, abs);
      await writeFileAtomic(`${abs}.sig`, this.options.signer.sign(plainSha256));
    } finally {
      await rm(plainPath, { force: true });
    }
  }

  /** Streams a stored file's plaintext; throws at the end if its device signature does not verify. */
  async *readStream(rel: string): AsyncGenerator<Buffer> {
    const missing = () => new VfleetError('VFLEET_IO', `cache ${rel}: missing or unsigned`);
    const sig = await this.readSig(rel);
    if (!Buffer.isBuffer(sig)) throw missing();
    const entry = await openEntry(this.root, rel, this.options.log);
    if (typeof entry === 'string') throw missing();
    try {
      const head = Buffer.alloc(4);
      await entry.handle.read(head, 0, 4, 0);
      const hash = createHash('sha256');
      const raw = hashing(entryChunks(entry), hash);
      if (isPdc1(head) && this.dek === undefined) throw new VfleetError('VFLEET_IO', `cache ${rel}: encrypted but no data key is loaded`);
      yield* isPdc1(head) ? decryptChunks(raw, this.dek as Buffer, `cache ${rel}`) : raw;
      if (!this.options.signer.verify(hash.digest('hex'), sig.toString('ascii'))) {
        throw new VfleetError('VFLEET_IO', `cache ${rel}: device signature does not match the stored bytes`);
      }
    } finally {
      await entry.handle.close();
    }
  }

  /** Removes `rel` (a link there is removed, not followed); nothing when its folder is reached through a link. */
  async remove(rel: string): Promise<void> {
    if (!(await this.folderOf(rel))) return;
    await rm(this.path(rel), { recursive: true, force: true });
  }

  /** The names in folder `rel`; none when it is missing or (mapped device) reached through a link. */
  async list(rel: string): Promise<string[]> {
    const dir = await existingCacheDir(this.root, rel, this.options.deviceDir, this.options.log);
    if (dir === undefined) return [];
    try {
      return await readdir(dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
