#!/usr/bin/env node
// Figure for issue [agent]: N agents in this process, connected (device channel joined) and polling
// the embedded backend (run in a child process so its memory is not counted): RSS per agent and CPU
// at steady state. Prints one JSON object.
// Usage: node --expose-gc bench/agent-density.mjs [agents=2000] [pollMs=5000] [steadySeconds=30]
// NO_SOCKET=1 turns the Phoenix socket off (socket_enabled? false) to see what the rest costs.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAgent, deviceIds, generateDevices, initWorkspace, seedEvk } from '@vfleet/simulator';
import { startBackendProcess } from './lib/start-backend.mjs';
import { useLauncherAllocator } from './lib/allocator.mjs';

const allocator = useLauncherAllocator();

const n = Number(process.argv[2] ?? 2000);
const pollMs = Number(process.argv[3] ?? 5000);
const steadySeconds = Number(process.argv[4] ?? 30);
const root = mkdtempSync(join(tmpdir(), 'vfleet-bench-density-'));
const rssKb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const home = join(root, 'home');
initWorkspace({ home });
const server = await startBackendProcess(home);
const { deviceApi, ca } = server;
const agents = [];
try {
  await seedEvk({ home, client: server.admin, sizeScale: 1 / 65536 });
  const out = join(root, 'devices');
  const specs = deviceIds('DENS', 1, n).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
  await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs, deviceApi, deviceApiCa: ca });
  for (const s of specs) {
    const file = join(out, s.id, 'peridio.json');
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), release_poll_interval: pollMs, ...(process.env.NO_SOCKET ? { 'socket_enabled?': false } : {}) }, null, 2));
  }

  globalThis.gc?.();
  const before = rssKb();
  const heapBefore = process.memoryUsage();
  const t0 = performance.now();
  let errors = 0;
  const errorKinds = new Map();
  const sink = (line) => {
    const m = /\[error\] (.*)/.exec(line);
    if (m === null) return;
    errors++;
    // what went wrong, without the numbers that differ per agent (ports, ids, timings)
    const kind = m[1].slice(0, 90).replace(/\d+/g, '#');
    errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
  };
  // ramp: 200 devices per second, as a polite fleet start does
  for (let i = 0; i < specs.length; i += 20) {
    const batch = await Promise.all(specs.slice(i, i + 20).map((s) => createAgent({ env: {}, deviceDir: join(out, s.id), log: { sink } })));
    agents.push(...batch);
    await sleep(100);
  }
  // agents already running poll and heartbeat while later ones start: on a shared machine a large
  // fleet takes far longer than the nominal ramp, so the limit grows with the fleet
  const joinLimitMs = Math.max(300_000, n * 200);
  while (!process.env.NO_SOCKET && agents.some((a) => !a.socket?.isJoined('device'))) {
    if (performance.now() - t0 > joinLimitMs) throw new Error(`agents did not all join within ${joinLimitMs / 1000} s`);
    await sleep(250);
  }
  const joinSeconds = (performance.now() - t0) / 1000;
  await sleep(pollMs + 1000);
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  await sleep(steadySeconds * 1000);
  const cpu = process.cpuUsage(c0);
  const wall = performance.now() - w0;
  globalThis.gc?.();
  const after = rssKb();
  const heapAfter = process.memoryUsage();
  const perAgentKb = +((after - before) / n).toFixed(1);
  console.log(JSON.stringify({ allocator,
    bench: 'agent-density',
    agents: n,
    pollMs,
    joinedAll: agents.every((a) => a.socket?.isJoined('device')),
    secondsToJoinAll: +joinSeconds.toFixed(1),
    rssKbPerAgent: perAgentKb,
    heapKbPerAgent: +((heapAfter.heapUsed - heapBefore.heapUsed) / 1024 / n).toFixed(1),
    externalKbPerAgent: +((heapAfter.external - heapBefore.external) / 1024 / n).toFixed(1),
    cpuPercentOfOneCore: +(((cpu.user + cpu.system) / 1000 / wall) * 100).toFixed(1),
    errorLines: errors,
    errorKinds: Object.fromEntries([...errorKinds].sort((a, b) => b[1] - a[1]).slice(0, 5)),
    targets: { agents10kAt30sKbPerAgent: 150, agents2kAt5s: true },
    pass: perAgentKb <= 150 && errors === 0,
  }));
} finally {
  await Promise.all(agents.map((a) => a.stop()));
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
