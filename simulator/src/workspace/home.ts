import { resolve } from 'node:path';
import { VfleetError } from '@vfleet/core';

/** `VFLEET_HOME`, else `./.vfleet` under the working directory. */
export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, explicit ?? env['VFLEET_HOME'] ?? '.vfleet');
}

const PKI_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A product or cohort name as a folder or file name under `pki/`: a product file is the user's
 * input, and `../` in a cohort would put private keys outside the workspace.
 */
export function checkPkiName(name: string, where: string): string {
  if (!PKI_NAME.test(name)) {
    throw new VfleetError('VFLEET_CONFIG_INVALID', `${where}: ${JSON.stringify(name)} must match ${PKI_NAME.source} (it names a file under pki/)`);
  }
  return name;
}

/** Where each workspace file lives; the EVK's evk-data layout under `pki/`. */
export function workspacePaths(home: string) {
  const pki = resolve(home, 'pki');
  const ca = (product: string, cohort: string) => resolve(pki, 'ca', checkPkiName(product, 'product'), checkPkiName(cohort, 'cohort'));
  const signing = (cohort: string) => resolve(pki, 'signing-keys', checkPkiName(cohort, 'cohort'));
  return {
    home,
    manifest: resolve(home, 'workspace.json'),
    pki,
    rootCert: resolve(pki, 'ca', 'root-certificate.pem'),
    rootKey: resolve(pki, 'ca', 'root-private-key.pem'),
    intermediateCert: (product: string, cohort: string) => resolve(ca(product, cohort), 'intermediate-certificate.pem'),
    intermediateKey: (product: string, cohort: string) => resolve(ca(product, cohort), 'intermediate-private-key.pem'),
    signingPublicKey: (cohort: string) => `${signing(cohort)}-public-key.pem`,
    signingPrivateKey: (cohort: string) => `${signing(cohort)}-private-key.pem`,
  };
}

export type WorkspacePaths = ReturnType<typeof workspacePaths>;
