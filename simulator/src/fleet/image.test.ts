import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRootCa, parseCertificate } from '@vfleet/core';
import { haveTools, run } from '@vfleet/core/test-support';
import { buildAgentImage, bundleAgent, IMAGE_ROOTS_DIR, stageNodeRoots } from './image.js';
import { engineAnswers } from './runtimes/test-engine.js';

describe('agent bundle', () => {
  it('runs the agent from one CommonJS bundle and a primed code cache: without a config it names the identity problem and exits 1', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vft-image-bundle-'));
    try {
      const { file } = await bundleAgent({ outDir: out });
      let failure: { status: number; stdout: string; stderr: string } | undefined;
      try {
        run(process.execPath, [file]);
      } catch (e) {
        failure = e as typeof failure;
      }
      expect(failure?.status).toBe(1);
      expect(`${failure?.stdout}${failure?.stderr}`).toMatch(/peridiod cannot start with an invalid identity/);
      const agentDir = dirname(file);
      expect(readdirSync(agentDir).sort()).toEqual(['agent.cjs', `agent.cjs.${process.version}-${process.arch}.code-cache`, 'node_modules', 'vfleet-agent.cjs']);
      // @peculiar/x509 is not in the hot bundle: it is a CommonJS file beside it that core loads on first use
      const hot = readFileSync(join(agentDir, 'agent.cjs'), 'utf8');
      expect(hot).not.toMatch(/asn1js|tsyringe/);
      // the bundle runs as a vm.Script (code cache), where import() fails at run time
      expect(hot.match(/\bimport\(\s*["'`]/g) ?? []).toEqual([]);
      const root = createRootCa({ commonName: 'Bundle, "odd" CA' });
      const probe = `const p = require('module').createRequire(${JSON.stringify(file)})('@peculiar/x509');
        const c = new p.X509Certificate(process.argv.at(-1));
        console.log(JSON.stringify([c.subject, c.getExtension(p.BasicConstraintsExtension).ca]));`;
      expect(JSON.parse(run(process.execPath, ['-e', probe, '--', root.certPem]))).toEqual([parseCertificate(root.certPem, 'root').subject, true]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 30_000);
});

describe.runIf(haveTools('openssl'))("node's roots for the agent image", () => {
  it('hashes one file per bundled root, each the same certificate; without openssl there is no directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vft-image-roots-'));
    const savedPath = process.env['PATH'];
    try {
      expect(await stageNodeRoots(join(dir, 'certs'))).toBe(rootCertificates.length);
      const hashed = readdirSync(join(dir, 'certs')).filter((f) => /^[0-9a-f]{8}\.\d+$/.test(f));
      expect(hashed).toHaveLength(rootCertificates.length);
      const bodies = new Set(rootCertificates.map((pem) => pem.trim()));
      for (const f of hashed) expect(bodies.has(readFileSync(join(dir, 'certs', f), 'utf8').trim())).toBe(true);
      process.env['PATH'] = join(dir, 'no-tools-here');
      expect(await stageNodeRoots(join(dir, 'none'))).toBe(0);
      expect(existsSync(join(dir, 'none'))).toBe(false);
    } finally {
      process.env['PATH'] = savedPath;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.runIf(haveTools('docker') && engineAnswers('docker'))('vfleet image build --offline', () => {
  it("builds the agent image on a base imported from this host's node, with no registry", async () => {
    const tag = 'vft-image/agent:test';
    try {
      const r = await buildAgentImage({ offline: true, tag });
      expect(r.base).toBe('vfleet-base:local');
      const version = run('docker', ['run', '--rm', '--entrypoint', 'node', tag, '-p', 'process.version']).trim();
      expect(version).toBe(process.version);
      const tools = run('docker', ['run', '--rm', '--entrypoint', '/bin/sh', tag, '-c', 'command -v ip wg wg-quick; readlink /etc/fw_env.config; echo $PERIDIO_CONFIG_FILE']);
      expect(tools).toContain('/etc/peridiod/fw_env.config');
      expect(tools).toContain('/etc/peridiod/peridio.json');
      expect(tools).toMatch(/\/ip\n/);
      const entry = run('docker', ['image', 'inspect', '--format', '{{json .Config.Entrypoint}}', tag]).trim();
      expect(entry).toBe('["/usr/local/bin/vfleet-agent"]');
      // the entrypoint starts node on the hashed copy of its own roots: a probe in the agent's place reports what it got
      const probe = [
        "const fs = require('fs');",
        "fs.writeFileSync('/tmp/probe.cjs', 'const fs = require(\"fs\"); console.log(JSON.stringify({ execArgv: process.execArgv, file: process.env.SSL_CERT_FILE, dir: process.env.SSL_CERT_DIR, hashed: fs.readdirSync(process.env.SSL_CERT_DIR).filter((f) => /^[0-9a-f]{8}[.][0-9]+$/.test(f)).length, roots: require(\"tls\").rootCertificates.length }))');",
        "fs.writeFileSync('/tmp/entry', fs.readFileSync('/usr/local/bin/vfleet-agent', 'utf8').replaceAll('/opt/vfleet/agent/vfleet-agent.cjs', '/tmp/probe.cjs'));",
        "process.stdout.write(require('child_process').execFileSync('/bin/sh', ['/tmp/entry']));",
      ].join('\n');
      const got = JSON.parse(run('docker', ['run', '--rm', '--entrypoint', 'node', tag, '-e', probe])) as { execArgv: string[]; file: string; dir: string; hashed: number; roots: number };
      expect(got).toEqual({ execArgv: ['--use-openssl-ca'], file: '/dev/null', dir: IMAGE_ROOTS_DIR, hashed: rootCertificates.length, roots: rootCertificates.length });
    } finally {
      run('docker', ['image', 'rm', '-f', tag]);
    }
  }, 300_000);
});
