/**
 * The URL a request target names (RFC 9112 §3.2), for the backend's HTTP servers. An origin-form
 * target (`/path?query`) is a path on `origin` even when it starts with `//` (`new URL('//x', base)`
 * would read `x` as a host, and throws on `//`); an absolute-form target (`http://host/path`) is
 * taken as it is. Anything else (`*`, `example.com:443`, garbage) gives undefined: answer 400.
 */
export function requestUrl(target: string | undefined, origin: string): URL | undefined {
  const t = target ?? '/';
  try {
    if (t.startsWith('/')) return new URL(`${origin}${t}`);
    if (/^https?:\/\//i.test(t)) return new URL(t);
  } catch {
    // not a URL after all: undefined below
  }
  return undefined;
}

/** How a refused request target is described to the client: quoted and cut short. */
export function describeTarget(target: string | undefined): string {
  const t = target ?? '';
  return JSON.stringify(t.length > 80 ? `${t.slice(0, 80)}…` : t);
}
