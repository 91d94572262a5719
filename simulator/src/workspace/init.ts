import { existsSync, readFileSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { VfleetError, createIntermediateCa, createRootCa, createSigningKeyPair } from '@vfleet/core';
import { loadProduct } from '../product/product.js';
import { workspacePaths } from './home.js';
import { writeOnce } from './write-once.js';
import { readWorkspace, type WorkspaceManifest } from './load.js';

export interface InitOptions {
  home: string;
  product?: string;
  organizationName?: string;
}

export interface InitResult {
  manifest: WorkspaceManifest;
  /** Files this call created; empty when the workspace was complete already. */
  created: string[];
}

/**
 * Creates the workspace PKI: root CA, one intermediate per cohort, one Ed25519 signing key per
 * cohort. Idempotent: existing files are kept, missing ones are made; keys are never overwritten.
 */
export function initWorkspace(opts: InitOptions): InitResult {
  const paths = workspacePaths(opts.home);
  const created: string[] = [];
  const existing = existsSync(paths.manifest) ? readWorkspace(opts.home) : undefined;
  if (existing && opts.product && existing.product !== opts.product) {
    throw new VfleetError('VFLEET_WORKSPACE', `${paths.manifest}: workspace is for product ${existing.product}, not ${opts.product}`);
  }
  const manifest: WorkspaceManifest = existing ?? {
    version: 1,
    product: opts.product ?? 'edge-inference',
    organizationName: opts.organizationName ?? 'vfleet',
    organizationUuid: randomUUID(),
    createdAt: new Date().toISOString(),
  };
  const product = loadProduct(manifest.product);
  const put = (path: string, data: string, mode?: number) => {
    if (writeOnce(path, data, mode)) created.push(path);
  };
  /** Both halves of a pair or neither: a key whose certificate could not be written (disk full) goes again. */
  const putPair = (first: [string, string, number?], second: [string, string, number?]) => {
    put(...first);
    try {
      put(...second);
    } catch (e) {
      if (created.at(-1) === first[0]) {
        rmSync(first[0], { force: true });
        created.pop();
      }
      throw e;
    }
  };

  let root: { certPem: string; keyPem: string };
  if (existsSync(paths.rootCert) && existsSync(paths.rootKey)) {
    root = { certPem: readFileSync(paths.rootCert, 'utf8'), keyPem: readFileSync(paths.rootKey, 'utf8') };
  } else if (existsSync(paths.rootCert) || existsSync(paths.rootKey)) {
    throw new VfleetError('VFLEET_WORKSPACE', `${paths.pki}: root CA is half there (certificate or key missing); restore it or remove both`);
  } else {
    root = createRootCa({ commonName: `Root CA ${manifest.organizationName}` });
    putPair([paths.rootKey, root.keyPem], [paths.rootCert, root.certPem, 0o644]);
  }
  for (const cohort of product.cohorts) {
    const cert = paths.intermediateCert(product.product, cohort);
    const key = paths.intermediateKey(product.product, cohort);
    if (!existsSync(cert) && !existsSync(key)) {
      const ca = createIntermediateCa({ commonName: `Intermediate CA ${product.product} ${cohort}`, issuer: root });
      putPair([key, ca.keyPem], [cert, ca.certPem, 0o644]);
    } else if (!existsSync(cert) || !existsSync(key)) {
      throw new VfleetError('VFLEET_WORKSPACE', `${cert}: intermediate CA for cohort ${cohort} is half there; restore it or remove both files`);
    }
    const pub = paths.signingPublicKey(cohort);
    const priv = paths.signingPrivateKey(cohort);
    if (!existsSync(pub) && !existsSync(priv)) {
      const pair = createSigningKeyPair();
      putPair([priv, pair.privateKeyPem], [pub, pair.publicKeyPem, 0o644]);
    } else if (!existsSync(pub) || !existsSync(priv)) {
      throw new VfleetError('VFLEET_WORKSPACE', `${pub}: signing key for cohort ${cohort} is half there; restore it or remove both files`);
    }
  }
  put(paths.manifest, JSON.stringify(manifest, null, 2) + '\n', 0o644);
  return { manifest, created };
}
