import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools, run } from '@vfleet/core/test-support';
import { buildAgentImage, bundleAgent } from './image.js';
import { engineAnswers } from './runtimes/test-engine.js';

describe('agent bundle', () => {
  it('is one ESM file that runs the agent: without a config it names the identity problem and exits 1', async () => {
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
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 30_000);
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
    } finally {
      run('docker', ['image', 'rm', '-f', tag]);
    }
  }, 300_000);
});
