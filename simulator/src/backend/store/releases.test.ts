import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStoreError } from './errors.js';
import { seedCatalog } from './fixtures/seed.js';
import { tempStore, type TempStore } from './fixtures/temp-store.js';

let t: TempStore;
let s: ReturnType<typeof seedCatalog>;
beforeEach(() => {
  t = tempStore({ now: () => new Date('2026-03-01T12:00:00Z') });
  s = seedCatalog(t.store);
});
afterEach(() => t.cleanup());

const chainFrom = (uuid: string): string[] => {
  const names: string[] = [];
  for (let at: string | null = uuid; at !== null; ) {
    const r = t.store.releases.get(at);
    if (r === undefined) break;
    names.push(r.name);
    at = r.next_release_uuid;
  }
  return names;
};

const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (isStoreError(e)) return `${e.kind} ${e.field}`;
    throw e;
  }
  return 'no error';
};

describe('release chains', () => {
  const add = (name: string, extra: Record<string, unknown> = {}) =>
    t.store.releases.create({ cohort_uuid: s.cohort.uuid, bundle_uuid: s.bundle2.uuid, name, ...extra });

  it('previous_release_uuid links a release in after another one', () => {
    expect(chainFrom(s.r1001.uuid)).toEqual(['release-r1001', 'release-r1002']);
    const mid = add('hotfix', { previous_release_uuid: s.r1001.uuid });
    expect(chainFrom(s.r1001.uuid)).toEqual(['release-r1001', 'hotfix', 'release-r1002']);
    expect(mid.schedule_date).toBe('2026-03-01T12:00:00.000Z');
  });

  it('deleting a release joins its neighbours', () => {
    const mid = add('hotfix', { previous_release_uuid: s.r1001.uuid });
    t.store.releases.delete(mid.uuid);
    expect(chainFrom(s.r1001.uuid)).toEqual(['release-r1001', 'release-r1002']);
  });

  it('refuses loops, a second predecessor and releases of other cohorts', () => {
    expect(failure(() => t.store.releases.update(s.r1002.uuid, { next_release_uuid: s.r1001.uuid }))).toBe('invalid release.next_release_uuid');
    expect(failure(() => t.store.releases.update(s.r1002.uuid, { next_release_uuid: s.r1002.uuid }))).toBe('invalid release.next_release_uuid');
    expect(failure(() => add('second', { next_release_uuid: s.r1002.uuid }))).toBe('conflict release.next_release_uuid');
    const other = t.store.cohorts.create({ product_uuid: s.product.uuid, name: 'daily-release' });
    const foreign = t.store.releases.create({ cohort_uuid: other.uuid, bundle_uuid: s.bundle1.uuid, name: 'daily' });
    expect(failure(() => t.store.releases.update(s.r1002.uuid, { next_release_uuid: foreign.uuid }))).toBe('invalid release.next_release_uuid');
  });

  it('refuses a bundle with binaries of another product', () => {
    const other = t.store.products.create({ name: 'other' });
    const cohort = t.store.cohorts.create({ product_uuid: other.uuid, name: 'release' });
    expect(failure(() => t.store.releases.create({ cohort_uuid: cohort.uuid, bundle_uuid: s.bundle1.uuid, name: 'x' }))).toBe('invalid release.bundle_uuid');
  });

  it('switching phase mode clears the other mode', () => {
    expect(s.r1002.phase_tags).toEqual(['canary']);
    const byValue = t.store.releases.update(s.r1002.uuid, { phase_value: 0.25 });
    expect([byValue.phase_value, byValue.phase_tags]).toEqual([0.25, null]);
    const byTags = t.store.releases.update(s.r1002.uuid, { phase_tags: ['canary', 'beta'] });
    expect([byTags.phase_value, byTags.phase_tags]).toEqual([null, ['canary', 'beta']]);
    const everyone = t.store.releases.update(s.r1002.uuid, { phase_tags: null, phase_value: null, disabled: false });
    expect([everyone.phase_value, everyone.phase_tags, everyone.disabled]).toEqual([null, null, false]);
    expect(t.store.releases.update(s.r1002.uuid, { phase_value: 25 }).phase_value).toBe(25);
  });
});
