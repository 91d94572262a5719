import { binRecord, makePrn } from '@vfleet/core';
import type { Product, ProductBinary } from './product.js';

export interface BundleBinary {
  artifact: string;
  artifactVersion: string;
  binary: ProductBinary;
  customMetadata: Record<string, unknown>;
}

/** Every binary of a bundle whose target the device installs, in artifact order (as the EVK does). */
export function bundleBinaries(product: Product, bundleName: string, targets: readonly string[]): BundleBinary[] {
  const bundle = product.bundles.find((b) => b.name === bundleName);
  if (!bundle) throw new Error(`product ${product.product} has no bundle ${bundleName}`);
  const out: BundleBinary[] = [];
  for (const artifact of product.artifacts) {
    const wanted = bundle.artifactVersions[artifact.name];
    const version = artifact.versions.find((v) => v.version === wanted);
    if (!version) continue;
    for (const binary of version.binaries) {
      if (targets.includes(binary.target)) {
        out.push({ artifact: artifact.name, artifactVersion: version.version, binary, customMetadata: artifact.customMetadata });
      }
    }
  }
  return out;
}

/**
 * The U-Boot variables of a device that already runs the product's installed release
 * (protocol §3.4: the three variables the EVK seeds).
 */
export function installedStateVars(product: Product, organizationUuid: string, targets: readonly string[]): Map<string, string> {
  const release = product.releases.find((r) => r.name === product.installedRelease);
  if (!release) throw new Error(`product ${product.product} has no release ${product.installedRelease}`);
  const records = bundleBinaries(product, release.bundle, targets).map((b) => binRecord(b.binary.uuid, b.customMetadata));
  return new Map([
    ['peridio_rel_current', makePrn(organizationUuid, 'release', release.uuid)],
    ['peridio_vsn_current', release.version],
    ['peridio_bin_current', records.join('')],
  ]);
}

/** The installed release's OS (its binary is installed by fwup), if the device's targets take one. */
export function installedOs(product: Product, targets: readonly string[]): { name: string; version: string } | undefined {
  const release = product.releases.find((r) => r.name === product.installedRelease);
  if (!release) return undefined;
  const os = bundleBinaries(product, release.bundle, targets).find((b) => {
    const peridiod = b.customMetadata['peridiod'] as { installer?: unknown } | undefined;
    return peridiod?.installer === 'fwup';
  });
  return os && { name: os.artifact, version: os.artifactVersion.replace(/^v/, '') };
}

/** What the virtual bootloader expects on a fresh A/B device running `os` from slot a. */
export function abBootVars(os: { name: string; version: string }): Map<string, string> {
  return new Map([
    ['peridio_active', 'a'],
    ['a.peridio_product', os.name],
    ['a.peridio_version', os.version],
    ['bootcount', '0'],
    ['bootlimit', '3'],
    ['peridio_autovalidate', '1'],
    ['peridio_validated', '1'],
  ]);
}
