import { readFileSync } from 'node:fs';
import { createVerificationCertificate } from '@vfleet/core';
import { Readable } from 'node:stream';
import { BOOT_HEADER_SIZE, DEFAULT_DISK_SIZE, abLayout } from '@vfleet/core';
import { buildOsFwupArchive } from '../artifacts/os-archive.js';
import { loadProduct } from '../product/product.js';
import { workspacePaths } from '../workspace/home.js';
import { readWorkspace } from '../workspace/load.js';
import type { AdminClient } from './admin-client.js';
import { deterministicContent } from './deterministic-content.js';

export interface SeedOptions {
  home: string;
  client: AdminClient;
  /** Binary sizes are the EVK's times this (tests use a small fraction). */
  sizeScale?: number;
  /** The device disk the OS artifact's fwup archives target (its A/B layout); default 256 MiB. */
  diskBytes?: number;
  log?: (line: string) => void;
}

type Row = { uuid: string; prn: string; name?: string; version?: string; target?: string; identifier?: string; state?: string; fingerprint?: string };

/**
 * Creates the EVK product of protocol §8.4 in the backend, idempotently: cohorts with JITP-enabled
 * intermediates, signing keys, artifacts with deterministic content of the EVK's sizes (the fwup
 * artifact as a real fwup OS archive of its version, see binaryContent), bundles
 * r1001/r1002, releases (r1001 enabled; r1002 disabled, `~> 1.1`, phase tag canary) and the canaries.
 * Ids come from the product definition, so devices generated earlier already report r1001.
 */
