import type { FwupArchive } from './archive.js';
import { formatConfString } from './meta-conf-format.js';
import { META_KEYS } from './meta-conf.js';
import type { FwupMetadata } from './meta-types.js';

/** Task names sorted bytewise, as `fwup -l` prints them. */
export function listFwupTasks(archive: FwupArchive): string[] {
  return archive.meta.tasks.map((t) => t.name).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

/** `fwup -m` order, which differs from meta.conf's in placing misc before vcs-identifier. */
const METADATA_ORDER: ReadonlyArray<keyof FwupMetadata> = [
  'product', 'description', 'version', 'author', 'platform', 'architecture',
  'creationDate', 'fwupVersion', 'misc', 'vcsIdentifier', 'uuid', 'nickname',
];
const NAMES = new Map(META_KEYS.map(([name, key]) => [key, name]));

/** `meta-*=value` lines as `fwup -m` prints them (meta-nickname only if meta.conf sets it: vfleet does not derive it). */
export function fwupMetadataLines(archive: FwupArchive): string[] {
  return METADATA_ORDER.flatMap((key) => {
    const value = archive.meta.metadata[key];
    return value === undefined || value === '' ? [] : [`${NAMES.get(key)}=${formatConfString(value)}`];
  });
}
