// The workspace's swupdate signing certificate: issued by the workspace root CA, extendedKeyUsage
// codeSigning only, so devices verifying with `-k <root CA> --cert-purpose codeSigning` accept it and
// not a device certificate from the same root. Made once, never overwritten (like the other keys).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';
import { VfleetError } from '@vfleet/core';
import { mustTool } from '../fleet/runtimes/netutil.js';
import { workspacePaths } from './home.js';
import { readWorkspace } from './load.js';
import { createOnce } from './write-once.js';

export interface SwuSigner {
  certPath: string;
  keyPath: string;
  /** The trust anchor devices verify with (`swupdate -k`): the workspace root CA certificate. */
  caPath: string;
}

export function swuSignerPaths(home: string): SwuSigner {
  const paths = workspacePaths(home);
  const dir = resolve(paths.pki, 'swupdate');
  return { certPath: resolve(dir, 'signer-certificate.pem'), keyPath: resolve(dir, 'signer-private-key.pem'), caPath: paths.rootCert };
}

const EXTENSIONS = [
  '[vfleet_swu_signer]',
  'basicConstraints = critical, CA:FALSE',
  'keyUsage = critical, digitalSignature',
  'extendedKeyUsage = codeSigning',
  'subjectKeyIdentifier = hash',
  'authorityKeyIdentifier = keyid',
  '',
].join('\n');

/** The signer of the workspace at `home`, made with openssl when missing. */
export async function ensureSwuSigner(home: string, signal?: AbortSignal): Promise<SwuSigner> {
  const signer = swuSignerPaths(home);
  const paths = workspacePaths(home);
  const haveCert = existsSync(signer.certPath);
  if (haveCert && existsSync(signer.keyPath)) return signer;
  if (haveCert || existsSync(signer.keyPath)) {
    throw new VfleetError('VFLEET_WORKSPACE', `${signer.certPath}: swupdate signer is half there (certificate or key missing); restore it or remove both`);
  }
  if (!existsSync(paths.rootCert) || !existsSync(paths.rootKey)) {
    throw new VfleetError('VFLEET_WORKSPACE', `${paths.rootCert}: no workspace root CA to issue the swupdate signer; run \`vfleet init\` first`);
  }
  const manifest = readWorkspace(home);
  const tmp = mkdtempSync(join(paths.pki, '.swu-signer-'));
  const opt = signal === undefined ? {} : { signal };
  try {
    const key = join(tmp, 'key.pem');
    const csr = join(tmp, 'csr.pem');
    const cert = join(tmp, 'cert.pem');
    const ext = join(tmp, 'ext.cnf');
    writeFileSync(ext, EXTENSIONS);
    await mustTool('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], opt);
    await mustTool('openssl', ['req', '-new', '-key', key, '-subj', `/O=${manifest.organizationName.replace(/[^A-Za-z0-9 ._-]/g, '_')}/CN=vfleet swupdate signer`, '-out', csr], opt);
    await mustTool('openssl', [
      'x509', '-req', '-in', csr, '-CA', paths.rootCert, '-CAkey', paths.rootKey, '-set_serial', `0x${randomBytes(16).toString('hex')}`,
      '-days', '3650', '-sha256', '-extfile', ext, '-extensions', 'vfleet_swu_signer', '-out', cert,
    ], opt);
    // key first, and the cert only beside our own key: a racing maker that wrote its key first writes its cert too
    if (createOnce(signer.keyPath, readFileSync(key, 'utf8'))) createOnce(signer.certPath, readFileSync(cert, 'utf8'), 0o644);
    return signer;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