export async function seedEvk(opts: SeedOptions): Promise<{ created: number }> {
  const { client } = opts;
  const log = opts.log ?? (() => undefined);
  const ws = readWorkspace(opts.home);
  const paths = workspacePaths(opts.home);
  const product = loadProduct(ws.product);
  const scale = opts.sizeScale ?? 1;
  let created = 0;
  const list = async (path: string): Promise<Row[]> => Object.values(await client.call('GET', `/api/v1/${path}`))[0] as Row[];
  const ensure = async (path: string, match: (r: Row) => boolean, body: Record<string, unknown>): Promise<Row> => {
    const found = (await list(path)).find(match);
    if (found) return found;
    created++;
    return Object.values(await client.call('POST', `/api/v1/${path}`, body))[0] as Row;
  };

  const prod = await ensure('products', (r) => r.name === product.product, { name: product.product });
  const cohorts = new Map<string, Row>();
  for (const name of product.cohorts) {
    cohorts.set(name, await ensure('cohorts', (r) => r.name === name, { product_uuid: prod.uuid, name }));
  }
  const cas = await list('ca-certificates');
  for (const [name, cohort] of cohorts) {
    const pem = readFileSync(paths.intermediateCert(product.product, name), 'utf8');
    if (cas.some((c) => (c as Row & { certificate_pem?: string }).certificate_pem?.trim() === pem.trim())) continue;
    created++;
    // proof of possession, as the EVK registers its intermediates (protocol §8.4)
    const { verification_code: code } = await client.call<{ verification_code: { verification_code: string } }>('POST', '/api/v1/ca-certificates/verification-codes');
    const proof = createVerificationCertificate({ code: code.verification_code, issuer: { certPem: pem, keyPem: readFileSync(paths.intermediateKey(product.product, name), 'utf8') } });
    await client.call('POST', '/api/v1/ca-certificates', {
      certificate_pem: pem,
      verification_certificate_pem: proof.certPem,
      cohort_uuid: cohort.uuid,
      description: `Intermediate CA ${product.product} ${name}`,
      jitp: { cohort_uuid: cohort.uuid, product_name: product.product, tags: ['JITP'], target: 'arm64-v8', description: 'JITP' },
    });
  }
  const keys = new Map<string, Row>();
  for (const name of product.cohorts) {
    keys.set(name, await ensure('signing-keys', (r) => r.name === `${name}-signing-key`, {
      name: `${name}-signing-key`,
      private_key_pem: readFileSync(paths.signingPrivateKey(name), 'utf8'),
    }));
  }
  const signer = keys.get(product.deviceCohort) as Row;
  const binaries = await list('binaries');
  for (const artifact of product.artifacts) {
    const art = await ensure('artifacts', (r) => r.uuid === artifact.uuid, { uuid: artifact.uuid, product_uuid: prod.uuid, name: artifact.name, custom_metadata: artifact.customMetadata });
    for (const version of artifact.versions) {
      await ensure('artifact-versions', (r) => r.uuid === version.uuid, { uuid: version.uuid, artifact_uuid: art.uuid, version: version.version });
      for (const b of version.binaries) {
        let row = binaries.find((r) => r.uuid === b.uuid);
        row ??= Object.values(await client.call('POST', '/api/v1/binaries', { uuid: b.uuid, artifact_version_uuid: version.uuid, target: b.target }))[0] as Row;
        const size = Math.max(1, Math.round(b.size * scale));
        if (row.state === 'uploadable') {
          created++;
          const content = binaryContent(artifact, version.version, b.target, size, opts.diskBytes ?? DEFAULT_DISK_SIZE);
          log(`uploading ${artifact.name} ${version.version} ${b.target} (${content.size} bytes)`);
          await client.upload(`/api/v1/binaries/${b.uuid}/content`, content.stream, content.size);
          row = { ...row, state: 'uploaded' };
        }
        if (row.state === 'uploaded') await client.call('POST', `/api/v1/binaries/${b.uuid}/signatures`, { signing_key_uuid: signer.uuid });
      }
    }
  }
  for (const bundle of product.bundles) {
    const uuids = product.artifacts.flatMap((a) => a.versions.filter((v) => v.version === bundle.artifactVersions[a.name]).flatMap((v) => v.binaries.map((b) => b.uuid)));
    await ensure('bundles', (r) => r.uuid === bundle.uuid, { uuid: bundle.uuid, name: bundle.name, binary_uuids: uuids });
  }
  for (const release of product.releases) {
    const previous = product.releases.find((r) => r.name === release.previous);
    await ensure('releases', (r) => r.uuid === release.uuid, {
      uuid: release.uuid,
      cohort_uuid: cohorts.get(release.cohort)?.uuid,
      bundle_uuid: product.bundles.find((b) => b.name === release.bundle)?.uuid,
      name: release.name,
      version: release.version,
      version_requirement: release.versionRequirement,
      disabled: release.disabled,
      ...(release.phase.tags ? { phase_tags: release.phase.tags } : { phase_value: release.phase.value ?? 1 }),
      ...(previous ? { previous_release_uuid: previous.uuid } : {}),
    });
  }
  for (const device of product.devices.filter((d) => d.registered)) {
    await ensure('devices', (r) => r.identifier === device.id, {
      product_uuid: prod.uuid,
      identifier: device.id,
      cohort_uuid: cohorts.get(product.deviceCohort)?.uuid,
      tags: device.tags,
      target: device.target,
    });
  }
  return { created };
}

type ProductArtifact = ReturnType<typeof loadProduct>['artifacts'][number];

/**
 * What a binary's upload holds: for an artifact peridiod installs with fwup (the OS), an fwup OS
 * archive of that version whose image is `size` bytes (at least a boot header, at most a slot), so a
 * `--env disk` device applies it A/B; any other artifact gets `size` deterministic bytes.
 */
export function binaryContent(artifact: ProductArtifact, version: string, target: string, size: number, diskBytes: number): { stream: Readable; size: number } {
  const peridiod = artifact.customMetadata['peridiod'] as { installer?: unknown } | undefined;
  if (peridiod?.installer !== 'fwup') return { stream: deterministicContent(`${artifact.name}/${version}/${target}`, size), size };
  const fw = buildOsFwupArchive({
    name: artifact.name,
    version: version.replace(/^v/, ''),
    size: osImageSize(size, diskBytes),
    health: 'ok',
    architecture: target,
    diskBytes,
  });
  return { stream: Readable.from([fw]), size: fw.length };
}

function osImageSize(size: number, diskBytes: number): number {
  const slot = abLayout({ sizeBytes: diskBytes, envRedundant: true }).slots.a.size;
  return Math.min(Math.max(size, BOOT_HEADER_SIZE), slot);
}
