// The public-CA trust store an agent process starts with. Node 20 builds its root store (parsing
// ~140 bundled PEM certificates, ~45 ms of CPU) at the first TLS context of a process, even when
// that context names its own CA (the device API's), and NODE_EXTRA_CA_CERTS makes it parse the
// extra file at start-up too (~50 ms for a system bundle). One agent per process pays both at every
// start. With --use-openssl-ca, an empty SSL_CERT_FILE and SSL_CERT_DIR on the host's hashed
// certificate directory, OpenSSL looks a CA up in that directory only when a chain needs it: a
// context with an explicit CA (the device API) still trusts only that CA, and a plain https
// download (protocol §5.5) trusts the host's CAs, found on demand.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface AgentTrust {
  /** Flags for node before the script. */
  nodeArgs: string[];
  /** Variables for the agent's environment; `undefined` removes an inherited one. */
  env: Record<string, string | undefined>;
  /** Which store the agents use, and why (for logs and reports). */
  note: string;
}

/** An OpenSSL hashed certificate directory entry: `<subject hash>.<n>` (`openssl rehash`). */
const HASHED = /^[0-9a-f]{8}\.\d+$/;

/** The base64 bodies of the PEM certificates in a text, whitespace removed. */
function certificateBodies(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/-----BEGIN (?:TRUSTED )?CERTIFICATE-----([\s\S]*?)-----END (?:TRUSTED )?CERTIFICATE-----/g)) {
    out.push((m[1] ?? '').replace(/\s+/g, ''));
  }
  return out;
}

function hashedEntries(dir: string): string[] {
  try {
    if (!statSync(dir).isDirectory()) return [];
    return readdirSync(dir).filter((f) => HASHED.test(f));
  } catch {
    return [];
  }
}

/**
 * Decides the agents' trust store from the supervisor's environment. `host` is the lazily read
 * hashed directory (default `$SSL_CERT_DIR`, else /etc/ssl/certs) when it exists and has entries;
 * NODE_EXTRA_CA_CERTS stays only when it holds a certificate that directory does not. Without such a
 * directory, or with `mode: 'node'`, agents keep Node's bundled roots and NODE_EXTRA_CA_CERTS as given.
 */
export function agentTrust(opts: { mode?: 'host' | 'node'; env?: NodeJS.ProcessEnv; certDir?: string } = {}): AgentTrust {
  const env = opts.env ?? process.env;
  const extra = env['NODE_EXTRA_CA_CERTS'];
  const keep: AgentTrust = {
    nodeArgs: [],
    env: extra === undefined ? {} : { NODE_EXTRA_CA_CERTS: extra },
    note: "Node's bundled roots" + (extra === undefined ? '' : ` and ${extra}`) + ', read at every agent start',
  };
  if (opts.mode === 'node') return keep;
  const dir = opts.certDir ?? env['SSL_CERT_DIR'] ?? '/etc/ssl/certs';
  const entries = hashedEntries(dir);
  if (entries.length === 0) return { ...keep, note: `${keep.note} (no hashed CA directory at ${dir})` };
  const lazy: AgentTrust = {
    nodeArgs: ['--use-openssl-ca'],
    env: { SSL_CERT_FILE: '/dev/null', SSL_CERT_DIR: dir, NODE_EXTRA_CA_CERTS: undefined },
    note: `the host's CAs in ${dir}, looked up on demand`,
  };
  if (extra === undefined) return lazy;
  let wanted: string[];
  try {
    wanted = certificateBodies(readFileSync(extra, 'utf8'));
  } catch {
    // node warns and goes on without an unreadable NODE_EXTRA_CA_CERTS: so do the agents
    return { ...lazy, note: `${lazy.note} (NODE_EXTRA_CA_CERTS ${extra} unreadable: ignored, as node does)` };
  }
  const have = new Set<string>();
  for (const f of entries) {
    try {
      for (const body of certificateBodies(readFileSync(join(dir, f), 'utf8'))) have.add(body);
    } catch {
      // a dangling link: that certificate is simply not in the store
    }
  }
  const missing = wanted.filter((b) => !have.has(b)).length;
  if (missing === 0) return { ...lazy, note: `${lazy.note} (they include every certificate of NODE_EXTRA_CA_CERTS ${extra})` };
  return {
    nodeArgs: lazy.nodeArgs,
    env: { ...lazy.env, NODE_EXTRA_CA_CERTS: extra },
    note: `${lazy.note}, plus NODE_EXTRA_CA_CERTS ${extra} read at every start (${missing} of its certificates are not in ${dir})`,
  };
}

/** The variables to set in an agent's environment (built from scratch by both runtimes): the defined ones. */
export function trustVariables(trust: AgentTrust): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(trust.env)) if (v !== undefined) vars[k] = v;
  return vars;
}
