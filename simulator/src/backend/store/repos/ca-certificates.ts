import { certificateFacts } from '../certificate-facts.js';
import type { Ctx } from '../context.js';
import { Fields } from '../fields.js';
import { requireRef } from '../table.js';
import type { Tables } from '../tables.js';
import type { CaCertificate, Jitp } from '../types.js';
import { verificationCodeOf } from '../verification-certificate.js';
import type { CaVerificationCodesRepo } from './ca-verification-codes.js';

export interface JitpInput {
  cohort_uuid: string;
  product_name: string;
  tags?: string[];
  target?: string | null;
  description?: string | null;
}

export interface CaCertificateInput {
  certificate_pem: string;
  cohort_uuid?: string | null;
  description?: string | null;
  jitp?: JitpInput | null;
}
/** What the admin API takes: the CA plus its proof of possession (`ca-certificates create --verification-certificate-path`). */
export interface CaRegistration extends CaCertificateInput {
  /** CN=<verification code>, signed by the CA being registered. */
  verification_certificate_pem: string;
}
export type CaCertificatePatch = Partial<Omit<CaCertificateInput, 'certificate_pem'>>;

export function caCertificatesRepo(ctx: Ctx, { caCertificates, cohorts, products }: Tables, codes: CaVerificationCodesRepo) {
  const jitpOf = (f: Fields): Jitp | null => {
    if (!f.has('jitp') || f.object('jitp') === null) return null;
    const j = new Fields('ca_certificate.jitp', f.object('jitp'), ['cohort_uuid', 'product_name', 'tags', 'target', 'description']);
    const cohortUuid = j.ref('cohort_uuid', 'cohort');
    const cohort = cohorts.get(cohortUuid) ?? j.fail('cohort_uuid', `no cohort ${JSON.stringify(cohortUuid)}`, 'reference');
    const productName = j.text('product_name', 100);
    const product = products.must(cohort.product_uuid);
    if (product.name !== productName) {
      j.fail('product_name', `cohort ${cohort.name} belongs to product ${JSON.stringify(product.name)}, not ${JSON.stringify(productName)}`);
    }
    return {
      cohort_uuid: cohortUuid,
      product_name: productName,
      tags: j.has('tags') ? j.strings('tags') : [],
      target: j.optText('target', 100),
      description: j.optText('description'),
    };
  };
  const cohortOf = (f: Fields): string | null => {
    const uuid = f.optRef('cohort_uuid', 'cohort');
    if (uuid !== null) requireRef(cohorts, 'ca_certificate', 'cohort_uuid', uuid);
    return uuid;
  };
  const repo = {
    /** Registers a CA without proof of possession: for code that holds the CA itself (tests, migrations). */
    create(input: CaCertificateInput): CaCertificate {
      const f = new Fields('ca_certificate', input, ['certificate_pem', 'cohort_uuid', 'description', 'jitp']);
      const pem = f.text('certificate_pem', 20_000, true);
      const facts = certificateFacts(pem, 'ca_certificate.certificate_pem');
      if (!facts.ca) f.fail('certificate_pem', `${facts.subject} is not a CA certificate (basicConstraints CA:FALSE or absent)`);
      if (caCertificates.where('fingerprint = ?', facts.fingerprint).length > 0) {
        f.fail('certificate_pem', `a CA certificate with fingerprint ${facts.fingerprint} is already registered`, 'conflict');
      }
      return caCertificates.insert({
        certificate_pem: pem,
        subject: facts.subject,
        fingerprint: facts.fingerprint,
        not_after: facts.not_after,
        cohort_uuid: cohortOf(f),
        description: f.optText('description'),
        jitp: jitpOf(f),
      });
    },
    get: (uuid: string): CaCertificate | undefined => caCertificates.get(uuid),
    getByFingerprint: (fingerprint: string): CaCertificate | undefined =>
      caCertificates.where('fingerprint = ?', fingerprint.toLowerCase())[0],
    list: (): CaCertificate[] => caCertificates.list(),
    update(uuid: string, patch: CaCertificatePatch): CaCertificate {
      caCertificates.must(uuid);
      const f = new Fields('ca_certificate', patch, ['cohort_uuid', 'description', 'jitp']);
      return caCertificates.update(uuid, {
        ...(f.has('cohort_uuid') ? { cohort_uuid: cohortOf(f) } : {}),
        ...(f.has('description') ? { description: f.optText('description') } : {}),
        ...(f.has('jitp') ? { jitp: jitpOf(f) } : {}),
      });
    },
    delete: (uuid: string): void => caCertificates.remove(uuid, 'device certificates'),
    /**
     * Registers a CA as Peridio does: its verification certificate must carry an unspent, unexpired
     * code as CN and be signed by the CA. The code is spent only if the CA is stored.
     */
    register(input: CaRegistration): CaCertificate {
      const f = new Fields('ca_certificate', input, ['certificate_pem', 'verification_certificate_pem', 'cohort_uuid', 'description', 'jitp']);
      const caPem = f.text('certificate_pem', 20_000, true);
      const proof = f.text('verification_certificate_pem', 20_000, true);
      const { verification_certificate_pem: _, ...rest } = input;
      return ctx.db.transaction(() => {
        const code = verificationCodeOf(caPem, proof, 'ca_certificate.verification_certificate_pem', new Date(ctx.now()));
        codes.redeem(code, 'ca_certificate.verification_certificate_pem');
        return repo.create(rest);
      })();
    },
  };
  return repo;
}

export type CaCertificatesRepo = ReturnType<typeof caCertificatesRepo>;
