import { existsSync, readdirSync, rmSync } from 'node:fs';
import { createPrivateKey, createPublicKey, randomUUID } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { VfleetError, checkKeyMatchesCertificate, createIntermediateCa, createRootCa, createSigningKeyPair } from '@vfleet/core';
import { loadProduct, type Product } from '../product/product.js';
import { checkPkiName, workspacePaths, type WorkspacePaths } from './home.js';
import { lockForInit } from './init-lock.js';
import { mustReadWorkspaceText, readWorkspaceText } from './read-text.js';
import { STAGED_SUFFIX, commitStrictly, createOnce, stageOnce } from './write-once.js';
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

const PRODUCT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** `--product`: a name under fixtures/products, or a product file (kept as an absolute path, so any working directory finds it). */
function productArgument(product: string): string {
  if (product.endsWith('.json')) return resolve(product);
  if (!PRODUCT_NAME.test(product)) {
    throw new VfleetError('VFLEET_USAGE', `product ${JSON.stringify(product)}: expected a product name (${PRODUCT_NAME.source}) or a path to a .json product file`);
  }
  return product;
}

/** The product of the workspace, its names checked: they name folders and files under pki/. */
function productOf(name: string): Product {
  const product = loadProduct(name);
  checkPkiName(product.product, `product ${name}: $.product`);
  product.cohorts.forEach((c, i) => checkPkiName(c, `product ${name}: $.cohorts[${i}]`));
  return product;
}

/** Every file of a complete workspace, as pairs. */
function pairsOf(paths: WorkspacePaths, product: Product): Array<[string, string]> {
  return [
    [paths.rootKey, paths.rootCert],
    ...product.cohorts.flatMap((c): Array<[string, string]> => [
      [paths.intermediateKey(product.product, c), paths.intermediateCert(product.product, c)],
      [paths.signingPrivateKey(c), paths.signingPublicKey(c)],
    ]),
  ];
}

/**
 * Creates the workspace PKI: root CA, one intermediate per cohort, one Ed25519 signing key per
 * cohort. Idempotent: existing files are kept, missing ones are made; keys are never overwritten.
 * Runs one at a time per workspace, and finishes what a killed run left half-made where that
 * loses nothing.
 */
export function initWorkspace(opts: InitOptions): InitResult {
  const wanted = opts.product === undefined ? undefined : productArgument(opts.product);
  const paths = workspacePaths(opts.home);
  // the common case, a complete workspace, takes no lock: nothing is written
  if (existsSync(paths.manifest)) {
    const manifest = checkedManifest(opts.home, wanted);
    const files = [...pairsOf(paths, productOf(manifest.product)).flat(), paths.manifest];
    if (files.every((f) => existsSync(f)) && stagedCopies(files).length === 0) return { manifest, created: [] };
  }
  const release = lockForInit(opts.home);
  try {
    return fill(opts, wanted);
  } finally {
    release();
  }
}

function checkedManifest(home: string, wanted: string | undefined): WorkspaceManifest {
  const manifest = readWorkspace(home);
  if (wanted !== undefined && manifest.product !== wanted) {
    throw new VfleetError('VFLEET_WORKSPACE', `${workspacePaths(home).manifest}: workspace is for product ${manifest.product}, not ${wanted}`);
  }
  return manifest;
}

