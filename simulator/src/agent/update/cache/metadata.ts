import { randomBytes } from 'node:crypto';
import { rename, rm, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { publicKeyToPem } from '@vfleet/core';
import type { UpdateBinary, UpdateOffer } from '../model.js';
import type { CacheStore } from './cache-store.js';
import { pdc1Bytes } from './pdc1.js';
import { binaryDir, binaryFile, binaryKey, bundleDir, STAMP_CACHED, STAMP_INSTALLED, viaDir } from './layout.js';

const stamp = (): string => new Date().toISOString();

function binaryManifest(b: UpdateBinary): string {
  return JSON.stringify({
    prn: b.prn, name: b.name, version: b.version, size: b.size, custom_metadata: b.customMetadata, target: b.target,
    signatures: b.signatures.map((s) => ({ signature: s.signatureHex.toUpperCase(), signing_key: publicKeyToPem(s.publicKey) })),
    hash: b.hash, uri: b.url,
  });
}

function viaManifest(offer: UpdateOffer): string {
  const via = offer.via;
  return via.kind === 'release'
    ? JSON.stringify({ prn: via.prn, name: via.name, version: via.version, version_requirement: via.versionRequirement, bundle_prn: offer.bundlePrn })
    : JSON.stringify({ prn: via.prn, bundle_prn: offer.bundlePrn });
}

async function linkBinary(cache: CacheStore, bundlePrn: string, b: UpdateBinary): Promise<void> {
  const link = join(await cache.dir(`${bundleDir(bundlePrn)}/binaries`), binaryKey(b));
  // a fresh name: whatever the device left at a fixed one (a directory, say) cannot block the link
  const temp = `${link}.${randomBytes(6).toString('hex')}.tmp`;
  await symlink(`../../../${binaryDir(b)}`, temp);
  try {
    await rename(temp, link);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** Step Cache `save_metadata`: the bundle (with its binaries) and the release or override manifests. */
export async function saveBundleMetadata(cache: CacheStore, offer: UpdateOffer): Promise<void> {
  await cache.write(`${bundleDir(offer.bundlePrn)}/manifest`, JSON.stringify({ prn: offer.bundlePrn }));
  for (const b of offer.binaries) {
    await cache.write(`${binaryDir(b)}/manifest`, binaryManifest(b));
    await linkBinary(cache, offer.bundlePrn, b);
  }
}

export const saveViaMetadata = (cache: CacheStore, offer: UpdateOffer): Promise<void> =>
  cache.write(`${viaDir(offer.via)}/manifest`, viaManifest(offer));

export async function stampInstalled(cache: CacheStore, offer: UpdateOffer): Promise<void> {
  await cache.write(`${bundleDir(offer.bundlePrn)}/${STAMP_INSTALLED}`, stamp());
  await cache.write(`${viaDir(offer.via)}/${STAMP_INSTALLED}`, stamp());
}

export const stampBinaryInstalled = (cache: CacheStore, b: UpdateBinary): Promise<void> =>
  cache.write(`${binaryDir(b)}/${STAMP_INSTALLED}`, stamp());

export const stampBinaryCached = (cache: CacheStore, b: UpdateBinary): Promise<void> =>
  cache.write(`${binaryDir(b)}/${STAMP_CACHED}`, stamp());

/** A stamp as stored: an ISO timestamp, encrypted or not; anything bigger is not read through. */
const MAX_STAMP_BYTES = 4096;

/**
 * A binary counts as cached when both its content and its cached stamp carry valid device signatures.
 * Neither is hashed when bigger than it can be: a huge file planted there would cost a full read per poll.
 */
export async function isBinaryCached(cache: CacheStore, b: UpdateBinary): Promise<boolean> {
  return (await cache.exists(`${binaryDir(b)}/${STAMP_CACHED}`, MAX_STAMP_BYTES)) && cache.exists(binaryFile(b), pdc1Bytes(b.size));
}

export async function removeCachedBinary(cache: CacheStore, b: UpdateBinary): Promise<void> {
  await Promise.all([cache.remove(binaryFile(b)), cache.remove(`${binaryFile(b)}.sig`), cache.remove(`${binaryDir(b)}/${STAMP_CACHED}`),
    cache.remove(`${binaryDir(b)}/${STAMP_CACHED}.sig`)]);
}
