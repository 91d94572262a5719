import { createHmac, timingSafeEqual } from 'node:crypto';

/** Binary URLs are unguessable and expire: `/binaries/<uuid>?expires=<unix s>&signature=<hmac>`. */
export interface UrlSigner {
  path(binaryUuid: string, now?: number): string;
  verify(binaryUuid: string, expires: string | null, signature: string | null, now?: number): 'ok' | 'expired' | 'invalid';
}

export function createUrlSigner(secret: Buffer, ttlSeconds = 3600): UrlSigner {
  // a short key makes the URLs guessable; an empty one (Buffer.from('zz', 'hex')) makes them forgeable
  if (secret.length < 32) throw new RangeError(`binary URL secret: ${secret.length} bytes, at least 32 needed`);
  const mac = (uuid: string, expires: string) => createHmac('sha256', secret).update(`${uuid}\n${expires}`).digest('base64url');
  return {
    path(binaryUuid, now = Date.now()) {
      const expires = String(Math.floor(now / 1000) + ttlSeconds);
      return `/binaries/${binaryUuid}?expires=${expires}&signature=${mac(binaryUuid, expires)}`;
    },
    verify(binaryUuid, expires, signature, now = Date.now()) {
      if (expires === null || signature === null || !/^\d{1,12}$/.test(expires)) return 'invalid';
      const want = Buffer.from(mac(binaryUuid, expires));
      const got = Buffer.from(signature);
      if (got.length !== want.length || !timingSafeEqual(got, want)) return 'invalid';
      return Number(expires) * 1000 < now ? 'expired' : 'ok';
    },
  };
}
