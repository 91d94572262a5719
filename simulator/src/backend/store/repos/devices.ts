import type { Ctx } from '../context.js';
import { Fields } from '../fields.js';
import type { Row } from '../table.js';
import type { Tables } from '../tables.js';
import type { Device, DeviceOrigin } from '../types.js';
import type { WriteBehind } from '../write-behind.js';
import { memo } from '../memo.js';

export interface DeviceInput {
  product_uuid: string;
  /** The certificate CN the device presents. */
  identifier: string;
  cohort_uuid?: string | null;
  tags?: string[];
  target?: string | null;
  quarantined?: boolean;
  origin?: DeviceOrigin;
  description?: string | null;
}
export type DevicePatch = Partial<Pick<DeviceInput, 'cohort_uuid' | 'tags' | 'target' | 'quarantined' | 'description'>>;

export interface DeviceFilter {
  product_uuid?: string;
  cohort_uuid?: string;
  identifier?: string;
  /** Paging in insertion order. */
  limit?: number;
  offset?: number;
}

const CREATE = ['product_uuid', 'identifier', 'cohort_uuid', 'tags', 'target', 'quarantined', 'origin', 'description'];
const ORIGINS: readonly string[] = ['admin', 'jitp'] satisfies DeviceOrigin[];

export function devicesRepo(ctx: Ctx, { devices, products, cohorts }: Tables, writeBehind: WriteBehind) {
  const uuidsOfCohort = ctx.db.prepare('SELECT uuid FROM devices WHERE cohort_uuid = ? ORDER BY rowid').pluck();
  // Lookups on the poll path are served from memory until any device or catalog row changes.
  const cached = memo(ctx);
  /** Folds in this process's presence and poll data (written or queued): cached rows may predate them. */
  const fresh = (device: Device): Device => {
    const p = writeBehind.latest(device.uuid);
    if (p === undefined) return device;
    const out = { ...device };
    if (p.last_seen_at !== undefined) out.last_seen_at = p.last_seen_at;
    out.first_seen_at ??= p.first_seen_at ?? null;
    if (p.online !== undefined) out.online = p.online;
    if (p.reported !== undefined) {
      out.reported_release_prn = p.reported.release_prn;
      out.reported_version = p.reported.version;
      out.reported_bundle_prn = p.reported.bundle_prn;
    }
    return out;
  };
  const cohortOf = (f: Fields, productUuid: string): string | null => {
    const uuid = f.optRef('cohort_uuid', 'cohort');
    if (uuid === null) return null;
    const cohort = cohorts.get(uuid) ?? f.fail('cohort_uuid', `no cohort ${JSON.stringify(uuid)}`, 'reference');
    if (cohort.product_uuid !== productUuid) f.fail('cohort_uuid', `cohort ${cohort.name} belongs to another product`);
    return uuid;
  };

  return {
    create(input: DeviceInput): Device {
      const f = new Fields('device', input, CREATE);
      const productUuid = f.ref('product_uuid', 'product');
      if (!products.exists(productUuid)) f.fail('product_uuid', `no product ${JSON.stringify(productUuid)}`, 'reference');
      const identifier = f.text('identifier', 128);
      if (devices.where('product_uuid = ? AND identifier = ?', productUuid, identifier).length > 0) {
        f.fail('identifier', `the product already has a device ${JSON.stringify(identifier)}`, 'conflict');
      }
      const origin = f.has('origin') ? f.text('origin', 10) : 'admin';
      if (!ORIGINS.includes(origin)) f.fail('origin', `expected one of ${ORIGINS.join(', ')}, got ${JSON.stringify(origin)}`);
      return devices.insert({
        product_uuid: productUuid,
        identifier,
        cohort_uuid: cohortOf(f, productUuid),
        tags: f.has('tags') ? f.strings('tags') : [],
        target: f.optText('target', 100),
        quarantined: f.bool('quarantined', false),
        origin,
        description: f.optText('description'),
      });
    },
    /** The result is shared with later calls: treat it as read-only. */
    get(uuid: string): Device | undefined {
      const device = cached(`uuid:${uuid}`, () => devices.get(uuid));
      return device === undefined ? undefined : fresh(device);
    },
    /** The result is shared with later calls: treat it as read-only. */
    getByIdentifier(productUuid: string, identifier: string): Device | undefined {
      const device = cached(`id:${productUuid}/${identifier}`, () => devices.where('product_uuid = ? AND identifier = ?', productUuid, identifier)[0]);
      return device === undefined ? undefined : fresh(device);
    },
    list(filter: DeviceFilter = {}): Device[] {
      const clauses: string[] = [];
      const params: Row = {};
      for (const key of ['product_uuid', 'cohort_uuid', 'identifier'] as const) {
        if (filter[key] === undefined) continue;
        clauses.push(`${key} = @${key}`);
        params[key] = filter[key];
      }
      const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
      const sql = `SELECT * FROM devices ${where} ORDER BY rowid LIMIT @limit OFFSET @offset`;
      const rows = devices.statement(sql).all({ ...params, limit: filter.limit ?? -1, offset: filter.offset ?? 0 }) as Row[];
      return rows.map((r) => fresh(devices.decode(r)));
    },
    /** Cohort membership in a stable order, for phase counts. */
    uuidsOfCohort: (cohortUuid: string): string[] => uuidsOfCohort.all(cohortUuid) as string[],
    update(uuid: string, patch: DevicePatch): Device {
      const current = devices.must(uuid);
      const f = new Fields('device', patch, ['cohort_uuid', 'tags', 'target', 'quarantined', 'description']);
      devices.update(uuid, {
        ...(f.has('cohort_uuid') ? { cohort_uuid: cohortOf(f, current.product_uuid) } : {}),
        ...(f.has('tags') ? { tags: f.strings('tags') } : {}),
        ...(f.has('target') ? { target: f.optText('target', 100) } : {}),
        ...(f.has('quarantined') ? { quarantined: f.bool('quarantined', current.quarantined) } : {}),
        ...(f.has('description') ? { description: f.optText('description') } : {}),
      });
      return fresh(devices.must(uuid));
    },
    delete(uuid: string): void {
      devices.remove(uuid, 'nothing');
      writeBehind.forget(uuid);
    },
  };
}

export type DevicesRepo = ReturnType<typeof devicesRepo>;
