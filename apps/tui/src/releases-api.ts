import type { AdminClient } from '@vfleet/simulator';

export interface ReleaseRow {
  uuid: string;
  name: string;
  cohort_uuid: string;
  version: string | null;
  version_requirement: string | null;
  disabled: boolean;
  phase_value: number | null;
  phase_tags: string[] | null;
}

/** An artifact version a release can be created from (its signed binaries). */
export interface ArtifactChoice {
  artifact: string;
  version: string;
  binaryUuids: string[];
}

export interface ReleasesApi {
  list(): Promise<ReleaseRow[]>;
  setDisabled(uuid: string, disabled: boolean): Promise<void>;
  /** Fraction 0..1 or a device count ≥ 2. */
  setPhaseValue(uuid: string, value: number): Promise<void>;
  setPhaseTags(uuid: string, tags: string[] | null): Promise<void>;
  artifacts(): Promise<ArtifactChoice[]>;
  /** A disabled release in `cohortUuid` whose bundle holds the artifact version's signed binaries. */
  createFromArtifact(choice: ArtifactChoice, opts: { name: string; version: string; cohortUuid: string }): Promise<ReleaseRow>;
  /** Every binary uuid the backend hosts (for download fault injection). */
  binaryUuids(): Promise<string[]>;
}

type Row = Record<string, unknown> & { uuid: string };

const isString = (v: unknown) => typeof v === 'string';
const kind = (v: unknown) => (v === null ? 'null' : v === undefined ? 'missing' : Array.isArray(v) ? 'a list' : `a ${typeof v}`);
const orNull = (test: (v: unknown) => boolean) => (v: unknown) => v === null || test(v);
/** What the releases view reads of each release, and the type each must have. */
const RELEASE_FIELDS: Array<[keyof ReleaseRow, string, (v: unknown) => boolean]> = [
  ['name', 'a string', isString],
  ['cohort_uuid', 'a string', isString],
  ['version', 'a string or null', orNull(isString)],
  ['version_requirement', 'a string or null', orNull(isString)],
  ['disabled', 'a boolean', (v) => typeof v === 'boolean'],
  ['phase_value', 'a number or null', orNull((v) => typeof v === 'number')],
  ['phase_tags', 'a list of strings or null', orNull((v) => Array.isArray(v) && v.every(isString))],
];

/** The first field of a listed release the view cannot show (a null name ended the TUI), as `releases[i].field`. */
function badReleaseField(rows: Row[]): string | undefined {
  for (const [i, r] of rows.entries()) {
    for (const [field, want, ok] of RELEASE_FIELDS) if (!ok(r[field])) return `releases[${i}].${field} is ${kind(r[field])}, expected ${want}`;
  }
  return undefined;
}

/** The admin API calls the TUI makes, typed. */
export function createReleasesApi(client: AdminClient): ReleasesApi {
  // a listing is `{ <plural>: [ {uuid, …}, … ] }`; anything else (a backend of another version, a
  // proxy's page) is one clear error, never a TypeError deeper in the TUI
  const list = async <T>(path: string): Promise<T[]> => {
    const rows = Object.values(await client.call('GET', `/api/v1/${path}`))[0];
    if (!Array.isArray(rows) || !rows.every((r) => typeof r === 'object' && r !== null && typeof (r as { uuid?: unknown }).uuid === 'string')) {
      throw new Error(`admin API GET /api/v1/${path}: expected a list of objects with a uuid`);
    }
    return rows as T[];
  };
  return {
    async list() {
      const rows = await list<Row>('releases');
      const bad = badReleaseField(rows);
      if (bad !== undefined) throw new Error(`admin API GET /api/v1/releases: ${bad}`);
      return rows as unknown as ReleaseRow[];
    },
    async setDisabled(uuid, disabled) {
      await client.call('PATCH', `/api/v1/releases/${uuid}`, { disabled });
    },
    async setPhaseValue(uuid, value) {
      await client.call('PATCH', `/api/v1/releases/${uuid}`, { phase_value: value });
    },
    async setPhaseTags(uuid, tags) {
      await client.call('PATCH', `/api/v1/releases/${uuid}`, { phase_tags: tags });
    },
    async artifacts() {
      const [artifacts, versions, binaries] = await Promise.all([list<Row>('artifacts'), list<Row>('artifact-versions'), list<Row>('binaries')]);
      return versions
        .map((v) => ({
          artifact: String(artifacts.find((a) => a.uuid === v['artifact_uuid'])?.['name'] ?? v['artifact_uuid']),
          version: String(v['version']),
          binaryUuids: binaries.filter((b) => b['artifact_version_uuid'] === v.uuid && b['state'] === 'signed').map((b) => b.uuid),
        }))
        .filter((c) => c.binaryUuids.length > 0)
        .sort((a, b) => a.artifact.localeCompare(b.artifact) || a.version.localeCompare(b.version));
    },
    async createFromArtifact(choice, opts) {
      const { bundle } = await client.call<{ bundle: Row }>('POST', '/api/v1/bundles', { name: `${opts.name}-bundle`, binary_uuids: choice.binaryUuids });
      const { release } = await client.call<{ release: ReleaseRow }>('POST', '/api/v1/releases', {
        name: opts.name,
        cohort_uuid: opts.cohortUuid,
        bundle_uuid: bundle.uuid,
        version: opts.version,
        disabled: true,
        phase_value: 1,
      });
      return release;
    },
    async binaryUuids() {
      return (await list<Row>('binaries')).map((b) => b.uuid);
    },
  };
}

/** Parses a phase value typed by a user: `50%`, `0.5` or a device count `3`; the error says what is accepted. */
export function parsePhaseValue(text: string): { value: number } | { error: string } {
  const t = text.trim();
  const n = t.endsWith('%') ? Number(t.slice(0, -1)) / 100 : Number(t);
  if (t === '' || !Number.isFinite(n) || n < 0 || (n > 1 && !Number.isInteger(n)) || (t.endsWith('%') && n > 1)) {
    return { error: `${JSON.stringify(t)} is not a phase value: give a percentage (50%), a fraction 0..1 or a device count ≥ 2` };
  }
  return { value: n };
}

/** How a release's phase reads in a table cell. */
export function phaseText(r: ReleaseRow): string {
  if (r.phase_tags && r.phase_tags.length > 0) return `tags ${r.phase_tags.join(',')}`;
  if (r.phase_value === null) return 'everyone';
  return r.phase_value <= 1 ? `${Math.round(r.phase_value * 100)}%` : `${r.phase_value} devices`;
}
