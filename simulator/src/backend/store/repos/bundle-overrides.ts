import type { Ctx } from '../context.js';
import { Fields } from '../fields.js';
import type { Tables } from '../tables.js';
import type { BundleOverride } from '../types.js';

export interface BundleOverrideInput {
  name: string;
  bundle_uuid: string;
  starts_at: string;
  ends_at?: string | null;
  device_uuids: string[];
  description?: string | null;
}
export type BundleOverridePatch = Partial<Omit<BundleOverrideInput, 'bundle_uuid'>>;

const CREATE = ['name', 'bundle_uuid', 'starts_at', 'ends_at', 'device_uuids', 'description'];

export function bundleOverridesRepo(ctx: Ctx, { bundleOverrides, bundles, devices }: Tables) {
  const addDevice = ctx.db.prepare('INSERT INTO bundle_override_devices (bundle_override_uuid, device_uuid) VALUES (?, ?)');
  const clearDevices = ctx.db.prepare('DELETE FROM bundle_override_devices WHERE bundle_override_uuid = ?');
  const forDevice = ctx.db.prepare('SELECT bundle_override_uuid FROM bundle_override_devices WHERE device_uuid = ?').pluck();

  const checkName = (f: Fields, uuid?: string): string => {
    const name = f.text('name', 100);
    const clash = bundleOverrides.where('name = ?', name)[0];
    if (clash !== undefined && clash.uuid !== uuid) f.fail('name', `a bundle override named ${JSON.stringify(name)} already exists`, 'conflict');
    return name;
  };
  const deviceList = (f: Fields): string[] => {
    const uuids = [...new Set(f.refs('device_uuids', 'device'))];
    uuids.forEach((uuid, i) => {
      if (!devices.exists(uuid)) f.fail(`device_uuids[${i}]`, `no device ${JSON.stringify(uuid)}`, 'reference');
    });
    return uuids;
  };
  const checkWindow = (f: Fields, startsAt: string, endsAt: string | null): void => {
    if (endsAt !== null && Date.parse(endsAt) <= Date.parse(startsAt)) f.fail('ends_at', `${endsAt} is not after starts_at ${startsAt}`);
  };
  const setDevices = (uuid: string, uuids: string[]): void => {
    clearDevices.run(uuid);
    for (const device of uuids) addDevice.run(uuid, device);
  };

  return {
    create(input: BundleOverrideInput): BundleOverride {
      const f = new Fields('bundle_override', input, CREATE);
      const name = checkName(f);
      const bundleUuid = f.ref('bundle_uuid', 'bundle');
      if (!bundles.exists(bundleUuid)) f.fail('bundle_uuid', `no bundle ${JSON.stringify(bundleUuid)}`, 'reference');
      const startsAt = f.iso('starts_at');
      const endsAt = f.optIso('ends_at');
      checkWindow(f, startsAt, endsAt);
      const uuids = deviceList(f);
      return ctx.db.transaction(() => {
        const row = bundleOverrides.insert({ name, bundle_uuid: bundleUuid, starts_at: startsAt, ends_at: endsAt, description: f.optText('description') });
        setDevices(row.uuid, uuids);
        return bundleOverrides.must(row.uuid);
      })();
    },
    get: (uuid: string): BundleOverride | undefined => bundleOverrides.get(uuid),
    list: (): BundleOverride[] => bundleOverrides.list(),
    /** Every override naming the device, whatever its time window. */
    listForDevice: (deviceUuid: string): BundleOverride[] =>
      (forDevice.all(deviceUuid) as string[]).map((uuid) => bundleOverrides.must(uuid)),
    update(uuid: string, patch: BundleOverridePatch): BundleOverride {
      const current = bundleOverrides.must(uuid);
      const f = new Fields('bundle_override', patch, CREATE.filter((k) => k !== 'bundle_uuid'));
      const startsAt = f.has('starts_at') ? f.iso('starts_at') : current.starts_at;
      const endsAt = f.has('ends_at') ? f.optIso('ends_at') : current.ends_at;
      checkWindow(f, startsAt, endsAt);
      const uuids = f.has('device_uuids') ? deviceList(f) : undefined;
      return ctx.db.transaction(() => {
        if (uuids !== undefined) setDevices(uuid, uuids);
        return bundleOverrides.update(uuid, {
          ...(f.has('name') ? { name: checkName(f, uuid) } : {}),
          ...(f.has('description') ? { description: f.optText('description') } : {}),
          starts_at: startsAt,
          ends_at: endsAt,
        });
      })();
    },
    delete: (uuid: string): void => bundleOverrides.remove(uuid, 'nothing'),
  };
}

export type BundleOverridesRepo = ReturnType<typeof bundleOverridesRepo>;
