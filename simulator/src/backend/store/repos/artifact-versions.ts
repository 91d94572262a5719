import { Fields } from '../fields.js';
import { requireRef } from '../table.js';
import type { Tables } from '../tables.js';
import type { ArtifactVersion } from '../types.js';

export interface ArtifactVersionInput {
  /** A chosen id (UUID or PRN); random when absent. */
  uuid?: string;
  artifact_uuid: string;
  /** Free-form (the EVK uses `v1.12.1`); not required to be SemVer. */
  version: string;
  description?: string | null;
}
export type ArtifactVersionPatch = Partial<Pick<ArtifactVersionInput, 'description'>>;

export function artifactVersionsRepo({ artifactVersions, artifacts }: Tables) {
  return {
    create(input: ArtifactVersionInput): ArtifactVersion {
      const f = new Fields('artifact_version', input, ['uuid', 'artifact_uuid', 'version', 'description']);
      const artifactUuid = f.ref('artifact_uuid', 'artifact');
      requireRef(artifacts, 'artifact_version', 'artifact_uuid', artifactUuid);
      const version = f.text('version', 100);
      if (artifactVersions.where('artifact_uuid = ? AND version = ?', artifactUuid, version).length > 0) {
        f.fail('version', `the artifact already has version ${JSON.stringify(version)}`, 'conflict');
      }
      return artifactVersions.insert({ artifact_uuid: artifactUuid, version, description: f.optText('description') }, f.chosenUuid('artifact_version'));
    },
    get: (uuid: string): ArtifactVersion | undefined => artifactVersions.get(uuid),
    list: (filter: { artifact_uuid?: string } = {}): ArtifactVersion[] =>
      filter.artifact_uuid === undefined ? artifactVersions.list() : artifactVersions.where('artifact_uuid = ?', filter.artifact_uuid),
    update(uuid: string, patch: ArtifactVersionPatch): ArtifactVersion {
      artifactVersions.must(uuid);
      const f = new Fields('artifact_version', patch, ['description']);
      return artifactVersions.update(uuid, f.has('description') ? { description: f.optText('description') } : {});
    },
    delete: (uuid: string): void => artifactVersions.remove(uuid, 'binaries'),
  };
}

export type ArtifactVersionsRepo = ReturnType<typeof artifactVersionsRepo>;
