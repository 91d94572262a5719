// Test helpers over the admin API's JSON envelopes ({ "releases": [...] }, { "release": {...} }).
import { Readable } from 'node:stream';
import type { AdminClient } from '../backend/admin-client.js';

/** What `osRelease` publishes: one arm64-v8 binary of an artifact at v1.13.0, on the release cohort after r1001. */
export interface OsReleaseSpec {
  artifactUuid: string;
  content: Buffer | { stream: Readable; size: number };
  bundle: string;
  name: string;
  /** The release's version (what devices report once they run it). */
  version: string;
}

export type AdminRow = { uuid: string; name?: string; prn: string; state?: string; size?: number } & Record<string, unknown>;

/** `rows`, `first` and `create` for an admin client that may be assigned after this call (in a beforeAll). */
export function adminRows(admin: () => AdminClient) {
  const rows = async (path: string): Promise<AdminRow[]> => Object.values(await admin().call('GET', `/api/v1/${path}`))[0] as AdminRow[];
  const first = async (path: string, match: (r: AdminRow) => boolean): Promise<AdminRow> => (await rows(path)).find(match) as AdminRow;
  const create = async (path: string, body: unknown): Promise<AdminRow> => Object.values(await admin().call('POST', `/api/v1/${path}`, body))[0] as AdminRow;
  /** Version, binary (uploaded, signed with the release key), bundle and enabled release, as the EVK's OS updates are made. */
  const osRelease = async (o: OsReleaseSpec): Promise<AdminRow> => {
    const version = await create('artifact-versions', { artifact_uuid: o.artifactUuid, version: 'v1.13.0' });
    const binary = await create('binaries', { artifact_version_uuid: version.uuid, target: 'arm64-v8' });
    const { stream, size } = Buffer.isBuffer(o.content) ? { stream: Readable.from([o.content]), size: o.content.length } : o.content;
    await admin().upload(`/api/v1/binaries/${binary.uuid}/content`, stream, size);
    const key = await first('signing-keys', (k) => k.name === 'release-signing-key');
    await admin().call('POST', `/api/v1/binaries/${binary.uuid}/signatures`, { signing_key_uuid: key.uuid });
    const bundle = await create('bundles', { name: o.bundle, binary_uuids: [binary.uuid] });
    const cohort = await first('cohorts', (c) => c.name === 'release');
    const r1001 = await first('releases', (r) => r.name === 'release-r1001');
    return create('releases', { cohort_uuid: cohort.uuid, bundle_uuid: bundle.uuid, name: o.name, version: o.version, phase_value: 1.0, previous_release_uuid: r1001.uuid });
  };
  return { rows, first, create, osRelease };
}
