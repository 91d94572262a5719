import { Fields } from '../fields.js';
import { requireRef } from '../table.js';
import type { Tables } from '../tables.js';
import type { Cohort } from '../types.js';

export interface CohortInput {
  product_uuid: string;
  name: string;
  description?: string | null;
}
export type CohortPatch = Partial<Pick<CohortInput, 'name' | 'description'>>;

export function cohortsRepo({ cohorts, products, caCertificates }: Tables) {
  const checkName = (f: Fields, productUuid: string, uuid?: string): string => {
    const name = f.text('name', 100);
    const clash = cohorts.where('product_uuid = ? AND name = ?', productUuid, name)[0];
    if (clash !== undefined && clash.uuid !== uuid) {
      f.fail('name', `the product already has a cohort named ${JSON.stringify(name)}`, 'conflict');
    }
    return name;
  };
  return {
    create(input: CohortInput): Cohort {
      const f = new Fields('cohort', input, ['product_uuid', 'name', 'description']);
      const productUuid = f.ref('product_uuid', 'product');
      requireRef(products, 'cohort', 'product_uuid', productUuid);
      return cohorts.insert({ product_uuid: productUuid, name: checkName(f, productUuid), description: f.optText('description') });
    },
    get: (uuid: string): Cohort | undefined => cohorts.get(uuid),
    getByName: (productUuid: string, name: string): Cohort | undefined =>
      cohorts.where('product_uuid = ? AND name = ?', productUuid, name)[0],
    list: (filter: { product_uuid?: string } = {}): Cohort[] =>
      filter.product_uuid === undefined ? cohorts.list() : cohorts.where('product_uuid = ?', filter.product_uuid),
    update(uuid: string, patch: CohortPatch): Cohort {
      const current = cohorts.must(uuid);
      const f = new Fields('cohort', patch, ['name', 'description']);
      return cohorts.update(uuid, {
        ...(f.has('name') ? { name: checkName(f, current.product_uuid, uuid) } : {}),
        ...(f.has('description') ? { description: f.optText('description') } : {}),
      });
    },
    delete(uuid: string): void {
      const jitp = caCertificates.where("json_extract(jitp, '$.cohort_uuid') = ?", uuid)[0];
      if (jitp !== undefined) {
        new Fields('cohort', {}, []).fail('uuid', `cohort ${uuid} is the JITP cohort of CA certificate ${jitp.uuid}; change that first`, 'conflict');
      }
      cohorts.remove(uuid, 'releases, devices or CA certificates');
    },
  };
}

export type CohortsRepo = ReturnType<typeof cohortsRepo>;
