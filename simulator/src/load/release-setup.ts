import { VfleetError } from '@vfleet/core';
import type { AdminClient } from '../backend/admin-client.js';
import { deterministicContent } from '../backend/deterministic-content.js';
import { loadProduct } from '../product/product.js';
import type { ScenarioRelease } from './scenario.js';

type Row = Record<string, unknown> & { uuid: string; name?: string };

export interface PreparedRelease {
  uuid: string;
  name: string;
  version: string;
  /** Binaries of the release's bundle: uuid, target and size. */
  binaries: Array<{ uuid: string; target: string; size: number }>;
}

const list = async (client: AdminClient, what: string): Promise<Row[]> => Object.values(await client.call('GET', `/api/v1/${what}`))[0] as Row[];
const created = (r: Record<string, unknown>): Row => Object.values(r)[0] as Row;

/**
 * The scenario's release in the embedded backend: looked up by name, or (with `create`) made like
 * bench/rollout.mjs does — one `file` binary of the given size, signed, in a disabled release that
 * follows the devices' installed release.
 */
export async function prepareRelease(client: AdminClient, release: ScenarioRelease, target = 'arm64-v8'): Promise<PreparedRelease> {
  const releases = await list(client, 'releases');
  let row = releases.find((r) => r.name === release.name);
  if (!row && !release.create) {
    throw new VfleetError('VFLEET_USAGE', `release ${JSON.stringify(release.name)}: not in the embedded backend (have ${releases.map((r) => r.name).join(', ') || 'none'}); add release.create to make it`);
  }
  if (!row && release.create) row = await createRelease(client, release, release.create, releases, target);
  const r = row as Row;
  if (r['version'] !== undefined && r['version'] !== null && r['version'] !== release.version) {
    throw new VfleetError('VFLEET_USAGE', `release ${release.name} has version ${String(r['version'])}, the scenario says ${release.version}`);
  }
  const bundle = (await list(client, 'bundles')).find((b) => b.uuid === r['bundle_uuid']);
  const binaryUuids = (bundle?.['binary_uuids'] as string[] | undefined) ?? [];
  const binaries = (await list(client, 'binaries'))
    .filter((b) => binaryUuids.includes(b.uuid))
    .map((b) => ({ uuid: b.uuid, target: String(b['target']), size: Number(b['size'] ?? 0) }));
  return { uuid: r.uuid, name: release.name, version: release.version, binaries };
}

async function createRelease(client: AdminClient, release: ScenarioRelease, create: NonNullable<ScenarioRelease['create']>, releases: Row[], target: string): Promise<Row> {
  const product = loadProduct();
  const prod = (await list(client, 'products')).find((p) => p.name === product.product);
  const cohort = (await list(client, 'cohorts')).find((c) => c.name === product.deviceCohort);
  const key = (await list(client, 'signing-keys')).find((k) => k.name === `${product.deviceCohort}-signing-key`);
  const previous = releases.find((r) => r.name === product.installedRelease);
  if (!prod || !cohort || !key || !previous) throw new VfleetError('VFLEET_WORKSPACE', `embedded backend: the ${product.product} product is not seeded (product, cohort, signing key or ${product.installedRelease} missing)`);
  const art = created(await client.call('POST', '/api/v1/artifacts', {
    product_uuid: prod.uuid,
    name: `${release.name}-payload`,
    custom_metadata: { peridiod: { installer: 'file', installer_opts: { path: '/opt/vfleet-load', name: 'payload.bin' }, reboot_required: create.reboot } },
  }));
  const ver = created(await client.call('POST', '/api/v1/artifact-versions', { artifact_uuid: art.uuid, version: `v${release.version}` }));
  const bin = created(await client.call('POST', '/api/v1/binaries', { artifact_version_uuid: ver.uuid, target }));
  await client.upload(`/api/v1/binaries/${bin.uuid}/content`, deterministicContent(`load/${release.name}`, create.binaryBytes), create.binaryBytes);
  await client.call('POST', `/api/v1/binaries/${bin.uuid}/signatures`, { signing_key_uuid: key.uuid });
  const bundle = created(await client.call('POST', '/api/v1/bundles', { name: release.name, binary_uuids: [bin.uuid] }));
  return created(await client.call('POST', '/api/v1/releases', {
    cohort_uuid: cohort.uuid,
    bundle_uuid: bundle.uuid,
    name: release.name,
    version: release.version,
    disabled: true,
    phase_value: 1.0,
    previous_release_uuid: previous.uuid,
  }));
}
