import { Fields } from '../fields.js';
import { requireRef } from '../table.js';
import type { Tables } from '../tables.js';
import type { Artifact, JsonObject } from '../types.js';

export interface ArtifactInput {
  /** A chosen id (UUID or PRN); random when absent. */
  uuid?: string;
  product_uuid: string;
  name: string;
  description?: string | null;
  /** Copied onto each new binary of the artifact (e.g. `{peridiod: {installer: 'file', ...}}`). */
  custom_metadata?: JsonObject | null;
}
export type ArtifactPatch = Partial<Omit<ArtifactInput, 'product_uuid'>>;

const MAX_METADATA = 64 * 1024;

export function metadataOf(f: Fields): JsonObject | null {
  const value = f.object('custom_metadata');
  if (value !== null && JSON.stringify(value).length > MAX_METADATA) {
    f.fail('custom_metadata', `is larger than ${MAX_METADATA} bytes as JSON`);
  }
  return value;
}

export function artifactsRepo({ artifacts, products }: Tables) {
  const checkName = (f: Fields, productUuid: string, uuid?: string): string => {
    const name = f.text('name', 100);
    const clash = artifacts.where('product_uuid = ? AND name = ?', productUuid, name)[0];
    if (clash !== undefined && clash.uuid !== uuid) f.fail('name', `the product already has an artifact named ${JSON.stringify(name)}`, 'conflict');
    return name;
  };
  return {
    create(input: ArtifactInput): Artifact {
      const f = new Fields('artifact', input, ['uuid', 'product_uuid', 'name', 'description', 'custom_metadata']);
      const productUuid = f.ref('product_uuid', 'product');
      requireRef(products, 'artifact', 'product_uuid', productUuid);
      return artifacts.insert({
        product_uuid: productUuid,
        name: checkName(f, productUuid),
        description: f.optText('description'),
        custom_metadata: metadataOf(f),
      }, f.chosenUuid('artifact'));
    },
    get: (uuid: string): Artifact | undefined => artifacts.get(uuid),
    list: (filter: { product_uuid?: string } = {}): Artifact[] =>
      filter.product_uuid === undefined ? artifacts.list() : artifacts.where('product_uuid = ?', filter.product_uuid),
    update(uuid: string, patch: ArtifactPatch): Artifact {
      const current = artifacts.must(uuid);
      const f = new Fields('artifact', patch, ['name', 'description', 'custom_metadata']);
      return artifacts.update(uuid, {
        ...(f.has('name') ? { name: checkName(f, current.product_uuid, uuid) } : {}),
        ...(f.has('description') ? { description: f.optText('description') } : {}),
        ...(f.has('custom_metadata') ? { custom_metadata: metadataOf(f) } : {}),
      });
    },
    delete: (uuid: string): void => artifacts.remove(uuid, 'artifact versions'),
  };
}

export type ArtifactsRepo = ReturnType<typeof artifactsRepo>;
