import { createHash, randomUUID } from 'node:crypto';
import { createSigningKeyPair, makePrn, publicKeyToPem, signBinary, type SigningKeyPair } from '@vfleet/core';

export const ORG = '92d0a3ed-9058-4632-ae29-f420078c4507';

export interface TestBinary {
  uuid: string;
  content: Buffer;
  target: string | null;
  customMetadata: Record<string, unknown>;
  name?: string;
}

/** Deterministic bytes, so a test's binaries differ but repeat across runs. */
export function content(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  let block = createHash('sha256').update(seed).digest();
  for (let at = 0; at < size; at += block.length) {
    block.copy(out, at);
    block = createHash('sha256').update(block).digest();
  }
  return out;
}

export const fileMeta = (path: string, name: string, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ peridiod: { installer: 'file', installer_opts: { path, name }, reboot_required: false, ...extra } });

/** One `/update` manifest item, signed by `signer` (or carrying `signatures` as given). */
export function manifestItem(b: TestBinary, url: string, signer: SigningKeyPair, override: Record<string, unknown> = {}): Record<string, unknown> {
  const hash = createHash('sha256').update(b.content).digest('hex');
  return {
    binary_prn: makePrn(ORG, 'binary', b.uuid),
    hash,
    size: b.content.length,
    url,
    target: b.target,
    custom_metadata: b.customMetadata,
    signatures: [{
      signature: signBinary(hash, signer.privateKeyPem),
      public_value: signer.publicKeyPem,
      signing_key_prn: makePrn(ORG, 'signing_key', randomUUID()),
    }],
    artifact: { prn: makePrn(ORG, 'artifact', randomUUID()), name: b.name ?? 'artifact' },
    artifact_version: { prn: makePrn(ORG, 'artifact_version', randomUUID()), version: 'v1.0.0' },
    ...override,
  };
}

export interface ReleaseRef {
  uuid: string;
  version: string;
  bundleUuid: string;
  requirement?: string | null;
}

export const releasePrn = (r: ReleaseRef): string => makePrn(ORG, 'release', r.uuid);
export const bundlePrn = (r: ReleaseRef): string => makePrn(ORG, 'bundle', r.bundleUuid);

export function updateBody(release: ReleaseRef, manifest: unknown[]): Record<string, unknown> {
  return {
    status: 'update',
    source_type: 'release',
    release: { prn: releasePrn(release), name: `release-${release.version}`, version: release.version, version_requirement: release.requirement ?? '~> 1.0' },
    bundle: { prn: bundlePrn(release) },
    manifest,
  };
}

export { createSigningKeyPair, publicKeyToPem };
