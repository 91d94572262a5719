import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRootCa, parseCertificate } from '@vfleet/core';
import { haveTools, run } from '@vfleet/core/test-support';
import { buildAgentImage, bundleAgent, IMAGE_ROOTS_DIR, imageRefProblem, OFFLINE_BASE_IMAGE, stageNodeRoots, stageOfflineBase } from './image.js';
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

describe('image references', () => {
  it('accepts what the engines accept and refuses what they would read as an option or reject later', () => {
    for (const ok of ['vfleet/agent:dev', 'peridio/peridiod:3.4.1', 'localhost:5000/a/b:c', 'node:20-bookworm-slim', `a@sha256:${'0'.repeat(64)}`]) expect(imageRefProblem(ok)).toBeUndefined();
    for (const bad of ['--privileged', '-t', 'a b', 'a\nb', 'a:b:c', '', 'a/', 'x'.repeat(256)]) {
      expect(imageRefProblem(bad)).toBe(`${JSON.stringify(bad)} is not an image reference: expected [host[:port]/]name[:tag][@digest], the name lowercase [a-z0-9] parts joined by / . _ or -, at most 255 characters`);
    }
  });
  it('refuses a bad --tag or --base before bundling anything', async () => {
    await expect(buildAgentImage({ tag: '--squash' })).rejects.toThrow(/^image build: tag "--squash" is not an image reference/);
    await expect(buildAgentImage({ tag: 'ok/tag:1', baseImage: 'node:20\nRUN id' })).rejects.toThrow(/^image build: base image "node:20\\nRUN id" is not an image reference/);
  });
});

describe.runIf(haveTools('ldd'))('offline base staging', () => {
  it("leaves out a host tool whose shared library this host lacks, and says which library", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vft-image-ldd-'));
    const savedPath = process.env['PATH'];
    try {
      // a copy of sh that needs libv.so.6 instead of libc.so.6: ldd says "not found", as for a tool whose library was removed
      const sh = readFileSync(realpathSync(run('sh', ['-c', 'command -v sh']).trim()));
      const at = sh.indexOf(Buffer.from('libc.so.6\0'));
      expect(at).toBeGreaterThan(0);
      Buffer.from('libv.so.6\0').copy(sh, at);
      mkdirSync(join(dir, 'bin'));
      writeFileSync(join(dir, 'bin', 'wg'), sh, { mode: 0o755 });
      process.env['PATH'] = `${join(dir, 'bin')}:${savedPath ?? ''}`;
      const staged = await stageOfflineBase(join(dir, 'stage'));
      expect(staged.missing).toContain('wg (libv.so.6 not found)');
      expect(staged.files).not.toContain(join(realpathSync(join(dir, 'bin')), 'wg'));
    } finally {
      process.env['PATH'] = savedPath;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe.runIf(haveTools('tar'))('vfleet image build with a scripted engine', () => {
  // podman on PATH: answers info, has no base, imports (or refuses to), and records what build was given
  const withEngine = async (importCode: number) => {
    const dir = mkdtempSync(join(tmpdir(), 'vft-image-engine-'));
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    writeFileSync(join(dir, 'podman'), [
      '#!/bin/sh',
      'case "$1" in',
      '  info) echo 4.9.0 ;;',
      '  image) exit 1 ;;',
      `  import) [ ${importCode} = 0 ] || echo "Error: import refused" >&2; exit ${importCode} ;;`,
      `  build) for a; do last=$a; done; echo "$*" > ${join(dir, 'build-args')}; ls -A "$last" > ${join(dir, 'context')} ;;`,
      'esac',
      '',
    ].join('\n'), { mode: 0o755 });
    const saved = { PATH: process.env['PATH'], TMPDIR: process.env['TMPDIR'] };
    process.env['PATH'] = `${dir}:${saved.PATH ?? ''}`;
    process.env['TMPDIR'] = tmp;
    try {
      const result = await buildAgentImage({ engine: 'podman', offline: true, tag: 'vft-image/scripted:1' }).catch((e: unknown) => e as Error);
      const read = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), 'utf8') : undefined);
      return { result, buildArgs: read('build-args'), context: read('context'), leftInTmp: readdirSync(tmp) };
    } finally {
      process.env['PATH'] = saved.PATH;
      if (saved.TMPDIR === undefined) delete process.env['TMPDIR'];
      else process.env['TMPDIR'] = saved.TMPDIR;
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("sends only this build's stage as the context and removes a failed step's container", async () => {
    const r = await withEngine(0);
    expect(r.result).toMatchObject({ tag: 'vft-image/scripted:1', base: OFFLINE_BASE_IMAGE });
    expect(r.context).toBe('agent\nvfleet-agent\n');
    expect(r.buildArgs).toMatch(/^build --force-rm -f \S+\/Dockerfile -t vft-image\/scripted:1 .*--build-arg AGENT_DIR=\. \S+\/simulator\/dist\/image\/build-\w+\n$/);
  }, 120_000);

  it('leaves no tar of the base behind when the import fails', async () => {
    const r = await withEngine(125);
    expect((r.result as Error).message).toMatch(/^podman import .*: exit 125: Error: import refused$/);
    expect(r.leftInTmp).toEqual([]);
  }, 120_000);
});

describe.runIf(haveTools('docker') && engineAnswers('docker'))('a failed image build', () => {
  it('leaves no container of the failed step and no tag', async () => {
    const tag = `vft-image/failed:${process.pid}`;
    // the offline base has no apt-get: an online build on it fails in its first RUN
    await buildAgentImage({ offline: true, tag });
    run('docker', ['image', 'rm', tag]);
    const runStepContainers = () => run('docker', ['ps', '-aq', '--no-trunc']).split('\n').filter(Boolean)
      .filter((id) => spawnSync('docker', ['inspect', '--format', '{{json .Config.Cmd}}', id], { encoding: 'utf8' }).stdout.includes('WITH_APT'));
    const before = runStepContainers();
    try {
      await expect(buildAgentImage({ tag, baseImage: OFFLINE_BASE_IMAGE })).rejects.toThrow(/^docker build .*: exit 127: /);
      expect(runStepContainers().filter((id) => !before.includes(id))).toEqual([]);
      expect(spawnSync('docker', ['image', 'inspect', tag]).status).not.toBe(0);
    } finally {
      for (const id of runStepContainers().filter((c) => !before.includes(c))) spawnSync('docker', ['rm', '-f', id]);
      spawnSync('docker', ['image', 'rm', '-f', tag]);
    }
  }, 300_000);
});
