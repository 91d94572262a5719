// Root and intermediate CAs shaped like the EVK's (peridio-evk crypto.py), ECDSA P-256 / SHA-256.
import { buildCertificate } from './certificate-builder.js';
import { authorityKeyIdentifier, basicConstraints, subjectKeyIdentifier } from './extensions.js';
import { loadIssuer, type IssuerPems } from './issuer.js';
import { generateP256KeyPair, keyIdentifier, p256Spki } from './keys.js';
import { commonNameDer } from './name.js';
import { encodePem } from './pem.js';
import { backdatedValidity, type Validity } from './validity.js';

export interface RootCaOptions {
  /** EVK: `Root CA <organization name>`. */
  commonName: string;
  /** Default 31 (the EVK's 31 × 365 days). */
  years?: number;
  notBefore?: Date;
  notAfter?: Date;
  now?: Date;
}

/** Self-signed; BasicConstraints CA (no path length) critical, AKI, SKI. Key: SEC1 PEM, as the EVK writes. */
export function createRootCa(options: RootCaOptions): IssuerPems {
  const subject = commonNameDer(options.commonName, 'root CA name');
  const pair = generateP256KeyPair();
  const keyId = keyIdentifier(pair.point);
  const window = validityFor(options.now, options.years ?? 31);
  const validity: Validity = {
    notBefore: options.notBefore ?? window.notBefore,
    notAfter: options.notAfter ?? window.notAfter,
  };
  const der = buildCertificate(
    {
      ...validity,
      issuer: subject,
      subject,
      spki: p256Spki(pair.point),
      extensions: [basicConstraints(true), authorityKeyIdentifier(keyId), subjectKeyIdentifier(keyId)],
    },
    pair.privateKey,
  );
  return { certPem: encodePem('CERTIFICATE', der), keyPem: encodePem('EC PRIVATE KEY', pair.sec1) };
}

export interface IntermediateCaOptions {
  /** EVK: `Intermediate CA <product> <cohort>`. */
  commonName: string;
  issuer: IssuerPems;
  /** Default 10. */
  years?: number;
  now?: Date;
}

/** Signed by `issuer`; BasicConstraints CA pathlen 0 critical, AKI, SKI. */
export function createIntermediateCa(options: IntermediateCaOptions): IssuerPems {
  const subject = commonNameDer(options.commonName, 'intermediate CA name');
  const issuer = loadIssuer(options.issuer);
  const pair = generateP256KeyPair();
  const der = buildCertificate(
    {
      ...validityFor(options.now, options.years ?? 10),
      issuer: issuer.name,
      subject,
      spki: p256Spki(pair.point),
      extensions: [
        basicConstraints(true, 0),
        authorityKeyIdentifier(issuer.keyId),
        subjectKeyIdentifier(keyIdentifier(pair.point)),
      ],
    },
    issuer.key,
  );
  return { certPem: encodePem('CERTIFICATE', der), keyPem: encodePem('EC PRIVATE KEY', pair.sec1) };
}

const validityFor = (now: Date | undefined, years: number): Validity =>
  backdatedValidity(now ?? new Date(), years * 365);
