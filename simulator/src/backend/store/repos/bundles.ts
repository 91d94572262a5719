import type { Ctx } from '../context.js';
import { Fields } from '../fields.js';
import type { Tables } from '../tables.js';
import type { Bundle } from '../types.js';

export interface BundleInput {
  /** A chosen id (UUID or PRN); random when absent. */
  uuid?: string;
  name: string;
  /** Signed binaries, in install order; the list is fixed once the bundle exists. */
  binary_uuids: string[];
  description?: string | null;
}
export type BundlePatch = Partial<Pick<BundleInput, 'name' | 'description'>>;

export function bundlesRepo(ctx: Ctx, { bundles, binaries }: Tables) {
  const addBinary = ctx.db.prepare('INSERT INTO bundle_binaries (bundle_uuid, position, binary_uuid) VALUES (?, ?, ?)');
  const checkName = (f: Fields, uuid?: string): string => {
    const name = f.text('name', 100);
    const clash = bundles.where('name = ?', name)[0];
    if (clash !== undefined && clash.uuid !== uuid) f.fail('name', `a bundle named ${JSON.stringify(name)} already exists`, 'conflict');
    return name;
  };
  return {
    create(input: BundleInput): Bundle {
      const f = new Fields('bundle', input, ['uuid', 'name', 'binary_uuids', 'description']);
      const name = checkName(f);
      const uuids = f.refs('binary_uuids', 'binary', 1000);
      if (uuids.length === 0) f.fail('binary_uuids', 'a bundle needs at least one binary');
      uuids.forEach((uuid, i) => {
        const binary = binaries.get(uuid) ?? f.fail(`binary_uuids[${i}]`, `no binary ${JSON.stringify(uuid)}`, 'reference');
        if (binary.state !== 'signed') f.fail(`binary_uuids[${i}]`, `binary ${uuid} is ${binary.state}; only signed binaries can be bundled`);
        if (uuids.indexOf(uuid) !== i) f.fail(`binary_uuids[${i}]`, `binary ${uuid} is listed twice`);
      });
      return ctx.db.transaction(() => {
        const bundle = bundles.insert({ name, description: f.optText('description') }, f.chosenUuid('bundle'));
        uuids.forEach((uuid, i) => addBinary.run(bundle.uuid, i, uuid));
        return bundles.must(bundle.uuid);
      })();
    },
    get: (uuid: string): Bundle | undefined => bundles.get(uuid),
    getByName: (name: string): Bundle | undefined => bundles.where('name = ?', name)[0],
    list: (): Bundle[] => bundles.list(),
    update(uuid: string, patch: BundlePatch): Bundle {
      bundles.must(uuid);
      const f = new Fields('bundle', patch, ['name', 'description']);
      return bundles.update(uuid, {
        ...(f.has('name') ? { name: checkName(f, uuid) } : {}),
        ...(f.has('description') ? { description: f.optText('description') } : {}),
      });
    },
    delete: (uuid: string): void => bundles.remove(uuid, 'releases or bundle overrides'),
  };
}

export type BundlesRepo = ReturnType<typeof bundlesRepo>;
