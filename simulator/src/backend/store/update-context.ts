import type { Ctx } from './context.js';
import { memo } from './memo.js';
import type { Tables } from './tables.js';
import type { Artifact, ArtifactVersion, Binary, Bundle, BundleOverride, Release } from './types.js';
import type { BundleOverridesRepo } from './repos/bundle-overrides.js';
import type { DevicesRepo } from './repos/devices.js';

export interface UpdateContext {
  releases: Release[];
  bundles: Bundle[];
  bundleOverrides: BundleOverride[];
  /** Present when a release of the cohort phases by device count. */
  cohortDeviceUuids?: string[];
}

export interface ManifestSignature {
  signature: string;
  signing_key_prn: string;
  /** Base64 raw Ed25519 key. */
  public_value: string;
}

/** One bundle binary with everything `/update` reports about it. */
export interface ManifestEntry {
  binary: Binary;
  artifact: Artifact;
  artifact_version: ArtifactVersion;
  signatures: ManifestSignature[];
}

export function updateContextReader(ctx: Ctx, t: Tables, repos: { devices: DevicesRepo; bundleOverrides: BundleOverridesRepo }) {
  const cached = memo(ctx);
  const cohortFacts = (cohortUuid: string) =>
    cached(`cohort:${cohortUuid}`, () => {
      const releases = t.releases.where('cohort_uuid = ?', cohortUuid);
      const byCount = releases.some((r) => r.phase_value !== null && r.phase_value >= 2);
      return { releases, ...(byCount ? { cohortDeviceUuids: repos.devices.uuidsOfCohort(cohortUuid) } : {}) };
    });
  const bundle = (uuid: string): Bundle => cached(`bundle:${uuid}`, () => t.bundles.must(uuid));
  const manifest = (bundleUuid: string): ManifestEntry[] =>
    cached(`manifest:${bundleUuid}`, () =>
      bundle(bundleUuid).binary_uuids.map((uuid) => {
        const binary = t.binaries.must(uuid);
        const version = t.artifactVersions.must(binary.artifact_version_uuid);
        const signatures = t.binarySignatures.where('binary_uuid = ?', uuid).map((s) => {
          const key = t.signingKeys.must(s.signing_key_uuid);
          return { signature: s.signature, signing_key_prn: key.prn, public_value: key.public_value };
        });
        return { binary, artifact: t.artifacts.must(version.artifact_uuid), artifact_version: version, signatures };
      }),
    );
  return {
    /** Shared with later calls until the store changes: treat it as read-only. */
    updateContext(device: { uuid: string; cohort_uuid: string | null }): UpdateContext {
      return cached(`context:${device.uuid}/${device.cohort_uuid}`, () => {
        const facts = device.cohort_uuid === null ? { releases: [] } : cohortFacts(device.cohort_uuid);
        const bundleOverrides = repos.bundleOverrides.listForDevice(device.uuid);
        const uuids = new Set([...facts.releases.map((r) => r.bundle_uuid), ...bundleOverrides.map((o) => o.bundle_uuid)]);
        return { ...facts, bundleOverrides, bundles: [...uuids].map(bundle) };
      });
    },
    /** The bundle's binaries in order, with artifact, version and signatures (memoised per generation). */
    manifest,
  };
}
