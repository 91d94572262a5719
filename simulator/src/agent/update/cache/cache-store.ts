import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { sha256Hex, VfleetError } from '@vfleet/core';
import type { AgentLogger } from '../../types.js';
import { writeStaged } from '../installers/write-staged.js';
import { loadOrCreateDek } from './dek.js';
import type { DeviceSigner } from './device-signature.js';
import { entryChunks, hashing, MAX_SIG_BYTES, openEntry, readEntry, renameOver, sha256OfEntry, writeFileAtomic, type NoEntry } from './files.js';
import { decryptBuffer, decryptChunks, encryptBuffer, encryptChunks, isPdc1 } from './pdc1.js';

export interface CacheStoreOptions {
  /** Host path of `cache_dir`. */
  root: string;
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
 */
export class CacheStore {
  readonly root: string;
  private dek: Buffer | undefined;

  constructor(private readonly options: CacheStoreOptions) {
    this.root = options.root;
  }

  path(rel: string): string {
    return join(this.root, rel);
  }

  /** Mode 0700, empty `.tmp/`, DEK loaded (a replaced DEK purges the encrypted content). */
  async init(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
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

  /** A fresh path under `.tmp/` (wiped at boot) for plaintext on its way in or out. */
  tempPath(): string {
    return this.path(join('.tmp', randomBytes(8).toString('hex')));
  }

  async write(rel: string, data: Uint8Array | string): Promise<void> {
    const plain = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    const stored = this.dek === undefined ? plain : await encryptBuffer(plain, this.dek);
    const abs = this.path(rel);
    await mkdir(dirname(abs), { recursive: true, mode: 0o700 });
    await writeFileAtomic(abs, stored);
    await writeFileAtomic(`${abs}.sig`, this.options.signer.sign(sha256Hex(stored)));
  }

  private readSig(rel: string): Promise<Buffer | NoEntry> {
    return readEntry(this.root, `${rel}.sig`, this.options.log, MAX_SIG_BYTES);
  }

  async read(rel: string): Promise<Buffer | undefined> {
    const [stored, sig] = await Promise.all([readEntry(this.root, rel, this.options.log), this.readSig(rel)]);
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

  async exists(rel: string): Promise<boolean> {
    const sig = await this.readSig(rel);
    if (!Buffer.isBuffer(sig)) return false;
    const hash = await sha256OfEntry(this.root, rel, this.options.log);
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
    const abs = this.path(rel);
    await mkdir(dirname(abs), { recursive: true, mode: 0o700 });
    const temp = this.tempPath();
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
      const abs = this.path(rel);
      await mkdir(dirname(abs), { recursive: true, mode: 0o700 });
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

  async remove(rel: string): Promise<void> {
    await rm(this.path(rel), { recursive: true, force: true });
  }

  async list(rel: string): Promise<string[]> {
    try {
      return await readdir(this.path(rel));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  }
}
