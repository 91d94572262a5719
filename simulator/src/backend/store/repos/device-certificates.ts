import { certificateFacts, FINGERPRINT } from '../certificate-facts.js';
import { Fields } from '../fields.js';
import type { Tables } from '../tables.js';
import type { DeviceCertificate } from '../types.js';

/** Give `certificate_pem` (fingerprint and expiry are read from it) or `fingerprint` + `not_after`. */
export interface DeviceCertificateInput {
  device_uuid: string;
  certificate_pem?: string;
  fingerprint?: string;
  not_after?: string;
  ca_certificate_uuid?: string | null;
}

export function deviceCertificatesRepo({ deviceCertificates, devices, caCertificates }: Tables) {
  return {
    create(input: DeviceCertificateInput): DeviceCertificate {
      const f = new Fields('device_certificate', input, ['device_uuid', 'certificate_pem', 'fingerprint', 'not_after', 'ca_certificate_uuid']);
      const deviceUuid = f.ref('device_uuid', 'device');
      if (!devices.exists(deviceUuid)) f.fail('device_uuid', `no device ${JSON.stringify(deviceUuid)}`, 'reference');
      const caUuid = f.optRef('ca_certificate_uuid', 'ca_certificate');
      if (caUuid !== null && !caCertificates.exists(caUuid)) f.fail('ca_certificate_uuid', `no ca_certificate ${JSON.stringify(caUuid)}`, 'reference');
      let fingerprint: string;
      let notAfter: string;
      if (f.has('certificate_pem')) {
        if (f.has('fingerprint') || f.has('not_after')) f.fail('certificate_pem', 'give certificate_pem or fingerprint + not_after, not both');
        const facts = certificateFacts(f.text('certificate_pem', 20_000, true), 'device_certificate.certificate_pem');
        fingerprint = facts.fingerprint;
        notAfter = facts.not_after;
      } else {
        fingerprint = f.text('fingerprint', 64).toLowerCase();
        if (!FINGERPRINT.test(fingerprint)) f.fail('fingerprint', 'expected 64 hex characters (SHA-256 of the DER certificate)');
        notAfter = f.iso('not_after');
      }
      if (deviceCertificates.where('fingerprint = ?', fingerprint).length > 0) {
        f.fail('fingerprint', `a device certificate with fingerprint ${fingerprint} is already registered`, 'conflict');
      }
      return deviceCertificates.insert({ device_uuid: deviceUuid, fingerprint, ca_certificate_uuid: caUuid, not_after: notAfter });
    },
    get: (uuid: string): DeviceCertificate | undefined => deviceCertificates.get(uuid),
    getByFingerprint: (fingerprint: string): DeviceCertificate | undefined =>
      deviceCertificates.where('fingerprint = ?', fingerprint.toLowerCase())[0],
    list: (filter: { device_uuid?: string } = {}): DeviceCertificate[] =>
      filter.device_uuid === undefined ? deviceCertificates.list() : deviceCertificates.where('device_uuid = ?', filter.device_uuid),
    delete: (uuid: string): void => deviceCertificates.remove(uuid, 'nothing'),
  };
}

export type DeviceCertificatesRepo = ReturnType<typeof deviceCertificatesRepo>;
