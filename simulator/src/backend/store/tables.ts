import type { Ctx } from './context.js';
import { Table, type Row } from './table.js';
import type {
  Artifact, ArtifactVersion, Binary, BinarySignature, Bundle, BundleOverride, CaCertificate, Cohort,
  Device, DeviceCertificate, Product, Release, SigningKey, Tunnel,
} from './types.js';

export type Tables = ReturnType<typeof makeTables>;

export function makeTables(ctx: Ctx) {
  const bundleBinaries = ctx.db.prepare('SELECT binary_uuid FROM bundle_binaries WHERE bundle_uuid = ? ORDER BY position').pluck();
  const overrideDevices = ctx.db.prepare('SELECT device_uuid FROM bundle_override_devices WHERE bundle_override_uuid = ? ORDER BY rowid').pluck();
  const signingKey = (row: Row): Row => {
    const { private_key_pem, ...rest } = row;
    return { ...rest, has_private_key: typeof private_key_pem === 'string' };
  };
  return {
    products: new Table<Product>(ctx, 'products', 'product', 'product'),
    cohorts: new Table<Cohort>(ctx, 'cohorts', 'cohort', 'cohort'),
    caCertificates: new Table<CaCertificate>(ctx, 'ca_certificates', 'ca_certificate', 'ca_certificate', { json: ['jitp'] }),
    signingKeys: new Table<SigningKey>(ctx, 'signing_keys', 'signing_key', 'signing_key', { finish: signingKey }),
    artifacts: new Table<Artifact>(ctx, 'artifacts', 'artifact', 'artifact', { json: ['custom_metadata'] }),
    artifactVersions: new Table<ArtifactVersion>(ctx, 'artifact_versions', 'artifact_version', 'artifact_version'),
    binaries: new Table<Binary>(ctx, 'binaries', 'binary', 'binary', { json: ['custom_metadata'] }),
    binarySignatures: new Table<BinarySignature>(ctx, 'binary_signatures', 'binary_signature', 'binary_signature'),
    bundles: new Table<Bundle>(ctx, 'bundles', 'bundle', 'bundle', {
      finish: (row) => ({ ...row, binary_uuids: bundleBinaries.all(row['uuid']) }),
    }),
    releases: new Table<Release>(ctx, 'releases', 'release', 'release', { bools: ['required', 'disabled'], json: ['phase_tags'] }),
    bundleOverrides: new Table<BundleOverride>(ctx, 'bundle_overrides', 'bundle_override', 'bundle_override', {
      finish: (row) => ({ ...row, device_uuids: overrideDevices.all(row['uuid']) }),
    }),
    devices: new Table<Device>(ctx, 'devices', 'device', 'device', { bools: ['quarantined', 'online'], json: ['tags'] }),
    deviceCertificates: new Table<DeviceCertificate>(ctx, 'device_certificates', 'device_certificate', 'device_certificate'),
    tunnels: new Table<Tunnel>(ctx, 'tunnels', 'tunnel', 'tunnel', { json: ['cidr_block_allowlist'] }),
  };
}
