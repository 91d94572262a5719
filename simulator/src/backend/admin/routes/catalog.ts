import { rmSync } from 'node:fs';
import { relative, resolve, isAbsolute } from 'node:path';
import type { CaRegistration, Store } from '../../store/index.js';
import { queryOf } from '../ids.js';
import { crud } from '../crud.js';
import type { Router } from '../router.js';

/** The entities whose routes are plain create/read/update/delete over the store. */
export function catalogRoutes(router: Router, store: Store, storageDir?: string): void {
  crud(router, { path: 'products', singular: 'product', plural: 'products', type: 'product', repo: store.products });
  crud(router, { path: 'cohorts', singular: 'cohort', plural: 'cohorts', type: 'cohort', repo: store.cohorts, filters: { product_uuid: 'product' } });
  // registering a CA needs a verification certificate (protocol §8.4); codes come from the route below
  crud(router, {
    path: 'ca-certificates', singular: 'ca_certificate', plural: 'ca_certificates', type: 'ca_certificate',
    repo: { ...store.caCertificates, create: (input) => store.caCertificates.register(input as CaRegistration) },
  });
  router.add('POST', '/api/v1/ca-certificates/verification-codes', ({ query }) => {
    queryOf(query, []);
    return { status: 201, body: { verification_code: store.caVerificationCodes.create() } };
  });
  crud(router, { path: 'signing-keys', singular: 'signing_key', plural: 'signing_keys', type: 'signing_key', repo: store.signingKeys });
  crud(router, { path: 'artifacts', singular: 'artifact', plural: 'artifacts', type: 'artifact', repo: store.artifacts, filters: { product_uuid: 'product' } });
  crud(router, {
    path: 'artifact-versions', singular: 'artifact_version', plural: 'artifact_versions', type: 'artifact_version',
    repo: store.artifactVersions, filters: { artifact_uuid: 'artifact' },
  });
  crud(router, {
    path: 'binaries', singular: 'binary', plural: 'binaries', type: 'binary', filters: { artifact_version_uuid: 'artifact_version' },
    repo: {
      ...store.binaries,
      // a deleted binary's content goes with it (only a file in the backend's own storage folder)
      delete(uuid: string) {
        const stored = store.binaries.get(uuid)?.storage_path;
        store.binaries.delete(uuid);
        if (stored && storageDir !== undefined && insideDir(storageDir, stored)) rmSync(stored, { force: true });
      },
    },
  });
  crud(router, { path: 'bundles', singular: 'bundle', plural: 'bundles', type: 'bundle', repo: store.bundles });
  crud(router, { path: 'releases', singular: 'release', plural: 'releases', type: 'release', repo: store.releases, filters: { cohort_uuid: 'cohort' } });
  crud(router, { path: 'bundle-overrides', singular: 'bundle_override', plural: 'bundle_overrides', type: 'bundle_override', repo: store.bundleOverrides });
  crud(router, {
    path: 'device-certificates', singular: 'device_certificate', plural: 'device_certificates', type: 'device_certificate',
    repo: store.deviceCertificates, filters: { device_uuid: 'device' },
  });
}

function insideDir(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}
