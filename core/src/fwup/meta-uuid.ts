import { Blake2b } from './blake2b.js';

/** fwup's own namespace UUID 2053dffb-d51e-4310-b93b-956da89f9f34, hashed ahead of meta.conf. */
const FWUP_NAMESPACE = Buffer.from('2053dffbd51e4310b93b956da89f9f34', 'hex');

/**
 * The `meta-uuid` fwup derives from an archive's meta.conf bytes (and exposes as
 * `${FWUP_META_UUID}`): BLAKE2b-256 over its namespace and meta.conf, the first 16 bytes with
 * version nibble 5, printed big-endian.
 */
export function fwupMetaUuid(metaConf: Uint8Array): string {
  const hash = new Blake2b(32).update(FWUP_NAMESPACE).update(metaConf).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
