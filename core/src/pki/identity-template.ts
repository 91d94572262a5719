// Fleet-scale end-entity identities: everything a generation's certificates share (version,
// algorithm, issuer, validity, extensions but the SKI) is DER-encoded once; each identity then only
// encodes its serial, subject, key and SKI and signs. Imports nothing that parses X.509, so worker
// threads load it in milliseconds.
import type { KeyObject } from 'node:crypto';
import { ECDSA_WITH_SHA256, randomSerial, signedEnvelope } from './certificate-builder.js';
import { DEFAULT_DAYS, type EndEntityProfile } from './end-entity.js';
import { explicit, sequence, smallInteger, time, unsignedInteger } from './der-write.js';
import {
  authorityKeyIdentifier,
  BASIC_CONSTRAINTS_END_ENTITY,
  EXT_KEY_USAGE_CLIENT_AUTH,
  KEY_USAGE_DIGITAL_SIGNATURE,
  subjectKeyIdentifier,
} from './extensions.js';
import { generateP256KeyPair, keyIdentifier, p256Spki } from './keys.js';
import { commonNameDer } from './name.js';
import { encodePem } from './pem.js';
import { backdatedValidity, jitpValidity } from './validity.js';

export interface DeviceIdentity {
  /** SEC1 "EC PRIVATE KEY" PEM: what the EVK (`TraditionalOpenSSL`) and `openssl ecparam -genkey` write. */
  keyPem: string;
  /** device-signing-request.pem: CN=<device id>, signed by the device key. */
  csrPem: string;
  certPem: string;
}

/** What signing needs of a CA: a plain object, so it can be posted to worker threads as is. */
export interface IdentitySigner {
  /** The CA's subject Name DER, reused verbatim as the issuer of what it signs. */
  name: Buffer;
  /** Its SubjectKeyIdentifier, for the AuthorityKeyIdentifier of what it signs. */
  keyId: Buffer;
  key: KeyObject;
}

export interface IdentityTemplateOptions {
  signer: IdentitySigner;
  profile?: EndEntityProfile;
  /** Lifetime in days; default 365 for 'evk', 30 for 'jitp'. */
  days?: number;
  now: Date;
}

/** Makes a fresh key, CSR and certificate for `commonName`; `what` names it in errors ("device id"). */
export type IdentityFactory = (commonName: string, what?: string) => DeviceIdentity;

const VERSION_3 = explicit(0, smallInteger(2));

export function identityTemplate(options: IdentityTemplateOptions): IdentityFactory {
  const { signer, now } = options;
  const profile = options.profile ?? 'evk';
  const days = options.days ?? DEFAULT_DAYS[profile];
  const validity = profile === 'evk' ? backdatedValidity(now, days) : jitpValidity(now, days);
  // issuer side of the TBSCertificate: signature algorithm, issuer Name, validity
  const afterSerial = Buffer.concat([ECDSA_WITH_SHA256, signer.name, sequence(time(validity.notBefore), time(validity.notAfter))]);
  const aki = authorityKeyIdentifier(signer.keyId);
  // Order as each tool writes them: the EVK's builder calls, then openssl.cnf's section; SKI last in both.
  const beforeSki = Buffer.concat(profile === 'evk' ? [BASIC_CONSTRAINTS_END_ENTITY, aki] : [aki, EXT_KEY_USAGE_CLIENT_AUTH, KEY_USAGE_DIGITAL_SIGNATURE]);
  return (commonName, what = 'common name') => {
    const subject = commonNameDer(commonName, what);
    const pair = generateP256KeyPair();
    const spki = p256Spki(pair.point);
    const ski = subjectKeyIdentifier(keyIdentifier(pair.point));
    const tbs = sequence(VERSION_3, unsignedInteger(randomSerial()), afterSerial, subject, spki, explicit(3, sequence(beforeSki, ski)));
    // CertificationRequestInfo with an empty attribute set, as `cryptography` and `openssl req` write it
    const csr = signedEnvelope(sequence(smallInteger(0), subject, spki, explicit(0)), pair.privateKey);
    return {
      keyPem: encodePem('EC PRIVATE KEY', pair.sec1),
      csrPem: encodePem('CERTIFICATE REQUEST', csr),
      certPem: encodePem('CERTIFICATE', signedEnvelope(tbs, signer.key)),
    };
  };
}
