// Starts `vfleet backend` in a child process (ephemeral ports) and returns what benches need.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createAdminClient } from '@vfleet/simulator';

const cli = fileURLToPath(new URL('../../apps/cli/bin/vfleet.js', import.meta.url));

export async function startBackendProcess(home) {
  // BENCH_BACKEND_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p" profiles the backend side of a bench
  const nodeArgs = (process.env.BENCH_BACKEND_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, cli, '--home', home, 'backend', '--port', '0', '--admin-port', '0', '--binary-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const banner = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      if (/admin API/.test(out)) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`backend exited ${code}`)));
  });
  const adminUrl = /admin API\s+(\S+)/.exec(banner)[1];
  return {
    child,
    deviceApi: /device API\s+(\S+)/.exec(banner)[1],
    ca: /\(CA (\S+)\)/.exec(banner)[1],
    admin: createAdminClient(adminUrl, readFileSync(join(home, 'admin-token'), 'utf8').trim()),
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}
