import { randomBytes } from 'node:crypto';
import type { Ctx } from '../context.js';
import { StoreError } from '../errors.js';

/** How long a verification code may wait for its CA registration. */
export const VERIFICATION_CODE_TTL_MS = 24 * 3600 * 1000;
/** Spent and expired codes are kept this long (for the error message), then dropped. */
const KEEP_MS = 7 * 24 * 3600 * 1000;

export interface VerificationCode {
  verification_code: string;
  expires_at: string;
}

/** Single-use, expiring codes that a CA registration proves possession with (protocol §8.4). */
export function caVerificationCodesRepo(ctx: Ctx) {
  const insert = ctx.db.prepare('INSERT INTO ca_verification_codes (code, expires_at, inserted_at) VALUES (?, ?, ?)');
  const byCode = ctx.db.prepare('SELECT expires_at, used_at FROM ca_verification_codes WHERE code = ?');
  const spend = ctx.db.prepare('UPDATE ca_verification_codes SET used_at = ? WHERE code = ? AND used_at IS NULL');
  const prune = ctx.db.prepare('DELETE FROM ca_verification_codes WHERE expires_at < ?');
  return {
    create(): VerificationCode {
      const now = ctx.now();
      const t = Date.parse(now);
      prune.run(new Date(t - KEEP_MS).toISOString());
      const code = randomBytes(16).toString('hex');
      const expires = new Date(t + VERIFICATION_CODE_TTL_MS).toISOString();
      insert.run(code, expires, now);
      return { verification_code: code, expires_at: expires };
    },
    /** Marks the code used, or throws naming `field` when it is unknown, spent or expired. Call inside the registration's transaction. */
    redeem(code: string, field: string): void {
      const now = ctx.now();
      const row = byCode.get(code) as { expires_at: string; used_at: string | null } | undefined;
      const hint = 'create a new one (POST /api/v1/ca-certificates/verification-codes) and sign a certificate with CN=<code> by the CA';
      if (row === undefined) throw new StoreError('invalid', field, `CN ${JSON.stringify(code)} is not a verification code of this backend; ${hint}`);
      if (row.used_at !== null) throw new StoreError('invalid', field, `verification code ${code} was already used at ${row.used_at}; ${hint}`);
      if (row.expires_at <= now) throw new StoreError('invalid', field, `verification code ${code} expired at ${row.expires_at}; ${hint}`);
      spend.run(now, code);
    },
  };
}

export type CaVerificationCodesRepo = ReturnType<typeof caVerificationCodesRepo>;
