import { Fields } from '../fields.js';
import type { Tables } from '../tables.js';
import type { Product } from '../types.js';

export interface ProductInput {
  name: string;
  description?: string | null;
}
export type ProductPatch = Partial<ProductInput>;

export function productsRepo({ products }: Tables) {
  const checkName = (f: Fields, uuid?: string): string => {
    const name = f.text('name', 100);
    const clash = products.where('name = ?', name)[0];
    if (clash !== undefined && clash.uuid !== uuid) f.fail('name', `a product named ${JSON.stringify(name)} already exists`, 'conflict');
    return name;
  };
  return {
    create(input: ProductInput): Product {
      const f = new Fields('product', input, ['name', 'description']);
      return products.insert({ name: checkName(f), description: f.optText('description') });
    },
    get: (uuid: string): Product | undefined => products.get(uuid),
    getByName: (name: string): Product | undefined => products.where('name = ?', name)[0],
    list: (): Product[] => products.list(),
    update(uuid: string, patch: ProductPatch): Product {
      products.must(uuid);
      const f = new Fields('product', patch, ['name', 'description']);
      return products.update(uuid, {
        ...(f.has('name') ? { name: checkName(f, uuid) } : {}),
        ...(f.has('description') ? { description: f.optText('description') } : {}),
      });
    },
    delete: (uuid: string): void => products.remove(uuid, 'cohorts, artifacts or devices'),
  };
}

export type ProductsRepo = ReturnType<typeof productsRepo>;
