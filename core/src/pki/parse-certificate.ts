// Certificate parsing for callers: PEM → named fields, with errors that name the source.
import { createPublicKey, X509Certificate as NodeX509Certificate, type KeyObject } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { VfleetError } from '../errors.js';
import { splitCertificate, type CertificateDer } from './certificate-der.js';
import { loadEcPrivateKey, spkiOfPrivateKey } from './keys.js';
import { decodePem } from './pem.js';
import { peculiarX509 } from './peculiar.js';

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

/** A name Node prints one RDN per line; plain values read the same as @peculiar/x509's `A=x, B=y`. */
function plainName(lines: string): string | undefined {
  const parts = lines.split('\n');
  return parts.every((p) => /^[A-Za-z0-9.]+=[^,+"\\<>;#=\s][^,+"\\<>;=]*$/.test(p) && !p.endsWith(' ')) ? parts.join(', ') : undefined;
}

const notX509 = (source: string, cause: unknown) =>
  new VfleetError('VFLEET_PKI_INVALID', `${source}: CERTIFICATE block is not a valid X.509 certificate`, { cause });

export function parseCertificate(pem: string, source: string): ParsedCertificate {
  const { der } = decodePem(pem, ['CERTIFICATE'], source);
  const raw = splitCertificate(der, source);
  let publicKey: KeyObject;
  let fast: NodeX509Certificate;
  try {
    fast = new NodeX509Certificate(der);
    publicKey = createPublicKey({ key: raw.spki, format: 'der', type: 'spki' });
  } catch (cause) {
    throw notX509(source, cause);
  }
  const subject = plainName(fast.subject);
  const issuer = plainName(fast.issuer);
  // Node's parser is ten times cheaper (this runs for every agent start); CAs (for the path length)
  // and names with characters whose escaping differs go through @peculiar/x509
  if (!fast.ca && subject !== undefined && issuer !== undefined) {
    return {
      pem,
      der,
      commonName: /^CN=(.*)$/m.exec(fast.subject)?.[1] ?? '',
      subject,
      issuer,
      serialNumber: (raw.serial.length > 1 && raw.serial[0] === 0 ? raw.serial.subarray(1) : raw.serial).toString('hex'),
      notBefore: new Date(fast.validFrom),
      notAfter: new Date(fast.validTo),
      ca: false,
      publicKey,
      raw,
    };
  }
  const { BasicConstraintsExtension, X509Certificate: PeculiarCertificate } = peculiarX509();
  let cert: X509Certificate;
  try {
    cert = new PeculiarCertificate(der);
  } catch (cause) {
    throw notX509(source, cause);
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
