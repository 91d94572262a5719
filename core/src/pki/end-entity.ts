// End-entity certificate profiles: the EVK's (`cryptography`) and the JITP entrypoint's (`openssl ca`).
import { buildCertificate } from './certificate-builder.js';
import {
  authorityKeyIdentifier,
  BASIC_CONSTRAINTS_END_ENTITY,
  EXT_KEY_USAGE_CLIENT_AUTH,
  KEY_USAGE_DIGITAL_SIGNATURE,
  subjectKeyIdentifier,
} from './extensions.js';
import type { LoadedIssuer } from './issuer.js';
import { keyIdentifier } from './keys.js';
import { backdatedValidity, jitpValidity } from './validity.js';

/**
 * 'evk': CA:FALSE critical, AKI, SKI; valid from a day back.
 * 'jitp': AKI, EKU clientAuth, critical KU digitalSignature, SKI; valid from yesterday 00:00 UTC.
 */
export type EndEntityProfile = 'evk' | 'jitp';

export const DEFAULT_DAYS: Record<EndEntityProfile, number> = { evk: 365, jitp: 30 };

export interface EndEntityRequest {
  issuer: LoadedIssuer;
  subject: Buffer;
  spki: Buffer;
  publicKeyBits: Uint8Array;
  profile: EndEntityProfile;
  days: number;
  now: Date;
}

export function issueEndEntity(req: EndEntityRequest): Buffer {
  const aki = authorityKeyIdentifier(req.issuer.keyId);
  const ski = subjectKeyIdentifier(keyIdentifier(req.publicKeyBits));
  const evk = req.profile === 'evk';
  return buildCertificate(
    {
      ...(evk ? backdatedValidity(req.now, req.days) : jitpValidity(req.now, req.days)),
      issuer: req.issuer.name,
      subject: req.subject,
      spki: req.spki,
      // Order as each tool writes them: the EVK's builder calls, then openssl.cnf's section.
      extensions: evk
        ? [BASIC_CONSTRAINTS_END_ENTITY, aki, ski]
        : [aki, EXT_KEY_USAGE_CLIENT_AUTH, KEY_USAGE_DIGITAL_SIGNATURE, ski],
    },
    req.issuer.key,
  );
}
