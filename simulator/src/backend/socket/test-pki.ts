// Test support: a throwaway CA, server and client certificates made with the openssl CLI.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface KeyPair {
  cert: string;
  key: string;
}

export interface TestPki {
  ca: string;
  server: KeyPair;
  /** Client certificates by subject CN, issued by `ca`. */
  clients: Record<string, KeyPair>;
  /** A client certificate from a CA the server does not trust. */
  untrusted: KeyPair;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function selfSigned(dir: string, name: string): void {
  openssl(dir, ['req', '-x509', ...EC, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`]);
}

function issue(dir: string, ca: string, name: string, cn: string, ext: string): KeyPair {
  writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial',
    '-days', '1', '-out', `${name}.crt`, '-extfile', `${name}.ext`]);
  return { cert: readFileSync(join(dir, `${name}.crt`), 'utf8'), key: readFileSync(join(dir, `${name}.key`), 'utf8') };
}

/** Writes the PKI into `dir` (the caller removes it) and returns the PEMs. */
export function makeTestPki(dir: string, clientCns: string[]): TestPki {
  selfSigned(dir, 'test-ca');
  selfSigned(dir, 'rogue-ca');
  const server = issue(dir, 'test-ca', 'server', 'localhost', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  const clients: Record<string, KeyPair> = {};
  clientCns.forEach((cn, i) => {
    clients[cn] = issue(dir, 'test-ca', `client-${i}`, cn, 'extendedKeyUsage=clientAuth');
  });
  const untrusted = issue(dir, 'rogue-ca', 'rogue-client', clientCns[0] ?? 'rogue', 'extendedKeyUsage=clientAuth');
  return { ca: readFileSync(join(dir, 'test-ca.crt'), 'utf8'), server, clients, untrusted };
}
