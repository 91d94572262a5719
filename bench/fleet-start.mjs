#!/usr/bin/env node
// Figure for issue [fleet]: time until N devices have joined the device channel through the
// orchestrator (ramp unlimited unless --rate), devices/s, and host memory per device, for any runtime.
// The embedded backend runs in a child process so its memory is not counted (in this process when
// the runtime needs it on extra addresses, e.g. docker bridge gateways). Prints one JSON object.
// docker and podman: after the fleet is torn down, the same run starts as many bare containers of
// the same image (an idle node, `run -d`), plain and with the flags the runtime adds
// (bench/lib/docker-baseline.mjs), as the baseline for container overhead.
// Usage: node --expose-gc bench/fleet-start.mjs --runtime inproc|process|docker|podman|namespace --count N [--rate R] [--concurrency C] [--image REF]
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { freemem, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import {
  BACKEND_HOST_NAME, DEFAULT_AGENT_IMAGE, createAdminClient, createFleet, createRuntime, deviceIds, generateDevices, initWorkspace, seedEvk, startBackend,
} from '@vfleet/simulator';
import { dockerBaseline } from './lib/docker-baseline.mjs';
import { startBackendProcess } from './lib/start-backend.mjs';
import { processCpuSeconds } from './lib/proc-cpu.mjs';
import { useLauncherAllocator } from './lib/allocator.mjs';

const allocator = useLauncherAllocator();

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const runtimeName = arg('runtime', 'inproc');
const count = Number(arg('count', runtimeName === 'inproc' ? 5000 : 200));
const rate = arg('rate') === undefined ? undefined : Number(arg('rate'));
const concurrency = arg('concurrency') === undefined ? undefined : Number(arg('concurrency'));
const image = arg('image');
const root = mkdtempSync(join(tmpdir(), 'vfleet-bench-fleet-'));
const home = join(root, 'home');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssKbOf = (pid) => {
  try {
    return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
};
/** Proportional set size: shared pages (the node binary, libraries) split among the processes sharing them. */
const pssKbOf = (pid) => {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return rssKbOf(pid);
  }
};
/** Agent processes of the process runtime, from its pid files. */
const childPids = () => {
  const dir = join(home, 'run', 'process');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')).pid);
};
const hostUsed = () => totalmem() - freemem();
/** CPU ms (user + system) a process has used; 0 once it is gone. */
const cpuMsOf = (pid) => Math.round(processCpuSeconds(pid) * 1000) || 0;

/** Busy CPU ms of the whole host (all cores, everything but idle and iowait), from /proc/stat. */
const hostBusyMs = () => {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  return (f.reduce((a, b) => a + b, 0) - (f[3] ?? 0) - (f[4] ?? 0)) * 10;
};
/** Agent processes of this run in any host runtime: node running the agent bundle (or dist entry) on a device directory of this run. */
const agentPids = () => {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let argv;
    try {
      argv = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    if (argv[0] !== process.execPath || !argv.some((a) => a.startsWith(root))) continue;
    if (argv.some((a) => a.endsWith('vfleet-agent.cjs') || a.endsWith('agent/main.js'))) out.push(Number(d));
  }
  return out;
};

initWorkspace({ home });
const runtime = createRuntime(runtimeName, { home, count, ...(image ? { image } : {}) });
const preflight = await runtime.preflight(count);
await runtime.prepare?.();
const listenHosts = runtime.backendListenHosts?.() ?? [];
let backend;
let stopBackend;
if (listenHosts.length > 0) {
  const b = await startBackend({ home, port: 0, adminPort: 0, binaryPort: 0, publicHost: BACKEND_HOST_NAME, listenHosts });
  backend = { deviceApi: b.deviceApiUrl, ca: b.deviceApiCaPath, admin: createAdminClient(b.admin.url, b.adminToken) };
  stopBackend = () => b.close();
} else {
  const b = await startBackendProcess(home);
  backend = { ...b, pid: b.child.pid };
  stopBackend = () => b.stop();
}
let fleet;
let result;
try {
  await seedEvk({ home, client: backend.admin, sizeScale: 1 / 65536 });
  const out = join(root, 'devices');
  const specs = deviceIds('FS', 1, count).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
  const g0 = performance.now();
  const made = await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs, deviceApi: backend.deviceApi, deviceApiCa: backend.ca });
  if (made.failed.length > 0) throw new Error(`generation failed: ${made.failed[0].error}`);
  const generateSeconds = (performance.now() - g0) / 1000;

  globalThis.gc?.();
  await sleep(200);
  const rssBefore = rssKbOf(process.pid);
  const usedBefore = hostUsed();
  const joined = new Set();
  let failed = 0;
  const cpu0 = process.cpuUsage();
  const backendCpu0 = backend.pid === undefined ? 0 : cpuMsOf(backend.pid);
  let cpuAll;
  let backendCpuAll;
  const host0 = hostBusyMs();
  let hostAll;
  let agentCpu;
  const t0 = performance.now();
  let tAll;
  fleet = await createFleet({ runtime, prepared: true, devicesDir: out, ids: specs.map((s) => s.id), ramp: { ...(rate ? { rate } : {}), ...(concurrency ? { concurrency } : {}) } });
  fleet.subscribe((e) => {
    if (e.kind === 'connected' && !joined.has(e.id)) {
      joined.add(e.id);
      if (joined.size === count) {
        tAll = performance.now();
        const c = process.cpuUsage(cpu0);
        cpuAll = (c.user + c.system) / 1000;
        backendCpuAll = backend.pid === undefined ? undefined : cpuMsOf(backend.pid) - backendCpu0;
        hostAll = hostBusyMs() - host0;
        const own = agentPids().map(cpuMsOf).sort((a, b) => a - b);
        agentCpu = own.length === 0 ? undefined : { processes: own.length, mean: +(own.reduce((a, b) => a + b, 0) / own.length).toFixed(1), p50: own[Math.floor(own.length / 2)] };
      }
    }
    if (e.kind === 'failed') failed++;
  });
  const limitMs = Math.max(120_000, count * 200);
  while (tAll === undefined) {
    if (performance.now() - t0 > limitMs) throw new Error(`${joined.size}/${count} joined within ${limitMs / 1000} s (${failed} failed)`);
    await sleep(50);
  }
  const seconds = (tAll - t0) / 1000;
  await sleep(3000); // settle: first polls answered, buffers shrink
  globalThis.gc?.();
  await sleep(200);
  const pids = childPids();
  const selfDelta = (rssKbOf(process.pid) - rssBefore) * 1024;
  const childrenRss = pids.reduce((sum, pid) => sum + pssKbOf(pid) * 1024, 0);
  const childrenRssPlain = pids.reduce((sum, pid) => sum + rssKbOf(pid) * 1024, 0);
  const memoryPerDevice = runtimeName === 'inproc' || runtimeName === 'process' ? Math.round((selfDelta + childrenRss) / count) : null;
  result = { allocator,
    runtime: runtime.name,
    devices: count,
    generateSeconds: +generateSeconds.toFixed(2),
    secondsUntilAllJoined: +seconds.toFixed(2),
    devicesPerSecond: +(count / seconds).toFixed(1),
    // CPU spent until all joined, per device: this process (orchestrator + in-process agents) and the backend child
    cpuMsPerDevice: +(cpuAll / count).toFixed(2),
    backendCpuMsPerDevice: backendCpuAll === undefined ? null : +(backendCpuAll / count).toFixed(2),
    // every busy CPU ms of the host (all processes: spawned tools, kernel, other users of the machine) until all joined, per device
    hostCpuMsPerDevice: +(hostAll / count).toFixed(1),
    // CPU ms of each agent process (utime + stime, 10 ms ticks) when all had joined
    agentProcessCpuMs: agentCpu ?? null,
    loadAverage: loadavg().map((l) => +l.toFixed(2)),
    memoryPerDeviceBytes: memoryPerDevice,
    memoryPerDeviceKiB: memoryPerDevice === null ? null : Math.round(memoryPerDevice / 1024),
    memoryNote: runtimeName === 'inproc' ? 'RSS delta of this process (backend in a child)' : runtimeName === 'process' ? 'RSS delta of the supervisor + PSS of every agent process (RSS counts the shared node binary in every process: see childRssPerDeviceBytes)' : 'not measured here: see hostUsedPerDeviceBytes',
    ...(pids.length > 0 ? { childRssPerDeviceBytes: Math.round(childrenRssPlain / pids.length) } : {}),
    hostUsedPerDeviceBytes: Math.round((hostUsed() - usedBefore) / count),
    preflightMemoryPerDevice: preflight.memoryPerDevice,
    agentProcesses: pids.length,
    failed,
    rate: rate ?? 'unlimited',
    concurrency: concurrency ?? 'unlimited',
  };
} finally {
  await fleet?.close();
  await runtime.cleanup();
  await stopBackend();
  rmSync(root, { recursive: true, force: true });
}
if (runtimeName === 'docker' || runtimeName === 'podman') {
  // the engine alone, with the fleet gone: containers/s and host memory of bare containers of the same image
  const bare = { image: image ?? DEFAULT_AGENT_IMAGE, count, engine: runtimeName, concurrency: concurrency ?? 10 };
  const plain = await dockerBaseline(bare);
  const evk = await dockerBaseline({ ...bare, evkFlags: true });
  result.baseline = { what: `bare ${runtimeName} run -d of the same image running an idle node, ${bare.concurrency} at a time`, plain, withRuntimeFlags: evk };
  result.ratioToBaseline = { devicesPerSecond: +(result.devicesPerSecond / plain.perSecond).toFixed(2), devicesPerSecondWithRuntimeFlags: +(result.devicesPerSecond / evk.perSecond).toFixed(2) };
}
console.log(JSON.stringify(result, null, 2));
