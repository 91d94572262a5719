import { afterAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRootCa, createServerCertificate } from '@vfleet/core';
import { haveTools, run } from '@vfleet/core/test-support';
import { agentTrust } from './agent-trust.js';

const root = mkdtempSync(join(tmpdir(), 'vft-agent-trust-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const hostCa = createRootCa({ commonName: 'vft host CA' });
const otherCa = createRootCa({ commonName: 'vft other CA' });

/** A hashed CA directory as `openssl rehash` (update-ca-certificates) leaves it. */
function hashedDir(name: string, ...pems: string[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  pems.forEach((pem, i) => writeFileSync(join(dir, `ca-${i}.pem`), pem));
  run('openssl', ['rehash', dir]);
  return dir;
}

describe.runIf(haveTools('openssl'))('agentTrust', () => {
  it('reads the host store on demand, drops a NODE_EXTRA_CA_CERTS it already holds, and keeps one it does not', () => {
    const dir = hashedDir('store', hostCa.certPem);
    expect(agentTrust({ env: {}, certDir: dir })).toMatchObject({
      nodeArgs: ['--use-openssl-ca'],
      env: { SSL_CERT_FILE: '/dev/null', SSL_CERT_DIR: dir, NODE_EXTRA_CA_CERTS: undefined },
    });
    const covered = join(root, 'covered.pem');
    writeFileSync(covered, `# a bundle as update-ca-certificates writes it\n${hostCa.certPem}`);
    const same = agentTrust({ env: { NODE_EXTRA_CA_CERTS: covered }, certDir: dir });
    expect(same.env).toEqual({ SSL_CERT_FILE: '/dev/null', SSL_CERT_DIR: dir, NODE_EXTRA_CA_CERTS: undefined });
    expect(same.note).toContain(covered);
    const more = join(root, 'more.pem');
    writeFileSync(more, hostCa.certPem + otherCa.certPem);
    const extra = agentTrust({ env: { NODE_EXTRA_CA_CERTS: more }, certDir: dir });
    expect(extra).toMatchObject({ nodeArgs: ['--use-openssl-ca'], env: { SSL_CERT_DIR: dir, NODE_EXTRA_CA_CERTS: more } });
    expect(extra.note).toMatch(/1 of its certificates are not in/);
  });

  it("keeps Node's bundled roots without a hashed directory, or when asked to", () => {
    const empty = join(root, 'empty');
    mkdirSync(empty);
    expect(agentTrust({ env: { NODE_EXTRA_CA_CERTS: '/x.pem' }, certDir: empty })).toMatchObject({ nodeArgs: [], env: { NODE_EXTRA_CA_CERTS: '/x.pem' } });
    expect(agentTrust({ env: {}, certDir: join(root, 'nowhere') })).toMatchObject({ nodeArgs: [], env: {} });
    const dir = hashedDir('store2', hostCa.certPem);
    expect(agentTrust({ mode: 'node', env: {}, certDir: dir })).toMatchObject({ nodeArgs: [], env: {} });
  });

  it('in a node started that way: a default https client trusts the host store, a context with its own CA trusts only that CA', async () => {
    const dir = hashedDir('live', hostCa.certPem);
    const server = createServerCertificate({ hosts: ['localhost', '127.0.0.1'], issuer: hostCa });
    const srv = createServer({ cert: server.certPem, key: server.keyPem }, (s) => s.end('hi'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    try {
      const port = (srv.address() as { port: number }).port;
      const trust = agentTrust({ env: {}, certDir: dir });
      const probe = `const tls = require('node:tls');
        const tryc = (opts) => new Promise((r) => { const c = tls.connect({ host: '127.0.0.1', servername: 'localhost', port: ${port}, ...opts }, () => { r('ok'); c.destroy(); }); c.on('error', (e) => r(e.code)); });
        (async () => console.log(JSON.stringify([await tryc({}), await tryc({ ca: process.argv.at(-1) })])))();`;
      const env: Record<string, string> = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };
      for (const [k, v] of Object.entries(trust.env)) if (v !== undefined) env[k] = v;
      // asynchronously: a synchronous child would block this process's server
      const probeWith = (args: string[], childEnv: Record<string, string>) =>
        new Promise<string[]>((resolve, reject) => {
          execFile(process.execPath, [...args, '-e', probe, '--', otherCa.certPem], { env: childEnv }, (err, stdout) => (err ? reject(err) : resolve(JSON.parse(stdout) as string[])));
        });
      const [plain, ownCa] = await probeWith(trust.nodeArgs, env);
      expect(plain).toBe('ok');
      expect(ownCa).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/);
      // the same client in a node with its bundled roots does not know the host CA: the store above answered
      const [bundled] = await probeWith([], { PATH: env['PATH'] as string });
      expect(bundled).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)$/);
    } finally {
      srv.close();
    }
  });
});
