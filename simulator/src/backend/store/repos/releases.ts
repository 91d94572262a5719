import { compareVersions } from '@vfleet/core';
import type { Ctx } from '../context.js';
import { Fields } from '../fields.js';
import { optRequirement, optVersion } from '../semver-fields.js';
import type { Tables } from '../tables.js';
import type { Release } from '../types.js';

export interface ReleaseInput {
  /** A chosen id (UUID or PRN); random when absent. */
  uuid?: string;
  cohort_uuid: string;
  bundle_uuid: string;
  name: string;
  version?: string | null;
  version_requirement?: string | null;
  next_release_uuid?: string | null;
  /** Links this release in after that one (its old next release follows this one). */
  previous_release_uuid?: string | null;
  required?: boolean;
  disabled?: boolean;
  /** Defaults to now. */
  schedule_date?: string;
  phase_value?: number | null;
  phase_tags?: string[] | null;
  description?: string | null;
}

/** Setting one phase mode clears the other unless both are given. */
export type ReleasePatch = Partial<
  Pick<ReleaseInput, 'name' | 'description' | 'required' | 'disabled' | 'schedule_date' | 'phase_value' | 'phase_tags' | 'next_release_uuid'>
>;

const CREATE = ['uuid', 'cohort_uuid', 'bundle_uuid', 'name', 'version', 'version_requirement', 'next_release_uuid', 'previous_release_uuid', 'required', 'disabled', 'schedule_date', 'phase_value', 'phase_tags', 'description'];
const PATCH = ['name', 'description', 'required', 'disabled', 'schedule_date', 'phase_value', 'phase_tags', 'next_release_uuid'];

function phaseValue(f: Fields): number | null {
  if (!f.has('phase_value') || f.isNull('phase_value')) return null;
  const v = f.number('phase_value');
  if ((v >= 0 && v <= 1) || (Number.isInteger(v) && v >= 2)) return v;
  return f.fail('phase_value', `${v} is neither a fraction from 0.0 to 1.0 nor a device count (integer ≥ 2)`);
}

