#!/usr/bin/env node
// Figure for issue [agent]: N in-process agents take a release with one M MiB `file` binary
// (download, SHA-256, Ed25519, write, symlink, advance) from the embedded backend (child process).
// Wall time from enabling the release until every device has advanced, against the floor measured
// in the same run: hashing and writing the same bytes locally, N times, on all cores.
// Both are timed from the same memory state (bench/lib/settle.mjs): the rollout starts at least
// BENCH_SETTLE_S (60) seconds after the bench started, and the floor that counts (floorSeconds) runs
// after the rollout's files are deleted and as long a wait. The floor run at once after it, in the
// warm state the old order gave it, is printed too (floorWarmSeconds).
// Usage: node bench/rollout.mjs [agents=1000] [MiB=16]
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readUbootEnvFromConfig } from '@vfleet/core';
import { createAgent, deviceIds, generateDevices, initWorkspace, inprocFlushLane, inprocSlots, loadProduct, seedEvk } from '@vfleet/simulator';
import { startBackendProcess } from './lib/start-backend.mjs';
import { deterministicBytes } from './lib/bytes.mjs';
import { hashWriteFloor } from './lib/hash-write-floor.mjs';
import { processCpuSeconds } from './lib/proc-cpu.mjs';
import { tcpCounters, tcpCountersSince } from './lib/tcp-counters.mjs';
import { settleClock, settleSeconds } from './lib/settle.mjs';
import { useLauncherAllocator } from './lib/allocator.mjs';

const allocator = useLauncherAllocator();

