// Reading an fwup archive the way `fwup` does before any task runs: optional meta.conf.ed25519,
// then meta.conf (signature checked against the given keys), then the resources in file order.
import fs from 'node:fs';
import { fwupError } from './fwup-error.js';
import { FWUP_SIGNATURE_BYTES, parseFwupPublicKey, verifyFwupMetaConf } from './keys.js';
import { parseMetaConf } from './meta-conf.js';
import { type FwupMeta, archivePathResource } from './meta-types.js';
import { fwupMetaUuid } from './meta-uuid.js';
import { listZipEntries, readZipEntry, type ZipEntry, zipEntryWhere } from './zip-read.js';
import { METHOD_DEFLATE } from './zip-layout.js';
import { bufferZipSource, fileZipSource, type ZipSource } from './zip-source.js';

export type FwupSignatureStatus = 'verified' | 'unverified' | 'unsigned';

export interface FwupArchiveEntry {
  /** Resource name as meta.conf refers to it (`rootfs.img` for `data/rootfs.img`). */
  resource: string;
  zip: ZipEntry;
  /** A deflated entry's bytes already inflated into a file (inflateFwupResources), read by range. */
  inflated?: ZipSource;
}

export interface FwupArchive {
  source: string;
  /** The archive's bytes, read by range (resources are checked and written in chunks). */
  reader: ZipSource;
  /** The whole archive, when it was decoded from memory. */
  bytes?: Buffer;
  metaConf: Buffer;
  signature?: Buffer;
  /** verified: signed and checked against a given key; unverified: signed, no key given. */
  signatureStatus: FwupSignatureStatus;
  /** Parsed meta.conf; metadata also carries the computed creationDate and uuid, as `fwup -m` shows. */
  meta: FwupMeta;
  /** ZIP entries after meta.conf, in file order (the order fwup processes resources). */
  resources: FwupArchiveEntry[];
}

export interface DecodeFwupOptions {
  /** Names the archive in errors; default "firmware archive". */
  source?: string;
  /** Public keys in fwup's format; when any is given the archive must be signed by one of them. */
  publicKeys?: ReadonlyArray<string | Uint8Array>;
  /** Values for `${NAME}` in meta.conf, as fwup takes them from its environment. */
  variables?: Readonly<Record<string, string>>;
}

const MAX_META_CONF = 50000;

function creationDate(mtime: Date): string {
  return `${mtime.toISOString().slice(0, 19)}Z`;
}

/** An archive decoded from memory. */
export type DecodedFwupArchive = FwupArchive & { bytes: Buffer };

/** An archive read from an open file; close() when done with it. */
export type FwupArchiveFile = FwupArchive & {
  /** Throws if the file's size or modification time differ from when it was opened. */
  checkUnchanged(): void;
  close(): void;
};

/** Decodes and authenticates an archive; nothing past meta.conf is decompressed yet. */
export function decodeFwupArchive(bytes: Buffer, opts: DecodeFwupOptions = {}): DecodedFwupArchive {
  return { ...decodeFrom(bufferZipSource(bytes), opts.source ?? 'firmware archive', opts), bytes };
}

