// Validity windows: EVK certificates start one day back; JITP ones (entrypoint.sh) at yesterday 00:00 UTC.
export interface Validity {
  notBefore: Date;
  notAfter: Date;
}

export const DAY_MS = 86_400_000;

const wholeSeconds = (ms: number): Date => new Date(Math.floor(ms / 1000) * 1000);

/** From one day before `now` until `days` days after `now`. */
export function backdatedValidity(now: Date, days: number): Validity {
  return { notBefore: wholeSeconds(now.getTime() - DAY_MS), notAfter: wholeSeconds(now.getTime() + days * DAY_MS) };
}

/** From yesterday 00:00 UTC for `days` days, like `date -u -d "yesterday 00:00:00"` + PERIDIO_VALID_DAYS. */
export function jitpValidity(now: Date, days: number): Validity {
  const start = Math.floor(now.getTime() / DAY_MS) * DAY_MS - DAY_MS;
  return { notBefore: new Date(start), notAfter: new Date(start + days * DAY_MS) };
}
