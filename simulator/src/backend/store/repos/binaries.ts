import { Fields } from '../fields.js';
import { StoreError } from '../errors.js';
import type { Tables } from '../tables.js';
import type { Binary, JsonObject } from '../types.js';
import { metadataOf } from './artifacts.js';

export interface BinaryInput {
  /** A chosen id (UUID or PRN); random when absent. */
  uuid?: string;
  artifact_version_uuid: string;
  target: string;
  /** Optional declarations the upload must then match. */
  size?: number | null;
  hash?: string | null;
  /** Defaults to the artifact's custom_metadata. */
  custom_metadata?: JsonObject | null;
  description?: string | null;
}
export type BinaryPatch = Partial<Pick<BinaryInput, 'custom_metadata' | 'description'>>;

export interface UploadedContent {
  hash: string;
  size: number;
  storage_path: string;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_SIZE = 2 ** 53 - 1;

export function binariesRepo({ binaries, artifactVersions, artifacts }: Tables) {
  return {
    create(input: BinaryInput): Binary {
      const f = new Fields('binary', input, ['uuid', 'artifact_version_uuid', 'target', 'size', 'hash', 'custom_metadata', 'description']);
      const versionUuid = f.ref('artifact_version_uuid', 'artifact_version');
      const version = artifactVersions.get(versionUuid) ?? f.fail('artifact_version_uuid', `no artifact_version ${JSON.stringify(versionUuid)}`, 'reference');
      const target = f.text('target', 100);
      if (binaries.where('artifact_version_uuid = ? AND target = ?', versionUuid, target).length > 0) {
        f.fail('target', `the artifact version already has a binary for target ${JSON.stringify(target)}`, 'conflict');
      }
      const hash = f.optText('hash', 64)?.toLowerCase() ?? null;
      if (hash !== null && !SHA256_HEX.test(hash)) f.fail('hash', 'expected 64 hex characters (SHA-256)');
      return binaries.insert({
        artifact_version_uuid: versionUuid,
        target,
        size: f.optInt('size', 0, MAX_SIZE),
        hash,
        custom_metadata: f.has('custom_metadata') ? metadataOf(f) : artifacts.must(version.artifact_uuid).custom_metadata,
        state: 'uploadable',
        storage_path: null,
        description: f.optText('description'),
      }, f.chosenUuid('binary'));
    },
    get: (uuid: string): Binary | undefined => binaries.get(uuid),
    list: (filter: { artifact_version_uuid?: string } = {}): Binary[] =>
      filter.artifact_version_uuid === undefined ? binaries.list() : binaries.where('artifact_version_uuid = ?', filter.artifact_version_uuid),
    update(uuid: string, patch: BinaryPatch): Binary {
      binaries.must(uuid);
      const f = new Fields('binary', patch, ['custom_metadata', 'description']);
      return binaries.update(uuid, {
        ...(f.has('custom_metadata') ? { custom_metadata: metadataOf(f) } : {}),
        ...(f.has('description') ? { description: f.optText('description') } : {}),
      });
    },
    /** Records the stored content of an `uploadable` binary; declared hash/size must match. */
    completeUpload(uuid: string, content: UploadedContent): Binary {
      const binary = binaries.must(uuid);
      if (binary.state !== 'uploadable') {
        throw new StoreError('conflict', 'binary.state', `binary ${uuid} is ${binary.state}; content can be uploaded only once`);
      }
      const hash = content.hash.toLowerCase();
      if (binary.hash !== null && binary.hash !== hash) {
        throw new StoreError('invalid', 'binary.hash', `uploaded content hashes to ${hash}, but ${binary.hash} was declared`);
      }
      if (binary.size !== null && binary.size !== content.size) {
        throw new StoreError('invalid', 'binary.size', `uploaded content is ${content.size} bytes, but ${binary.size} was declared`);
      }
      return binaries.update(uuid, { hash, size: content.size, storage_path: content.storage_path, state: 'uploaded' });
    },
    delete: (uuid: string): void => binaries.remove(uuid, 'bundles'),
  };
}

export type BinariesRepo = ReturnType<typeof binariesRepo>;