function decodeFrom(reader: ZipSource, source: string, opts: DecodeFwupOptions): FwupArchive {
  const keys = (opts.publicKeys ?? []).map((k, i) => parseFwupPublicKey(k, `public key ${i + 1}`));
  const entries = listZipEntries(reader, source);
  let index = 0;
  let signature: Buffer | undefined;
  // sizes as the central directory declares them, before anything is inflated (a deflate bomb
  // declaring gigabytes is refused without inflating it; readZipEntry holds data to the declared size)
  if (entries[0]?.name === 'meta.conf.ed25519') {
    if (entries[0].size !== FWUP_SIGNATURE_BYTES) throw fwupError('archive', source, `Unexpected meta.conf.ed25519 size: ${entries[0].size} (expected ${FWUP_SIGNATURE_BYTES})`);
    signature = readZipEntry(reader, entries[0], source);
    index = 1;
  }
  const metaEntry = entries[index];
  if (metaEntry?.name !== 'meta.conf') {
    throw fwupError('archive', source, `Expecting meta.conf to be at the beginning of ${source} (found ${metaEntry === undefined ? 'no more entries' : JSON.stringify(metaEntry.name)})`);
  }
  if (metaEntry.size < 10 || metaEntry.size >= MAX_META_CONF) throw fwupError('archive', source, `Unexpected meta.conf size: ${metaEntry.size} (expected 10..${MAX_META_CONF - 1} bytes)`);
  const metaConf = readZipEntry(reader, metaEntry, source);
  if (keys.length > 0) {
    if (signature === undefined) throw fwupError('signature', source, 'Expecting signed firmware archive. (a public key was given but there is no meta.conf.ed25519)');
    if (!verifyFwupMetaConf(metaConf, signature, keys)) {
      throw fwupError('signature', source, `Firmware archive's meta.conf fails digital signature verification. (tried ${keys.length} public key${keys.length === 1 ? '' : 's'})`);
    }
  }
  const text = metaConf.toString('utf8');
  if (text.includes('${FWUP_META_NICKNAME')) throw fwupError('archive', `${source}: meta.conf`, '${FWUP_META_NICKNAME} is not supported by vfleet (fwup derives it from a word list)');
  const uuid = fwupMetaUuid(metaConf);
  const meta = parseMetaConf(text, { source: `${source}: meta.conf`, variables: { ...opts.variables, FWUP_META_UUID: uuid } });
  if (meta.metadata.uuid !== undefined && meta.metadata.uuid !== uuid) {
    throw fwupError('archive', `${source}: meta.conf`, "meta.conf isn't allowed to change 'meta-uuid'");
  }
  meta.metadata.creationDate ??= creationDate(metaEntry.mtime);
  meta.metadata.uuid = uuid;
  const resources = entries
    .slice(index + 1)
    .map((zip) => ({ resource: archivePathResource(zip.name), zip }))
    .filter((e) => e.resource !== '');
  const archive: FwupArchive = {
    source,
    reader,
    metaConf,
    signatureStatus: signature === undefined ? 'unsigned' : keys.length > 0 ? 'verified' : 'unverified',
    meta,
    resources,
  };
  if (signature !== undefined) archive.signature = signature;
  return archive;
}

/** Reads an archive file and decodes it; `source` defaults to the path. */
export function readFwupArchive(file: string, opts: DecodeFwupOptions = {}): DecodedFwupArchive {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (e) {
    throw fwupError('io', file, `cannot read the firmware archive: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  return decodeFwupArchive(bytes, { ...opts, source: opts.source ?? file });
}

export interface OpenFwupArchiveOptions extends DecodeFwupOptions {
  /**
   * ZIP entry name → a file holding that deflated entry's inflated bytes (inflateFwupResources).
   * Such an entry is then read from its file by range instead of being inflated into memory; its
   * size, CRC-32 and BLAKE2b-256 are checked as for any other entry.
   */
  inflated?: ReadonlyMap<string, string>;
}

/**
 * Opens an archive file and decodes its directory, signature and meta.conf without reading the
 * resources, which are then read by range; `source` defaults to the path.
 */
export function openFwupArchiveFile(file: string, opts: OpenFwupArchiveOptions = {}): FwupArchiveFile {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw fwupError('io', file, `cannot read the firmware archive: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  const opened: number[] = [fd];
  const close = (): void => {
    for (const d of opened.splice(0)) fs.closeSync(d);
  };
  try {
    const stat = fs.fstatSync(fd);
    const archive = decodeFrom(fileZipSource(fd, stat.size, file), opts.source ?? file, opts);
    for (const entry of archive.resources) {
      const path = opts.inflated?.get(entry.zip.name);
      if (path !== undefined) entry.inflated = inflatedSource(path, entry.zip, archive.source, opened);
    }
    const checkUnchanged = (): void => {
      const now = fs.fstatSync(fd);
      if (now.size !== stat.size || now.mtimeMs !== stat.mtimeMs) {
        throw fwupError('io', file, `the firmware archive changed while it was being applied (size ${stat.size} → ${now.size}); nothing was written`);
      }
    };
    return { ...archive, checkUnchanged, close };
  } catch (e) {
    close();
    throw e;
  }
}

/** The file holding an entry's inflated bytes, opened (its descriptor added to `opened`) and checked for size. */
function inflatedSource(path: string, entry: ZipEntry, source: string, opened: number[]): ZipSource {
  const where = zipEntryWhere(entry, source);
  if (entry.method !== METHOD_DEFLATE) throw fwupError('usage', where, `is not deflated, so it has no inflated file (${path})`);
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw fwupError('io', where, `cannot read its inflated file: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  opened.push(fd);
  const size = fs.fstatSync(fd).size;
  if (size !== entry.size) throw fwupError('archive', where, `inflates to ${size} bytes (${path}), the central directory says ${entry.size}`);
  return fileZipSource(fd, size, path);
}
