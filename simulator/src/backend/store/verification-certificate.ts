import { X509Certificate } from 'node:crypto';
import { StoreError } from './errors.js';

function parse(pem: string, field: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (cause) {
    throw new StoreError('invalid', field, 'is not a PEM-encoded X.509 certificate', { cause });
  }
}

/**
 * Checks the proof of possession that comes with a CA registration (protocol §8.4): the
 * verification certificate must be issued and signed by that CA and valid at `at`. Returns its
 * subject CN, the verification code the caller then redeems.
 */
export function verificationCodeOf(caPem: string, verificationPem: string, field: string, at: Date): string {
  const ca = parse(caPem, field.replace(/verification_certificate_pem$/, 'certificate_pem'));
  const cert = parse(verificationPem, field);
  // checkIssued compares names and key identifiers; verify proves the CA's key made the signature
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
    const issuer = cert.issuer.split('\n').join(', ');
    throw new StoreError('invalid', field, `is not signed by the CA being registered (issuer ${issuer}); sign it with that CA's private key`);
  }
  const t = at.getTime();
  if (t < Date.parse(cert.validFrom) || t > Date.parse(cert.validTo)) {
    throw new StoreError('invalid', field, `is not valid now (valid ${new Date(cert.validFrom).toISOString()} to ${new Date(cert.validTo).toISOString()})`);
  }
  const cns = cert.subject.split('\n').filter((l) => l.startsWith('CN=')).map((l) => l.slice(3));
  if (cns.length !== 1 || cns[0] === '') {
    throw new StoreError('invalid', field, `subject ${JSON.stringify(cert.subject)} must have exactly one CN: the verification code`);
  }
  return cns[0] as string;
}
