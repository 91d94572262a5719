#!/usr/bin/env node
// Figure for issue [backend]: sustained GET /update requests/s and p50/p99 latency from C concurrent
// mTLS keep-alive clients on loopback, server CPU per request, and server memory per connected socket (device
// channel joined).
// The backend runs in this process; load comes from child processes. Prints one JSON object.
// Usage: node --expose-gc bench/backend.mjs [clients=2000] [seconds=15] [offered req/s=5000]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { initWorkspace, startBackend, createAdminClient, seedEvk, generateDevices, deviceIds, loadProduct } from '@vfleet/simulator';
import { useLauncherAllocator } from './lib/allocator.mjs';

const allocator = useLauncherAllocator();

const clients = Number(process.argv[2] ?? 2000);
const seconds = Number(process.argv[3] ?? 15);
const rate = Number(process.argv[4] ?? 5000);
const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'vfleet-bench-backend-'));
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);

let cfgN = 0;
/** Child configs go through a file: 2,000 device paths are more than one argv string may hold. */
function cfgFile(cfg) {
  const file = join(root, `child-${cfgN++}.json`);
  writeFileSync(file, JSON.stringify(cfg));
  return file;
}

/** Runs a load child; resolves with its last stdout line (its JSON), calling onWarm when it prints "warm". */
function runChild(script, cfg, onWarm = () => undefined) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [here(script), cfgFile(cfg)], { stdio: ['pipe', 'pipe', 'inherit'] });
    let last = '';
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'warm') onWarm();
      else last = line;
    });
    child.on('exit', (code) => (code === 0 ? resolve(last) : reject(new Error(`${script} exited ${code}`))));
  });
}

try {
  const home = join(root, 'home');
  initWorkspace({ home });
  const backend = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0 });
  await seedEvk({ home, client: createAdminClient(backend.admin.url, backend.adminToken), sizeScale: 1 / 65536 });
  const out = join(root, 'devices');
  const specs = deviceIds('LOAD', 1, clients).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
  await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs });
  const devices = specs.map((s) => ({ cert: join(out, s.id, 'device-certificate.pem'), key: join(out, s.id, 'device-private-key.pem') }));
  const product = loadProduct();
  const r1001 = product.releases.find((r) => r.name === product.installedRelease);
  const headers = { 'peridio-release-prn': `prn:1:${backend.store.organization().uuid}:release:${r1001.uuid}`, 'peridio-release-version': r1001.version };

  // Phase 2: memory per connected socket: RSS after GC with all sockets joined, minus before any; and the
  // same for the second half alone (what one more socket costs once allocator pools and caches are warm).
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      globalThis.gc?.();
      await new Promise((r) => setTimeout(r, 300));
    }
  };
  await settle();
  const before = rssKb();
  const child = spawn(process.execPath, [here('lib/socket-load.mjs'), cfgFile({ port: backend.deviceApiPort, ca: backend.deviceApiCaPath, devices, steps: 2 })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  await lines.next();
  await settle();
  const half = rssKb();
  const onlineHalf = backend.socket.onlineCount();
  child.stdin.write('more\n');
  const joinedLine = (await lines.next()).value;
  await settle();
  const after = rssKb();
  const online = backend.socket.onlineCount();
  child.stdin.end();
  await new Promise((r) => child.once('exit', r));

  // Phase 1: request rate and latency (two load processes share the clients). Server CPU per request is
  // counted from when both load processes are warm (every client connected) until they finish.
  const halves = [devices.slice(0, clients / 2), devices.slice(clients / 2)];
  let cpuFrom;
  let warm = 0;
  // where latency comes from: the server's event loop stalls over the same window (each load process reports its own)
  const serverLoop = monitorEventLoopDelay({ resolution: 5 });
  const onWarm = () => {
    if (++warm === halves.length) {
      cpuFrom = process.cpuUsage();
      serverLoop.enable();
    }
  };
  const results = (await Promise.all(halves.map((d) => runChild('lib/update-load.mjs', { port: backend.deviceApiPort, ca: backend.deviceApiCaPath, devices: d, durationMs: seconds * 1000, headers, rate: rate / 2 }, onWarm)))).map((o) => JSON.parse(o));
  const cpu = process.cpuUsage(cpuFrom);
  serverLoop.disable();
  const rps = results.reduce((a, r) => a + r.rps, 0);
  const errors = results.reduce((a, r) => a + r.errors, 0);
  const measured = results.reduce((a, r) => a + r.requests, 0);

  // And the ceiling: the same clients as fast as they can (closed loop).
  const ceiling = (await Promise.all(halves.map((d) => runChild('lib/update-load.mjs', { port: backend.deviceApiPort, ca: backend.deviceApiCaPath, devices: d, durationMs: 5000, headers })))).map((o) => JSON.parse(o));

  await backend.close();
  const perSocketKb = +((after - before) / Math.max(1, online)).toFixed(1);
  const secondHalfKb = +((after - half) / Math.max(1, online - onlineHalf)).toFixed(1);
  console.log(JSON.stringify({ allocator,
    bench: 'backend',
    clients,
    seconds,
    offeredRequestsPerSecond: rate,
    updateRequestsPerSecond: rps,
    ceilingRequestsPerSecond: ceiling.reduce((a, r) => a + r.rps, 0),
    ceilingP99Ms: Math.max(...ceiling.map((r) => r.p99)),
    p50Ms: Math.max(...results.map((r) => r.p50)),
    p99Ms: Math.max(...results.map((r) => r.p99)),
    errors,
    // event-loop delay (ms) while measuring: the server's, and the worse of the two load processes'
    eventLoopDelayP99Ms: { server: +(serverLoop.percentile(99) / 1e6).toFixed(1), serverMax: +(serverLoop.max / 1e6).toFixed(1), loadGenerator: Math.max(...results.map((r) => r.loopP99)) },
    serverCpuUsPerRequest: Math.round((cpu.user + cpu.system) / Math.max(1, measured)),
    loadAverage: loadavg().map((l) => +l.toFixed(2)),
    socketsOnline: online,
    socketJoin: joinedLine,
    serverRssKbPerSocket: perSocketKb,
    serverRssKbPerSocketSecondHalf: secondHalfKb,
    targets: { updateRequestsPerSecond: 5000, p99Ms: 50, kbPerSocket: 30 },
    pass: rps >= 0.98 * rate && rate >= 5000 && Math.max(...results.map((r) => r.p99)) < 50 && perSocketKb <= 30 && errors === 0,
  }));
} finally {
  rmSync(root, { recursive: true, force: true });
}
