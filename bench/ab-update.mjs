#!/usr/bin/env node
// Figure for issue [ab]: a 64 MiB A/B OS update on one device, from enabling the release to the
// agent online again on the new slot, and the built-in fwup raw-write throughput against `dd` of
// the same bytes in the same run. Prints one JSON object. builtInApply covers the whole apply (the
// archive checked — signature, CRC-32, BLAKE2b-256, task, bounds — before any byte is written, then
// written and synced); split takes the same apply apart into that check and the write (+ fsync).
// Usage: node bench/ab-update.mjs [MiB=64]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, ftruncateSync, closeSync, fsyncSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { abLayout, applyFwupArchiveToFile, commitFwupPlan, decodeFwupArchive, openFwupArchiveFile, openImageFile, planFwupApply, readZipEntry } from '@vfleet/core';
import { buildOsFwupArchive, createFleet, createInprocRuntime, generateDevices, initWorkspace, seedEvk } from '@vfleet/simulator';
import { startBackendProcess } from './lib/start-backend.mjs';
import { useLauncherAllocator } from './lib/allocator.mjs';

const allocator = useLauncherAllocator();

const mib = Number(process.argv[2] ?? 64);
const DISK = 256 * 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'vfleet-bench-ab-'));
const home = join(root, 'home');
initWorkspace({ home });
// built before the backend starts: a long synchronous build would let the admin client's idle keep-alive socket expire
const fw = buildOsFwupArchive({ name: 'edge-inference-os', version: '1.13.0', size: mib * 1024 * 1024, health: 'ok', diskBytes: DISK });
const server = await startBackendProcess(home);
const controller = new AbortController();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
try {
  const { admin } = server;
  await seedEvk({ home, client: admin, sizeScale: 1 / 65536 });
  const list = async (what) => Object.values(await admin.call('GET', `/api/v1/${what}`))[0];
  const create = async (what, body) => Object.values(await admin.call('POST', `/api/v1/${what}`, body))[0];
  const os = (await list('artifacts')).find((a) => a.name === 'edge-inference-os');
  const version = await create('artifact-versions', { artifact_uuid: os.uuid, version: 'v1.13.0' });
  const binary = await create('binaries', { artifact_version_uuid: version.uuid, target: 'arm64-v8' });
  await admin.upload(`/api/v1/binaries/${binary.uuid}/content`, Readable.from([fw]), fw.length);
  const key = (await list('signing-keys')).find((k) => k.name === 'release-signing-key');
  await admin.call('POST', `/api/v1/binaries/${binary.uuid}/signatures`, { signing_key_uuid: key.uuid });
  const bundle = await create('bundles', { name: 'os-1.13.0', binary_uuids: [binary.uuid] });
  const cohort = (await list('cohorts')).find((c) => c.name === 'release');
  const r1001 = (await list('releases')).find((r) => r.name === 'release-r1001');
  const release = await create('releases', { cohort_uuid: cohort.uuid, bundle_uuid: bundle.uuid, name: 'release-os', version: '1.2.0', disabled: true, phase_value: 1.0, previous_release_uuid: r1001.uuid });
  const devices = join(root, 'devices');
  await generateDevices({ home, out: devices, cohort: 'release', env: 'disk', diskBytes: DISK, force: false, deviceApi: server.deviceApi, deviceApiCa: server.ca, specs: [{ id: 'AB-0001', cohort: 'release', tags: [], target: 'arm64-v8' }] });
  const agents = new Map();
  const runtime = createInprocRuntime({ onAgent: (id, agent) => (agent ? agents.set(id, agent) : agents.delete(id)) });
  const fleet = await createFleet({ runtime, devicesDir: devices, ids: ['AB-0001'], signal: controller.signal, rebootDelayMs: 0 });
  fleet.agent = (id) => agents.get(id);
  const dev = () => fleet.status('AB-0001');
  while (!fleet.agent('AB-0001')?.socket?.isJoined('device')) await sleep(20);
  const t0 = performance.now();
  await admin.call('PATCH', `/api/v1/releases/${release.uuid}`, { disabled: false });
  await fleet.agent('AB-0001')?.updater.checkNow();
  while (!(dev()?.slot === 'b' && fleet.agent('AB-0001')?.socket?.isJoined('device'))) {
    if (performance.now() - t0 > 300_000) throw new Error('no update within 300 s');
    await sleep(10);
  }
  const updateSeconds = (performance.now() - t0) / 1000;
  await fleet.close();

  // raw write: the built-in applier vs dd of the same image bytes into the same slot, both synced
  const archiveFile = join(root, 'os.fw');
  writeFileSync(archiveFile, fw);
  const archive = decodeFwupArchive(fw);
  const rootfs = readZipEntry(archive.bytes, archive.resources.find((r) => r.resource === 'rootfs.img').zip, 'os.fw');
  writeFileSync(join(root, 'rootfs.img'), rootfs);
  const slotB = abLayout({ sizeBytes: DISK }).slots.b;
  const freshImage = (name) => {
    const fd = openSync(join(root, name), 'w');
    ftruncateSync(fd, DISK);
    fsyncSync(fd);
    closeSync(fd);
    return join(root, name);
  };
  // the applier needs the env an A/B device has; copy it from the updated device's disk
  const img1 = freshImage('apply.img');
  execFileSync('dd', [`if=${join(devices, 'AB-0001', 'disk.img')}`, `of=${img1}`, 'bs=1M', 'count=4', 'conv=notrunc,fsync'], { stdio: 'ignore' });
  // untimed: the setup's own dirty pages (archive, rootfs.img, images) reach the disk before each timed run
  execFileSync('sync');
  const a0 = performance.now();
  const cpu0 = process.cpuUsage();
  applyFwupArchiveToFile(archiveFile, img1, { task: 'upgrade' });
  const applyCpu = process.cpuUsage(cpu0);
  execFileSync('sync', ['-f', img1]);
  const applySeconds = (performance.now() - a0) / 1000;
  const img2 = freshImage('dd.img');
  execFileSync('sync');
  const d0 = performance.now();
  execFileSync('dd', [`if=${join(root, 'rootfs.img')}`, `of=${img2}`, 'bs=1M', `seek=${slotB.offset}`, 'oflag=seek_bytes', 'conv=notrunc,fsync'], { stdio: 'ignore' });
  const ddSeconds = (performance.now() - d0) / 1000;
  const bytes = rootfs.length;
  // the same apply in its two phases, on a third fresh image
  const img3 = freshImage('split.img');
  execFileSync('dd', [`if=${join(devices, 'AB-0001', 'disk.img')}`, `of=${img3}`, 'bs=1M', 'count=4', 'conv=notrunc,fsync'], { stdio: 'ignore' });
  execFileSync('sync');
  const s0 = performance.now();
  const opened = openFwupArchiveFile(archiveFile);
  const target = openImageFile(img3);
  const plan = planFwupApply(opened, target, { task: 'upgrade' });
  const s1 = performance.now();
  commitFwupPlan(plan, target);
  const s2 = performance.now();
  target.close();
  opened.close();
  console.log(JSON.stringify({ allocator,
    bench: 'ab-update',
    imageMiB: mib,
    secondsFromEnableToOnlineOnNewSlot: +updateSeconds.toFixed(2),
    // cpuSeconds: this process's user+system CPU for the apply call (a figure that load on the machine disturbs less)
    builtInApply: { seconds: +applySeconds.toFixed(3), MiBPerSecond: +(bytes / MiB(1) / applySeconds).toFixed(0), cpuSeconds: +((applyCpu.user + applyCpu.system) / 1e6).toFixed(3) },
    dd: { seconds: +ddSeconds.toFixed(3), MiBPerSecond: +(bytes / MiB(1) / ddSeconds).toFixed(0) },
    ratioToDd: +(ddSeconds / applySeconds).toFixed(2),
    split: {
      verifySeconds: +((s1 - s0) / 1000).toFixed(3),
      writeSeconds: +((s2 - s1) / 1000).toFixed(3),
      writeRatioToDd: +(ddSeconds / ((s2 - s1) / 1000)).toFixed(2),
    },
    target: { ratioToDd: 0.8 },
    pass: ddSeconds / applySeconds >= 0.8,
  }));
} finally {
  controller.abort();
  await server.stop();
  rmSync(root, { recursive: true, force: true });
}

function MiB(n) {
  return n * 1024 * 1024;
}
