import { publicKeyToPem } from '@vfleet/core';
import type { ResolveResult } from '../resolve/index.js';
import type { Bundle, BundleOverride, ManifestEntry, Release } from '../store/index.js';

export type Resolution = ResolveResult<Release, Bundle, BundleOverride>;

/** The `/update` body of protocol §4.4 for a resolution; `urlFor` makes each binary's download URL. */
export function updateResponse(resolution: Resolution, manifest: readonly ManifestEntry[], urlFor: (binaryUuid: string) => string): unknown {
  if (resolution.status === 'no_update') return { status: 'no_update' };
  if (resolution.status === 'device_quarantined') return { status: 'device_quarantined' };
  const source =
    resolution.sourceType === 'release'
      ? {
          source_type: 'release',
          release: {
            prn: resolution.release.prn,
            name: resolution.release.name,
            version: resolution.release.version,
            // peridiod crashes on "": absent requirements are null (protocol App. B.2)
            version_requirement: resolution.release.version_requirement || null,
          },
        }
      : { source_type: 'bundle_override', bundle_override: { prn: resolution.bundleOverride.prn } };
  return {
    status: 'update',
    ...source,
    bundle: { prn: resolution.bundle.prn },
    manifest: manifest.map((m) => ({
      binary_prn: m.binary.prn,
      hash: m.binary.hash,
      size: m.binary.size,
      url: urlFor(m.binary.uuid),
      target: m.binary.target,
      custom_metadata: m.binary.custom_metadata ?? m.artifact.custom_metadata ?? {},
      // peridiod verifies exactly one signature per binary (protocol §5.4)
      signatures: m.signatures.slice(0, 1).map((s) => ({
        signature: s.signature,
        public_value: publicKeyToPem(Buffer.from(s.public_value, 'base64')),
        signing_key_prn: s.signing_key_prn,
      })),
      artifact: { prn: m.artifact.prn, name: m.artifact.name },
      artifact_version: { prn: m.artifact_version.prn, version: m.artifact_version.version },
    })),
  };
}
