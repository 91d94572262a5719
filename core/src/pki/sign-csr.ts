// The JITP signer: what entrypoint.sh's `openssl ca` does with a device CSR, or the EVK's signer.
import { parseCsr } from './csr.js';
import { DEFAULT_DAYS, issueEndEntity, type EndEntityProfile } from './end-entity.js';
import { loadIssuer, type IssuerPems } from './issuer.js';
import { encodePem } from './pem.js';

export interface SignCsrOptions {
  csrPem: string;
  issuer: IssuerPems;
  profile: EndEntityProfile;
  /** Defaults: 365 ('evk'), 30 ('jitp', PERIDIO_VALID_DAYS' default). */
  days?: number;
  now?: Date;
  /** Names the CSR in errors; defaults to "CSR". */
  source?: string;
}

/** Verifies the CSR's self-signature, then issues a certificate for its subject and key; returns PEM. */
export function signCsr(options: SignCsrOptions): string {
  const csr = parseCsr(options.csrPem, options.source ?? 'CSR');
  const cert = issueEndEntity({
    issuer: loadIssuer(options.issuer),
    subject: csr.subject,
    spki: csr.spki,
    publicKeyBits: csr.publicKeyBits,
    profile: options.profile,
    days: options.days ?? DEFAULT_DAYS[options.profile],
    now: options.now ?? new Date(),
  });
  return encodePem('CERTIFICATE', cert);
}
