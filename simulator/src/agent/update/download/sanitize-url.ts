/** peridiod's log sanitiser: the query string (a pre-signed URL's credentials) becomes `[FILTERED]`. */
export function sanitizeUrl(url: string | URL): string {
  const text = String(url);
  const q = text.indexOf('?');
  return q === -1 ? text : `${text.slice(0, q)}?[FILTERED]`;
}
