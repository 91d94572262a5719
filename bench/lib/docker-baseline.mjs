// The container-overhead baseline for bench/fleet-start: N bare `docker run -d` of the same image
// running an idle node (no agent), started with the same concurrency. Prints JSON when run directly:
//   node bench/lib/docker-baseline.mjs [N=50] [image=vfleet/agent:dev] [engine=docker] [concurrency=10] [--evk-flags]
// --evk-flags adds what the docker runtime adds (a user-defined bridge network, NET_ADMIN,
// /dev/net/tun, --add-host), separating the engine's cost of those flags from vfleet's own.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Host memory in use (MemTotal − MemAvailable), bytes. */
export function hostMemoryUsed() {
  const info = readFileSync('/proc/meminfo', 'utf8');
  const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return (kib('MemTotal') - kib('MemAvailable')) * 1024;
}

/** "12.3MiB / 23.5GiB" → bytes of the first figure. */
function parseMemUsage(text) {
  const m = /^([\d.]+)\s*([KMG]i?B|B)/.exec(text.trim());
  if (!m) return 0;
  const scale = { B: 1, KiB: 1024, MiB: 2 ** 20, GiB: 2 ** 30, KB: 1e3, MB: 1e6, GB: 1e9 }[m[2]] ?? 1;
  return Number(m[1]) * scale;
}

async function pool(items, concurrency, work) {
  let next = 0;
  const runners = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(runners);
}

/**
 * Starts `count` idle containers of `image`, waits until all run, measures, removes them.
 * Returns { count, seconds, perSecond, memoryPerContainer (host delta), cgroupMemoryPerContainer }.
 */
export async function dockerBaseline({ image = 'vfleet/agent:dev', count = 50, engine = 'docker', concurrency = 10, evkFlags = false } = {}) {
  const label = `vfleet.bench=${randomBytes(4).toString('hex')}`;
  const names = Array.from({ length: count }, (_, i) => `vfleet-bench-${label.slice(-8)}-${i}`);
  const network = `vfleet-bench-${label.slice(-8)}`;
  const flags = [];
  if (evkFlags) {
    await exec(engine, ['network', 'create', '--label', label, network]);
    flags.push('--network', network, '--cap-add', 'NET_ADMIN', '--device', '/dev/net/tun', '--add-host', 'vfleet-backend:192.0.2.1');
  }
  const before = hostMemoryUsed();
  const started = performance.now();
  try {
    await pool(names, concurrency, async (name) => {
      await exec(engine, ['run', '-d', '--rm', '--name', name, '--label', label, ...flags, '--entrypoint', 'node', image, '-e', 'setInterval(() => {}, 1 << 30)']);
    });
    const seconds = (performance.now() - started) / 1000;
    await new Promise((r) => setTimeout(r, 2000)); // let node settle before measuring
    const after = hostMemoryUsed();
    const { stdout } = await exec(engine, ['stats', '--no-stream', '--format', '{{.MemUsage}}', ...names]);
    const cgroup = stdout.split('\n').filter(Boolean).map(parseMemUsage);
    return {
      count,
      image,
      evkFlags,
      seconds: Number(seconds.toFixed(2)),
      perSecond: Number((count / seconds).toFixed(1)),
      memoryPerContainer: Math.round((after - before) / count),
      cgroupMemoryPerContainer: Math.round(cgroup.reduce((a, b) => a + b, 0) / Math.max(1, cgroup.length)),
    };
  } finally {
    const { stdout } = await exec(engine, ['ps', '-aq', '--filter', `label=${label}`]).catch(() => ({ stdout: '' }));
    const ids = stdout.split('\n').filter(Boolean);
    if (ids.length > 0) await exec(engine, ['rm', '-f', ...ids]).catch(() => undefined);
    if (evkFlags) await exec(engine, ['network', 'rm', network]).catch(() => undefined);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2).filter((a) => a !== '--evk-flags');
  const [n = '50', image = 'vfleet/agent:dev', engine = 'docker', concurrency = '10'] = args;
  const result = await dockerBaseline({ count: Number(n), image, engine, concurrency: Number(concurrency), evkFlags: process.argv.includes('--evk-flags') });
  console.log(JSON.stringify({ bench: 'docker-baseline', ...result }));
}
