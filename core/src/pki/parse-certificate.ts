// Certificate parsing for callers: PEM → named fields, with errors that name the source.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { BasicConstraintsExtension, X509Certificate } from '@peculiar/x509';
import { VfleetError } from '../errors.js';
import { splitCertificate, type CertificateDer } from './certificate-der.js';
import { loadEcPrivateKey, spkiOfPrivateKey } from './keys.js';
import { decodePem } from './pem.js';

export interface ParsedCertificate {
  pem: string;
  der: Buffer;
  /** The subject's first CN, or '' when there is none. */
  commonName: string;
  /** RFC 4514-style distinguished names, e.g. `CN=EI-ML-0001`. */
  subject: string;
  issuer: string;
  /** Lowercase hex, as @peculiar/x509 prints it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  ca: boolean;
  pathLength?: number;
  publicKey: KeyObject;
  raw: CertificateDer;
}

export function parseCertificate(pem: string, source: string): ParsedCertificate {
  const { der } = decodePem(pem, ['CERTIFICATE'], source);
  const raw = splitCertificate(der, source);
  let cert: X509Certificate;
  let publicKey: KeyObject;
  try {
    cert = new X509Certificate(der);
    publicKey = createPublicKey({ key: raw.spki, format: 'der', type: 'spki' });
  } catch (cause) {
    throw new VfleetError('VFLEET_PKI_INVALID', `${source}: CERTIFICATE block is not a valid X.509 certificate`, {
      cause,
    });
  }
  const constraints = cert.getExtension(BasicConstraintsExtension);
  return {
    pem,
    der,
    commonName: cert.subjectName.getField('CN')[0] ?? '',
    subject: cert.subject,
    issuer: cert.issuer,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    ca: constraints?.ca ?? false,
    ...(constraints?.pathLength === undefined ? {} : { pathLength: constraints.pathLength }),
    publicKey,
    raw,
  };
}

/** Throws unless `keyPem` is the private half of the certificate's public key; returns the parsed certificate. */
export function checkKeyMatchesCertificate(certPem: string, keyPem: string, source: string): ParsedCertificate {
  const cert = parseCertificate(certPem, `${source} certificate`);
  assertKeyMatches(cert, loadEcPrivateKey(keyPem, `${source} private key`), source);
  return cert;
}

export function assertKeyMatches(cert: ParsedCertificate, key: KeyObject, source: string): void {
  if (!spkiOfPrivateKey(key).equals(cert.raw.spki)) {
    throw new VfleetError(
      'VFLEET_PKI_INVALID',
      `${source}: private key does not match the certificate's public key (certificate ${cert.subject}, serial ${cert.serialNumber})`,
    );
  }
}
