// X.501 Names as vfleet issues them: a single CN attribute, UTF8String (what `cryptography` writes).
import { VfleetError } from '../errors.js';
import { objectIdentifier, sequence, set, utf8String } from './der-write.js';
import { OID } from './oids.js';

const CN_OID = objectIdentifier(OID.commonName);
/** X.520 ub-common-name. */
const MAX_CN = 64;

export function commonNameDer(commonName: string, what: string): Buffer {
  // Code points, not UTF-16 units; the spread is only needed when surrogates could make them differ.
  const length = commonName.length <= MAX_CN ? commonName.length : [...commonName].length;
  if (length === 0 || length > MAX_CN) {
    throw new VfleetError(
      'VFLEET_PKI_INVALID',
      `${what} ${JSON.stringify(commonName)}: a certificate common name must be 1–${MAX_CN} characters, got ${length}`,
    );
  }
  return sequence(set(sequence(CN_OID, utf8String(commonName))));
}