function fill(opts: InitOptions, wanted: string | undefined): InitResult {
  const paths = workspacePaths(opts.home);
  const created: string[] = [];
  const existing = existsSync(paths.manifest) ? checkedManifest(opts.home, wanted) : undefined;
  const manifest: WorkspaceManifest = existing ?? {
    version: 1,
    product: wanted ?? 'edge-inference',
    organizationName: opts.organizationName ?? 'vfleet',
    organizationUuid: randomUUID(),
    createdAt: new Date().toISOString(),
  };
  const product = productOf(manifest.product);
  const put = (path: string, data: string, mode?: number) => {
    if (createOnce(path, data, mode)) created.push(path);
  };
  /** Both halves of a pair or neither; both are staged before either is linked, so a kill between leaves the second staged. */
  const putPair = ([keyPath, keyPem]: [string, string], [certPath, certPem]: [string, string]) => {
    const key = stageOnce(keyPath, keyPem);
    try {
      const cert = stageOnce(certPath, certPem, 0o644);
      try {
        if (!commitStrictly(key)) throw new VfleetError('VFLEET_WORKSPACE', `${keyPath}: appeared while this init made it; run again`);
        try {
          if (!commitStrictly(cert)) throw new VfleetError('VFLEET_WORKSPACE', `${certPath}: appeared while this init made it; run again`);
        } catch (e) {
          rmSync(keyPath, { force: true });
          throw e;
        }
        created.push(keyPath, certPath);
      } finally {
        cert.discard();
      }
    } finally {
      key.discard();
    }
  };
  /** A key whose certificate a killed run had staged but not linked gets it back; otherwise the pair is refused. */
  const completeCa = (keyPath: string, certPath: string, what: string) => {
    const keyPem = mustReadWorkspaceText(keyPath, `${what} is half there; restore it or remove both files`);
    if (existsSync(certPath)) return;
    for (const staged of stagedCopies([certPath])) {
      const certPem = readWorkspaceText(staged);
      if (certPem === undefined || !matches(certPem, keyPem)) continue;
      put(certPath, certPem, 0o644);
      return;
    }
    throw new VfleetError('VFLEET_WORKSPACE', `${certPath}: ${what} is half there (its certificate is missing); restore it or remove both files`);
  };

  let root: { certPem: string; keyPem: string };
  if (!existsSync(paths.rootCert) && !existsSync(paths.rootKey)) {
    root = createRootCa({ commonName: `Root CA ${manifest.organizationName}` });
    putPair([paths.rootKey, root.keyPem], [paths.rootCert, root.certPem]);
  } else {
    if (!existsSync(paths.rootKey)) {
      throw new VfleetError('VFLEET_WORKSPACE', `${paths.rootKey}: root CA is half there (its private key is missing); restore it or remove both`);
    }
    completeCa(paths.rootKey, paths.rootCert, 'root CA');
    root = { certPem: mustReadWorkspaceText(paths.rootCert, 'restore it'), keyPem: mustReadWorkspaceText(paths.rootKey, 'restore it') };
  }
  for (const cohort of product.cohorts) {
    const cert = paths.intermediateCert(product.product, cohort);
    const key = paths.intermediateKey(product.product, cohort);
    if (!existsSync(cert) && !existsSync(key)) {
      const ca = createIntermediateCa({ commonName: `Intermediate CA ${product.product} ${cohort}`, issuer: root });
      putPair([key, ca.keyPem], [cert, ca.certPem]);
    } else if (!existsSync(key)) {
      throw new VfleetError('VFLEET_WORKSPACE', `${cert}: intermediate CA for cohort ${cohort} is half there; restore it or remove both files`);
    } else {
      completeCa(key, cert, `intermediate CA for cohort ${cohort}`);
    }
    const pub = paths.signingPublicKey(cohort);
    const priv = paths.signingPrivateKey(cohort);
    if (!existsSync(pub) && !existsSync(priv)) {
      const pair = createSigningKeyPair();
      putPair([priv, pair.privateKeyPem], [pub, pair.publicKeyPem]);
    } else if (!existsSync(priv)) {
      throw new VfleetError('VFLEET_WORKSPACE', `${pub}: signing key for cohort ${cohort} is half there; restore it or remove both files`);
    } else if (!existsSync(pub)) {
      // the public key follows from the private one: a run killed between the two loses nothing
      put(pub, publicKeyOf(mustReadWorkspaceText(priv, 'restore it'), priv), 0o644);
    }
  }
  put(paths.manifest, JSON.stringify(manifest, null, 2) + '\n', 0o644);
  // copies a killed run staged (some hold a private key); under the init lock none is in use
  for (const staged of stagedCopies([...pairsOf(paths, product).flat(), paths.manifest])) rmSync(staged, { force: true });
  return { manifest, created };
}

/** Staged copies of `files` (`<file>.tmp-<8 hex>`) that killed runs left; one listing per folder. */
function stagedCopies(files: string[]): string[] {
  const byFolder = new Map<string, Set<string>>();
  for (const f of files) byFolder.set(dirname(f), (byFolder.get(dirname(f)) ?? new Set()).add(basename(f)));
  const staged: string[] = [];
  for (const [folder, names] of byFolder) {
    let entries: string[];
    try {
      entries = readdirSync(folder);
    } catch {
      continue;
    }
    for (const e of entries) {
      if (STAGED_SUFFIX.test(e) && names.has(e.replace(STAGED_SUFFIX, ''))) staged.push(join(folder, e));
    }
  }
  return staged;
}

function matches(certPem: string, keyPem: string): boolean {
  try {
    checkKeyMatchesCertificate(certPem, keyPem, 'staged certificate');
    return true;
  } catch {
    return false;
  }
}

function publicKeyOf(privatePem: string, file: string): string {
  try {
    return createPublicKey(createPrivateKey(privatePem)).export({ type: 'spki', format: 'pem' }) as string;
  } catch (cause) {
    throw new VfleetError('VFLEET_WORKSPACE', `${file}: not a private key: ${(cause as Error).message}`, { cause });
  }
}
