import { X509Certificate } from 'node:crypto';
import { StoreError } from './errors.js';

export interface CertificateFacts {
  subject: string;
  /** Lowercase hex SHA-256 of the DER encoding. */
  fingerprint: string;
  not_after: string;
  ca: boolean;
}

/** Reads what the store keeps about a PEM certificate; `field` names it in errors. */
export function certificateFacts(pem: string, field: string): CertificateFacts {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(pem);
  } catch (cause) {
    throw new StoreError('invalid', field, 'is not a PEM-encoded X.509 certificate', { cause });
  }
  return {
    subject: cert.subject.split('\n').join(', '),
    fingerprint: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
    not_after: new Date(cert.validTo).toISOString(),
    ca: cert.ca,
  };
}

export const FINGERPRINT = /^[0-9a-f]{64}$/;
