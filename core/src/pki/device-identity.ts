// A fresh end-entity identity (key, CSR, certificate), built synchronously for fleet-scale generation.
import type { EndEntityProfile } from './end-entity.js';
import { identityTemplate, type DeviceIdentity } from './identity-template.js';
import { loadIssuer, type IssuerPems } from './issuer.js';

export type { DeviceIdentity } from './identity-template.js';

export interface DeviceIdentityOptions {
  deviceId: string;
  issuer: IssuerPems;
  /** Lifetime in days; 365 for 'evk', 30 (PERIDIO_VALID_DAYS' default) for 'jitp'. */
  days?: number;
  profile?: EndEntityProfile;
  now?: Date;
}

/** One identity; for many with the same issuer and time, `identityTemplate` encodes the shared part once. */
export function createDeviceIdentity(options: DeviceIdentityOptions): DeviceIdentity {
  return identityTemplate({
    signer: loadIssuer(options.issuer),
    profile: options.profile ?? 'evk',
    ...(options.days === undefined ? {} : { days: options.days }),
    now: options.now ?? new Date(),
  })(options.deviceId, 'device id');
}

export interface VerificationCertificateOptions {
  code: string;
  /** The intermediate CA being registered. */
  issuer: IssuerPems;
  days?: number;
  now?: Date;
}

/** The proof-of-possession certificate `ca-certificates create` takes: CN=<verification code>. */
export function createVerificationCertificate(options: VerificationCertificateOptions): DeviceIdentity {
  return identityTemplate({
    signer: loadIssuer(options.issuer),
    profile: 'evk',
    ...(options.days === undefined ? {} : { days: options.days }),
    now: options.now ?? new Date(),
  })(options.code, 'verification code');
}
