import { resolve } from 'node:path';

/** `VFLEET_HOME`, else `./.vfleet` under the working directory. */
export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  return resolve(cwd, explicit ?? env['VFLEET_HOME'] ?? '.vfleet');
}

/** Where each workspace file lives; the EVK's evk-data layout under `pki/`. */
export function workspacePaths(home: string) {
  const pki = resolve(home, 'pki');
  return {
    home,
    manifest: resolve(home, 'workspace.json'),
    pki,
    rootCert: resolve(pki, 'ca', 'root-certificate.pem'),
    rootKey: resolve(pki, 'ca', 'root-private-key.pem'),
    intermediateCert: (product: string, cohort: string) => resolve(pki, 'ca', product, cohort, 'intermediate-certificate.pem'),
    intermediateKey: (product: string, cohort: string) => resolve(pki, 'ca', product, cohort, 'intermediate-private-key.pem'),
    signingPublicKey: (cohort: string) => resolve(pki, 'signing-keys', `${cohort}-public-key.pem`),
    signingPrivateKey: (cohort: string) => resolve(pki, 'signing-keys', `${cohort}-private-key.pem`),
  };
}

export type WorkspacePaths = ReturnType<typeof workspacePaths>;
