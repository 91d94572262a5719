#!/usr/bin/env node
// Figure for issue [core]: device directories per second (identity + config + env + sparse disk)
// for N devices, against the same identity work done with the openssl CLI in the same run, and against
// a floor in the same run: the file set of a device vfleet made, copied N times through a temp
// directory and a rename on as many threads as vfleet uses, without and with the native key work an
// identity needs at the least (bench/lib/device-floor.mjs). Prints one JSON object.
// Usage: node bench/devices-create.mjs [N] [baselineN]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileSetOf, floorRun } from './lib/device-floor.mjs';
import { generateDevices, generationThreads, deviceIds, initWorkspace, listDevices, workspacePaths } from '@vfleet/simulator';
import { useLauncherAllocator } from './lib/allocator.mjs';

const allocator = useLauncherAllocator();

const n = Number(process.argv[2] ?? 1000);
const baselineN = Number(process.argv[3] ?? 100);
const root = mkdtempSync(join(tmpdir(), 'vfleet-bench-'));
try {
  const home = join(root, 'home');
  const out = join(root, 'devices');
  const { manifest } = initWorkspace({ home });
  const specs = deviceIds('EI-ML', 1, n).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));

  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await generateDevices({ home, out, cohort: 'release', env: 'file', diskBytes: 256 * 1024 * 1024, force: false, specs });
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  // user and system CPU ms per device, all threads of this process
  const cpuMs = (user, system) => ({ user: +((user * 1000) / n).toFixed(3), system: +((system * 1000) / n).toFixed(3) });
  if (result.created.length !== n) throw new Error(`created ${result.created.length} of ${n}: ${JSON.stringify(result.failed.slice(0, 3))}`);

  const usage = listDevices(out, { withUsage: true }).map((d) => d.allocatedBytes);
  const meanBytes = usage.reduce((a, b) => a + b, 0) / usage.length;

  // Floor: the same file set (and the least key work) with no vfleet code, same thread count, same file system.
  const threads = generationThreads(n);
  const floor = {};
  const set = fileSetOf(join(out, result.created[0]));
  for (const keys of [false, true]) {
    const dir = join(root, keys ? 'floor-keys' : 'floor-files');
    mkdirSync(dir);
    try {
      execFileSync('chattr', ['+T', dir], { stdio: 'ignore' });
    } catch {
      // as devices create: best effort
    }
    const f = await floorRun({ set, out: dir, n, threads, keys });
    floor[keys ? 'filesAndKeys' : 'files'] = { seconds: +f.seconds.toFixed(3), devicesPerSecond: Math.round(n / f.seconds), cpuMsPerDevice: cpuMs(f.userSeconds, f.systemSeconds) };
  }

  // Baseline: key, CSR and CA-signed certificate per device with the openssl CLI.
  const paths = workspacePaths(home);
  const ca = paths.intermediateCert(manifest.product, 'release');
  const caKey = paths.intermediateKey(manifest.product, 'release');
  const bdir = join(root, 'openssl');
  mkdirSync(bdir);
  writeFileSync(join(bdir, 'ext.cnf'), 'basicConstraints=critical,CA:FALSE\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  const t1 = performance.now();
  for (let i = 0; i < baselineN; i++) {
    const key = join(bdir, `k${i}.pem`);
    const csr = join(bdir, `r${i}.pem`);
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]);
    execFileSync('openssl', ['req', '-new', '-key', key, '-subj', `/CN=B-${i}`, '-out', csr]);
    execFileSync('openssl', ['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-CAcreateserial', '-days', '365', '-sha256', '-extfile', join(bdir, 'ext.cnf'), '-out', join(bdir, `c${i}.pem`)], { stdio: 'ignore' });
  }
  const baselineSeconds = (performance.now() - t1) / 1000;

  const rate = n / seconds;
  const baselineRate = baselineN / baselineSeconds;
  console.log(
    JSON.stringify({
      allocator,
      bench: 'devices-create',
      n,
      cores: availableParallelism(),
      seconds: +seconds.toFixed(3),
      devicesPerSecond: Math.round(rate),
      cpuMsPerDevice: cpuMs(cpu.user / 1e6, cpu.system / 1e6),
      realDiskBytesPerDevice: { mean: Math.round(meanBytes), max: Math.max(...usage) },
      baseline: { tool: 'openssl CLI (key + CSR + signed certificate)', n: baselineN, devicesPerSecond: +baselineRate.toFixed(1) },
      speedupOverBaseline: +(rate / baselineRate).toFixed(1),
      floor: { threads, what: 'copies of one device directory: files (same names, modes, data blocks) and with keys (+ P-256 keygen, SEC1 export, 2 ECDSA signs)', ...floor },
      ratioToFloor: +(seconds / floor.filesAndKeys.seconds).toFixed(2),
      targets: { devicesPerSecond: 2000, maxRealBytesPerDevice: 1048576 },
      pass: rate >= 2000 && Math.max(...usage) <= 1048576,
    }),
  );
} finally {
  rmSync(root, { recursive: true, force: true });
}
