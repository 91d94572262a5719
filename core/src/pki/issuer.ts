// A CA that signs certificates: its PEMs, loaded and checked once, then cached per object.
import type { KeyObject } from 'node:crypto';
import { VfleetError } from '../errors.js';
import { content, readRoot } from './der-read.js';
import { keyIdentifier, loadEcPrivateKey } from './keys.js';
import { OID } from './oids.js';
import { assertKeyMatches, parseCertificate } from './parse-certificate.js';

export interface IssuerPems {
  certPem: string;
  keyPem: string;
}

export interface LoadedIssuer {
  commonName: string;
  /** The issuer's subject Name DER, reused verbatim as the issued certificate's issuer. */
  name: Buffer;
  /** Its SubjectKeyIdentifier (or the SHA-1 key hash), for the AuthorityKeyIdentifier of what it signs. */
  keyId: Buffer;
  key: KeyObject;
}

const cache = new WeakMap<IssuerPems, LoadedIssuer>();

export function loadIssuer(issuer: IssuerPems, source = 'issuer'): LoadedIssuer {
  const cached = cache.get(issuer);
  if (cached) return cached;
  const cert = parseCertificate(issuer.certPem, `${source} certificate`);
  const key = loadEcPrivateKey(issuer.keyPem, `${source} private key`);
  assertKeyMatches(cert, key, source);
  if (!cert.ca) {
    throw new VfleetError(
      'VFLEET_PKI_INVALID',
      `${source}: certificate ${cert.subject} is not a CA (BasicConstraints CA:TRUE is required to sign certificates)`,
    );
  }
  const ski = cert.raw.extensions.get(OID.subjectKeyIdentifier);
  const loaded: LoadedIssuer = {
    commonName: cert.commonName,
    name: cert.raw.subject,
    keyId: ski
      ? content(ski.value, readRoot(ski.value, `${source} SubjectKeyIdentifier`))
      : keyIdentifier(cert.raw.publicKeyBits),
    key,
  };
  cache.set(issuer, loaded);
  return loaded;
}
