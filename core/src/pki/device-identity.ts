// A fresh end-entity identity (key, CSR, certificate), built synchronously for fleet-scale generation.
import { buildCsr } from './csr.js';
import { DEFAULT_DAYS, issueEndEntity, type EndEntityProfile } from './end-entity.js';
import { loadIssuer, type IssuerPems } from './issuer.js';
import { commonNameDer } from './name.js';
import { generateP256KeyPair, p256Spki } from './keys.js';
import { encodePem } from './pem.js';

export interface DeviceIdentity {
  /** SEC1 "EC PRIVATE KEY" PEM: what the EVK (`TraditionalOpenSSL`) and `openssl ecparam -genkey` write. */
  keyPem: string;
  /** device-signing-request.pem: CN=<device id>, signed by the device key. */
  csrPem: string;
  certPem: string;
}

export interface DeviceIdentityOptions {
  deviceId: string;
  issuer: IssuerPems;
  /** Lifetime in days; 365 for 'evk', 30 (PERIDIO_VALID_DAYS' default) for 'jitp'. */
  days?: number;
  profile?: EndEntityProfile;
  now?: Date;
}

export function createDeviceIdentity(options: DeviceIdentityOptions): DeviceIdentity {
  const profile = options.profile ?? 'evk';
  return createEndEntity(options.deviceId, 'device id', options.issuer, {
    profile,
    days: options.days ?? DEFAULT_DAYS[profile],
    now: options.now ?? new Date(),
  });
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
  return createEndEntity(options.code, 'verification code', options.issuer, {
    profile: 'evk',
    days: options.days ?? DEFAULT_DAYS.evk,
    now: options.now ?? new Date(),
  });
}

function createEndEntity(
  commonName: string,
  what: string,
  issuerPems: IssuerPems,
  how: { profile: EndEntityProfile; days: number; now: Date },
): DeviceIdentity {
  const subject = commonNameDer(commonName, what);
  const issuer = loadIssuer(issuerPems);
  const pair = generateP256KeyPair();
  const spki = p256Spki(pair.point);
  const cert = issueEndEntity({ issuer, subject, spki, publicKeyBits: pair.point, ...how });
  return {
    keyPem: encodePem('EC PRIVATE KEY', pair.sec1),
    csrPem: encodePem('CERTIFICATE REQUEST', buildCsr(subject, spki, pair.privateKey)),
    certPem: encodePem('CERTIFICATE', cert),
  };
}
