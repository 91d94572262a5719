// Loads a CA certificate + key for signing without an X.509 library: Node's native parser checks
// the certificate, the key and CA:TRUE; the in-house DER splitter gives the name and key id bytes.
import { X509Certificate } from 'node:crypto';
import { VfleetError } from '../errors.js';
import { splitCertificate } from './certificate-der.js';
import { content, readRoot } from './der-read.js';
import type { IdentitySigner } from './identity-template.js';
import type { IssuerPems } from './issuer.js';
import { keyIdentifier, loadEcPrivateKey } from './keys.js';
import { OID } from './oids.js';
import { decodePem } from './pem.js';

/** The same checks as `loadIssuer` (key matches, CA:TRUE), in a fraction of its first-call cost. */
export function loadSigner(issuer: IssuerPems, source = 'issuer'): IdentitySigner {
  const { der } = decodePem(issuer.certPem, ['CERTIFICATE'], `${source} certificate`);
  const raw = splitCertificate(der, `${source} certificate`);
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (cause) {
    throw new VfleetError('VFLEET_PKI_INVALID', `${source} certificate: CERTIFICATE block is not a valid X.509 certificate`, { cause });
  }
  const key = loadEcPrivateKey(issuer.keyPem, `${source} private key`);
  if (!cert.checkPrivateKey(key)) {
    throw new VfleetError(
      'VFLEET_PKI_INVALID',
      `${source}: private key does not match the certificate's public key (certificate ${cert.subject.replaceAll('\n', ', ')}, serial ${cert.serialNumber.toLowerCase()})`,
    );
  }
  if (!cert.ca) {
    throw new VfleetError(
      'VFLEET_PKI_INVALID',
      `${source}: certificate ${cert.subject.replaceAll('\n', ', ')} is not a CA (BasicConstraints CA:TRUE is required to sign certificates)`,
    );
  }
  const ski = raw.extensions.get(OID.subjectKeyIdentifier);
  return {
    name: raw.subject,
    keyId: ski ? content(ski.value, readRoot(ski.value, `${source} SubjectKeyIdentifier`)) : keyIdentifier(raw.publicKeyBits),
    key,
  };
}
