/** The parts of an fwup meta.conf that vfleet reads, writes and applies. */

/** `meta-*` attributes, named without the prefix. */
export interface FwupMetadata {
  product?: string;
  description?: string;
  version?: string;
  author?: string;
  platform?: string;
  architecture?: string;
  creationDate?: string;
  fwupVersion?: string;
  vcsIdentifier?: string;
  misc?: string;
  uuid?: string;
  nickname?: string;
}

/** One function call of a funlist or reqlist: `raw_write(4096)` is `{ fn: 'raw_write', args: ['4096'] }`. */
export interface FwupCall {
  fn: string;
  args: string[];
}

export interface FwupResource {
  name: string;
  /** fwup's sparse map: data, hole, data, … byte lengths; `[n]` for an ordinary resource of n bytes. */
  lengths: number[];
  /** Lowercase hex as fwup writes it; absent in archives that only carry the old `sha256`. */
  blake2b256?: string;
}

export interface FwupUbootEnv {
  name: string;
  blockOffset: number;
  blockCount: number;
  /** Block offset of the second copy; present only for a redundant env (`block-offset-redund`). */
  blockOffsetRedund?: number;
}

export interface FwupOnResource {
  resource: string;
  calls: FwupCall[];
  /** True when the section asks for an xdelta3 patch (`delta-source-*`), which vfleet does not apply. */
  delta?: boolean;
}

export interface FwupTask {
  name: string;
  /** `require-*` guards in order (fwup's reqlist). */
  requirements: FwupCall[];
  onInit: FwupCall[];
  onFinish: FwupCall[];
  onError: FwupCall[];
  onResource: FwupOnResource[];
  /** Deprecated `require-partition1-offset` attribute. */
  partition1Offset?: number;
}

export interface FwupMeta {
  metadata: FwupMetadata;
  requireFwupVersion?: string;
  resources: FwupResource[];
  ubootEnvs: FwupUbootEnv[];
  tasks: FwupTask[];
}

/** Bytes of data a resource's sparse map stores in the archive (the even-indexed lengths). */
export function resourceDataSize(resource: FwupResource): number {
  return resource.lengths.reduce((sum, n, i) => (i % 2 === 0 ? sum + n : sum), 0);
}

/** Total size of a resource including holes. */
export function resourceFullSize(resource: FwupResource): number {
  return resource.lengths.reduce((sum, n) => sum + n, 0);
}

/** Archive path of a resource: `data/NAME`, or NAME without its slash for an absolute `/NAME`. */
export function resourceArchivePath(name: string): string {
  return name.startsWith('/') ? name.slice(1) : `data/${name}`;
}

/** Resource name of an archive path, as fwup maps them (`data/x` → `x`, anything else → `/path`). */
export function archivePathResource(path: string): string {
  return path.startsWith('data/') ? path.slice(5) : `/${path}`;
}