export function releasesRepo(ctx: Ctx, { releases, cohorts, bundles }: Tables) {
  const foreignBinary = ctx.db.prepare(`
    SELECT b.uuid FROM bundle_binaries bb JOIN binaries b ON b.uuid = bb.binary_uuid
    JOIN artifact_versions v ON v.uuid = b.artifact_version_uuid JOIN artifacts a ON a.uuid = v.artifact_uuid
    WHERE bb.bundle_uuid = ? AND a.product_uuid != ? LIMIT 1`).pluck();
  const predecessorOf = (uuid: string): Release | undefined => releases.where('next_release_uuid = ?', uuid)[0];

  const checkName = (f: Fields, cohortUuid: string, uuid?: string): string => {
    const name = f.text('name', 100);
    const clash = releases.where('cohort_uuid = ? AND name = ?', cohortUuid, name)[0];
    if (clash !== undefined && clash.uuid !== uuid) f.fail('name', `the cohort already has a release named ${JSON.stringify(name)}`, 'conflict');
    return name;
  };
  const sameCohort = (f: Fields, field: string, uuid: string, cohortUuid: string): Release => {
    const other = releases.get(uuid) ?? f.fail(field, `no release ${JSON.stringify(uuid)}`, 'reference');
    if (other.cohort_uuid !== cohortUuid) f.fail(field, `release ${other.name} is in another cohort`);
    return other;
  };
  /** Validates `next_release_uuid` for release `self` (undefined while creating); `linking` is about to let go of it. */
  const nextOf = (f: Fields, cohortUuid: string, self?: string, linking?: string): string | null => {
    const next = f.optRef('next_release_uuid', 'release');
    if (next === null) return null;
    if (next === self) f.fail('next_release_uuid', 'a release cannot follow itself');
    sameCohort(f, 'next_release_uuid', next, cohortUuid);
    const pred = predecessorOf(next);
    if (pred !== undefined && pred.uuid !== self && pred.uuid !== linking) f.fail('next_release_uuid', `release ${pred.name} already leads to it`, 'conflict');
    for (let at: string | null = next, hops = 0; at !== null; hops++) {
      if (at === self || (at === linking && linking !== undefined) || hops > 10_000) f.fail('next_release_uuid', 'would make the release chain a loop');
      at = releases.must(at).next_release_uuid;
    }
    return next;
  };
  const phase = (f: Fields, current?: Release): { phase_value?: number | null; phase_tags?: string[] | null } => {
    const out: { phase_value?: number | null; phase_tags?: string[] | null } = {};
    if (f.has('phase_value')) out.phase_value = phaseValue(f);
    if (f.has('phase_tags')) out.phase_tags = f.optStrings('phase_tags');
    if (out.phase_value != null && out.phase_tags != null) f.fail('phase_tags', 'give phase_tags or phase_value, not both');
    if (current !== undefined) {
      if (out.phase_value != null && !f.has('phase_tags')) out.phase_tags = null;
      if (out.phase_tags != null && !f.has('phase_value')) out.phase_value = null;
    }
    return out;
  };

  return {
    create(input: ReleaseInput): Release {
      const f = new Fields('release', input, CREATE);
      const cohortUuid = f.ref('cohort_uuid', 'cohort');
      const cohort = cohorts.get(cohortUuid) ?? f.fail('cohort_uuid', `no cohort ${JSON.stringify(cohortUuid)}`, 'reference');
      const bundleUuid = f.ref('bundle_uuid', 'bundle');
      if (!bundles.exists(bundleUuid)) f.fail('bundle_uuid', `no bundle ${JSON.stringify(bundleUuid)}`, 'reference');
      const foreign = foreignBinary.get(bundleUuid, cohort.product_uuid);
      if (typeof foreign === 'string') f.fail('bundle_uuid', `binary ${foreign} of the bundle belongs to another product than cohort ${cohort.name}`);
      const name = checkName(f, cohortUuid);
      const version = optVersion(f, 'version');
      const requirement = optRequirement(f, 'version_requirement');
      if (requirement !== null && version === null) f.fail('version_requirement', 'needs a version on the release too');
      if (version !== null) {
        const twin = releases.where('cohort_uuid = ? AND version IS NOT NULL', cohortUuid).find((r) => compareVersions(r.version as string, version) === 0);
        if (twin !== undefined) f.fail('version', `release ${twin.name} of this cohort already has version ${twin.version}`, 'conflict');
      }
      const previousUuid = f.optRef('previous_release_uuid', 'release');
      const previous = previousUuid === null ? undefined : sameCohort(f, 'previous_release_uuid', previousUuid, cohortUuid);
      const next = f.has('next_release_uuid') ? nextOf(f, cohortUuid, undefined, previous?.uuid) : (previous?.next_release_uuid ?? null);
      const { phase_value = null, phase_tags = null } = phase(f);
      const row = {
        cohort_uuid: cohortUuid, bundle_uuid: bundleUuid, name, version, version_requirement: requirement,
        required: f.bool('required', false), disabled: f.bool('disabled', false),
        schedule_date: f.has('schedule_date') ? f.iso('schedule_date') : ctx.now(),
        phase_value, phase_tags, description: f.optText('description'),
      };
      return ctx.db.transaction(() => {
        if (previous !== undefined) releases.update(previous.uuid, { next_release_uuid: null });
        const created = releases.insert({ ...row, next_release_uuid: next }, f.chosenUuid('release'));
        if (previous !== undefined) releases.update(previous.uuid, { next_release_uuid: created.uuid });
        return created;
      })();
    },
    get: (uuid: string): Release | undefined => releases.get(uuid),
    list: (filter: { cohort_uuid?: string } = {}): Release[] =>
      filter.cohort_uuid === undefined ? releases.list() : releases.where('cohort_uuid = ?', filter.cohort_uuid),
    update(uuid: string, patch: ReleasePatch): Release {
      const current = releases.must(uuid);
      const f = new Fields('release', patch, PATCH);
      return releases.update(uuid, {
        ...(f.has('name') ? { name: checkName(f, current.cohort_uuid, uuid) } : {}),
        ...(f.has('description') ? { description: f.optText('description') } : {}),
        ...(f.has('required') ? { required: f.bool('required', current.required) } : {}),
        ...(f.has('disabled') ? { disabled: f.bool('disabled', current.disabled) } : {}),
        ...(f.has('schedule_date') ? { schedule_date: f.iso('schedule_date') } : {}),
        ...(f.has('next_release_uuid') ? { next_release_uuid: nextOf(f, current.cohort_uuid, uuid) } : {}),
        ...phase(f, current),
      });
    },
    /** Unlinks the release from its chain: its predecessor then leads to its successor. */
    delete(uuid: string): void {
      const current = releases.must(uuid);
      const pred = predecessorOf(uuid);
      ctx.db.transaction(() => {
        if (current.next_release_uuid !== null) releases.update(uuid, { next_release_uuid: null });
        if (pred !== undefined) releases.update(pred.uuid, { next_release_uuid: current.next_release_uuid });
        releases.remove(uuid, 'nothing');
      })();
    },
  };
}

export type ReleasesRepo = ReturnType<typeof releasesRepo>;
