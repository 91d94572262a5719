/**
 * peridiod's log sanitiser: the query string (a pre-signed URL's credentials) becomes `[FILTERED]`;
 * so does a user:password in front of the host, which peridiod's leaves in.
 */
export function sanitizeUrl(url: string | URL): string {
  let text = String(url);
  const q = text.indexOf('?');
  if (q !== -1) text = `${text.slice(0, q)}?[FILTERED]`;
  // scheme://userinfo@host… (the userinfo ends at the last @ before the path)
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/]*)@/i.exec(text);
  return m === null ? text : `${m[1]}[FILTERED]@${text.slice(m[0].length)}`;
}