// BENCH_CPU_PROF=DIR writes a CPU profile of this process covering only the rollout window.
async function startProfiler(dir) {
  if (!dir) return { stop: async () => {} };
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `rollout-${Date.now()}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}


const settle = settleClock();
const n = Number(process.argv[2] ?? 1000);
const mib = Number(process.argv[3] ?? 16);
const size = mib * 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'vfleet-bench-rollout-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const home = join(root, 'home');
initWorkspace({ home });
const server = await startBackendProcess(home);
const agents = [];
try {
  const { admin } = server;
  await seedEvk({ home, client: admin, sizeScale: 1 / 65536 });
  const product = loadProduct();
  const list = async (what) => Object.values(await admin.call('GET', `/api/v1/${what}`))[0];
  const prod = (await list('products')).find((p) => p.name === product.product);
  const cohort = (await list('cohorts')).find((c) => c.name === 'release');
  const key = (await list('signing-keys')).find((k) => k.name === 'release-signing-key');
  const r1001 = (await list('releases')).find((r) => r.name === 'release-r1001');
  const art = Object.values(await admin.call('POST', '/api/v1/artifacts', { product_uuid: prod.uuid, name: 'rollout-payload', custom_metadata: { peridiod: { installer: 'file', installer_opts: { path: '/opt/rollout', name: 'payload.bin' }, reboot_required: false } } }))[0];
  const ver = Object.values(await admin.call('POST', '/api/v1/artifact-versions', { artifact_uuid: art.uuid, version: 'v1.0.0' }))[0];
  const bin = Object.values(await admin.call('POST', '/api/v1/binaries', { artifact_version_uuid: ver.uuid, target: 'arm64-v8' }))[0];
  const content = deterministicBytes('rollout', size);
  const { Readable } = await import('node:stream');
  await admin.upload(`/api/v1/binaries/${bin.uuid}/content`, Readable.from([content]), size);
  await admin.call('POST', `/api/v1/binaries/${bin.uuid}/signatures`, { signing_key_uuid: key.uuid });
  const bundle = Object.values(await admin.call('POST', '/api/v1/bundles', { name: 'rollout', binary_uuids: [bin.uuid] }))[0];
  const release = Object.values(await admin.call('POST', '/api/v1/releases', { cohort_uuid: cohort.uuid, bundle_uuid: bundle.uuid, name: 'release-rollout', version: '1.5.0', disabled: true, phase_value: 1.0, previous_release_uuid: r1001.uuid }))[0];

  const out = join(root, 'devices');
  const specs = deviceIds('ROLL', 1, n).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
  await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 0, force: false, specs, deviceApi: server.deviceApi, deviceApiCa: server.ca });
  for (const s of specs) {
    const file = join(out, s.id, 'peridio.json');
    // cache encryption off: the figure is the pipeline, not AES over 16 GiB
    writeFileSync(file, JSON.stringify({ ...JSON.parse(readFileSync(file, 'utf8')), cache_encryption_enabled: false }, null, 2));
  }
  let errors = 0;
  const errorKinds = new Map();
  // devices that logged the end of a plan; only these (and a full sweep every 10 s) have their env read
  const finished = new Set();
  const sinkFor = (s) => (line) => {
    const m = /\[error\] (.*)/.exec(line);
    if (m !== null) {
      errors++;
      // what went wrong, without the numbers that differ per agent (ports, ids, timings)
      const kind = m[1].slice(0, 90).replace(/\d+/g, '#');
      errorKinds.set(kind, (errorKinds.get(kind) ?? 0) + 1);
    }
    if (line.includes('[Plan Server] Plan finished')) finished.add(s);
  };
  // the in-process runtime's download slots (its default for this host, or VFLEET_INPROC_DOWNLOADS)
  // and its fdatasync threads for the devices' env writes
  const slots = inprocSlots(undefined);
  const flushes = inprocFlushLane();
  for (let i = 0; i < specs.length; i += 50) {
    agents.push(...(await Promise.all(specs.slice(i, i + 50).map((s) => createAgent({ env: {}, deviceDir: join(out, s.id), log: { sink: sinkFor(s) }, envFlush: flushes.flush, ...(slots === undefined ? {} : { updater: { downloadSlots: slots } }) })))));
    await sleep(100);
  }
  while (agents.some((a) => !a.socket?.isJoined('device'))) await sleep(200);
  const version = (s) => readUbootEnvFromConfig(join(out, s.id, 'fw_env.config'), { resolvePath: (p) => p.replace('/etc/peridiod', join(out, s.id)) }).vars.get('peridio_vsn_current');

  // the same memory state as the floor below
  await settle.wait();
  const profiler = await startProfiler(process.env.BENCH_CPU_PROF);
  const cpu0 = process.cpuUsage();
  const backendCpu0 = processCpuSeconds(server.child.pid);
  const tcp0 = tcpCounters();
  const t0 = performance.now();
  await admin.call('PATCH', `/api/v1/releases/${release.uuid}`, { disabled: false });
  let pending = specs;
  let sweptAt = t0;
  while (pending.length > 0) {
    if (performance.now() - t0 > 1_800_000) throw new Error(`only ${n - pending.length} of ${n} updated within 30 min`);
    await sleep(1000);
    const sweep = performance.now() - sweptAt > 10_000;
    if (sweep) sweptAt = performance.now();
    pending = pending.filter((s) => !((sweep || finished.has(s)) && version(s) === '1.5.0'));
  }
  const seconds = (performance.now() - t0) / 1000;
  const agentCpu = process.cpuUsage(cpu0);
  const backendCpuSeconds = processCpuSeconds(server.child.pid) - backendCpu0;
  const tcp = tcpCountersSince(tcp0);
  await profiler.stop();
  const verified = specs.slice(0, 5).every((s) => createHash('sha256').update(readFileSync(join(out, s.id, 'root', 'opt', 'rollout', 'payload.bin'))).digest('hex') === createHash('sha256').update(content).digest('hex'));
  await Promise.all(agents.splice(0).map((a) => a.stop()));

  // Floor: the same bytes hashed and written N times, spread over every core; first in the rollout's
  // memory state (its files deleted, then as long a wait as before it), then at once (warm).
  rmSync(out, { recursive: true, force: true });
  settle.freed();
  await settle.wait();
  const floorRun = async (name) => {
    const dir = join(root, name);
    mkdirSync(dir);
    return hashWriteFloor({ dir, n, size, threads: availableParallelism() });
  };
  const floor = await floorRun('floor');
  const floorWarm = await floorRun('floor-warm');
  const floorSeconds = floor.seconds;
  console.log(JSON.stringify({ allocator,
    bench: 'rollout',
    agents: n,
    binaryMiB: mib,
    pollMs: 5000,
    downloadsAtOnce: slots?.limit ?? null,
    seconds: +seconds.toFixed(1),
    aggregateMiBPerSecond: +((n * mib) / seconds).toFixed(0),
    floorSeconds: +floorSeconds.toFixed(1),
    floorWarmSeconds: +floorWarm.seconds.toFixed(1),
    settleSeconds,
    ratioToFloor: +(seconds / floorSeconds).toFixed(2),
    ratioToWarmFloor: +(seconds / floorWarm.seconds).toFixed(2),
    // CPU seconds (user+system, all threads) beside wall time: steadier than wall time on a busy machine
    cpuSeconds: { agents: +((agentCpu.user + agentCpu.system) / 1e6).toFixed(1), agentsSystem: +(agentCpu.system / 1e6).toFixed(1), backend: +backendCpuSeconds.toFixed(1), floor: +floor.cpuSeconds.toFixed(1), floorWarm: +floorWarm.cpuSeconds.toFixed(1) },
    // loopback TCP during the rollout (the whole namespace's counters): a thousand connections can
    // push the stack into memory pressure, where it drops and retransmits
    tcp,
    loadAverage: loadavg().map((l) => +l.toFixed(2)),
    contentVerified: verified,
    errorLines: errors,
    errorKinds: Object.fromEntries(errorKinds),
    target: { ratioToFloor: 2 },
    pass: seconds / floorSeconds <= 2 && errors === 0 && verified,
  }));
} finally {
  await Promise.all(agents.map((a) => a.stop()));
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}
