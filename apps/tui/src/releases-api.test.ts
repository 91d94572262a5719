import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAdminClient, initWorkspace, seedEvk, startBackend, type Backend } from '@vfleet/simulator';
import { createReleasesApi, parsePhaseValue, phaseText, type ReleasesApi } from './releases-api.js';
import { binaryFaultInjector } from './faults.js';

const home = mkdtempSync(join(tmpdir(), 'vft-tui-releases-'));
let backend: Backend;
let api: ReleasesApi;
beforeAll(async () => {
  initWorkspace({ home });
  backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
  const client = createAdminClient(backend.admin.url, backend.adminToken);
  await seedEvk({ home, client, sizeScale: 1 / 4096 });
  api = createReleasesApi(client);
});
afterAll(async () => {
  await backend?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('releases API against an answer of the wrong shape', () => {
  it('rejects with one clear error instead of a TypeError', async () => {
    for (const answer of [{ releases: null }, { releases: [null] }, { releases: [{ name: 'no uuid' }] }, {}]) {
      const fake = createReleasesApi({ call: async () => answer as never, upload: async () => ({}) });
      await expect(fake.list()).rejects.toThrow('admin API GET /api/v1/releases: expected a list of objects with a uuid');
      await expect(fake.binaryUuids()).rejects.toThrow('admin API GET /api/v1/binaries: expected a list of objects with a uuid');
    }
  });
});

describe('releases API against releases of the wrong shape', () => {
  it('names the first field the releases view cannot show (a null name ended the TUI)', async () => {
    const good = { uuid: 'u1', name: 'r', cohort_uuid: 'c', version: '1.0.0', version_requirement: null, disabled: false, phase_value: null, phase_tags: ['canary'] };
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: null }, 'releases[1].name is null, expected a string'],
      [{ disabled: 'no' }, 'releases[1].disabled is a string, expected a boolean'],
      [{ phase_tags: 'canary' }, 'releases[1].phase_tags is a string, expected a list of strings or null'],
      [{ phase_tags: [1] }, 'releases[1].phase_tags is a list, expected a list of strings or null'],
      [{ version: undefined }, 'releases[1].version is missing, expected a string or null'],
      [{ phase_value: '50%' }, 'releases[1].phase_value is a string, expected a number or null'],
    ];
    for (const [patch, message] of cases) {
      const fake = createReleasesApi({ call: async () => ({ releases: [good, { ...good, uuid: 'u2', ...patch }] }) as never, upload: async () => ({}) });
      await expect(fake.list()).rejects.toThrow(`admin API GET /api/v1/releases: ${message}`);
    }
    const fine = createReleasesApi({ call: async () => ({ releases: [good] }) as never, upload: async () => ({}) });
    await expect(fine.list()).resolves.toEqual([good]);
  });
});

describe('releases through the admin API', () => {
  it('lists, enables, phases by value and by tags', async () => {
    const r1002 = (await api.list()).find((r) => r.name === 'release-r1002');
    expect(r1002).toMatchObject({ disabled: true, phase_tags: ['canary'], version: '2.0.0' });
    if (!r1002) return;
    expect(phaseText(r1002)).toBe('tags canary');
    await api.setDisabled(r1002.uuid, false);
    await api.setPhaseValue(r1002.uuid, 0.5);
    let now = (await api.list()).find((r) => r.uuid === r1002.uuid);
    expect(now).toMatchObject({ disabled: false, phase_value: 0.5, phase_tags: null });
    expect(phaseText(now as NonNullable<typeof now>)).toBe('50%');
    await api.setPhaseTags(r1002.uuid, ['canary', 'beta']);
    now = (await api.list()).find((r) => r.uuid === r1002.uuid);
    expect(now).toMatchObject({ phase_tags: ['canary', 'beta'], phase_value: null });
    await expect(api.setPhaseValue(r1002.uuid, 1.5)).rejects.toThrow(/phase_value/);
  });

  it('creates a disabled release from an artifact version with its signed binaries', async () => {
    const choices = await api.artifacts();
    expect(choices.length).toBeGreaterThan(0);
    const choice = choices[0] as (typeof choices)[number];
    expect(choice.binaryUuids.length).toBeGreaterThan(0);
    const cohort = (await api.list())[0]?.cohort_uuid as string;
    const created = await api.createFromArtifact(choice, { name: 'release-from-tui', version: '3.0.0', cohortUuid: cohort });
    expect(created).toMatchObject({ name: 'release-from-tui', version: '3.0.0', disabled: true, cohort_uuid: cohort });
    expect((await api.list()).map((r) => r.name)).toContain('release-from-tui');
    expect((await api.binaryUuids()).length).toBeGreaterThanOrEqual(choice.binaryUuids.length);
  });

  it('puts download faults on every hosted binary of the embedded backend and clears them', async () => {
    const faults = binaryFaultInjector(backend.faults, api);
    const uuids = await api.binaryUuids();
    expect(await faults.binaries({ status: 500 })).toBe(`downloads of ${uuids.length} binaries now fail: HTTP 500 (f 0 clears)`);
    for (const u of uuids) expect(backend.faults.get(u)).toEqual({ status: 500 });
    expect(await faults.binaries({ truncateAt: 1024 })).toMatch(/cut after 1024 bytes/);
    expect(backend.faults.get(uuids[0] as string)).toEqual({ truncateAt: 1024 });
    expect(await faults.binaries(undefined)).toBe(`download faults cleared (${uuids.length} binaries)`);
    expect(backend.faults.size).toBe(0);
  });

  it('parses phase values as users type them', () => {
    expect(parsePhaseValue('50%')).toEqual({ value: 0.5 });
    expect(parsePhaseValue('0.25')).toEqual({ value: 0.25 });
    expect(parsePhaseValue('3')).toEqual({ value: 3 });
    expect(parsePhaseValue('1.5')).toHaveProperty('error');
    expect(parsePhaseValue('abc')).toHaveProperty('error');
    expect(parsePhaseValue('')).toHaveProperty('error');
  });
});
