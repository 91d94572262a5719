#!/usr/bin/env node
// Figure for issue [core]: device directories per second (identity + config + env + sparse disk)
// for N devices, as users make them: the `vfleet devices create` command (apps/cli/bin/vfleet, with
// its allocator and V8 settings), timed by the command itself around the generation (--json). In the
// same run: the same generation called as a library in this long-lived process (V8's default
// tiering), the same identity work done with the openssl CLI, and a floor: the file set of a device
// vfleet made, copied N times through a temp directory and a rename on as many threads as vfleet uses,
// without and with the native key work an identity needs at the least (bench/lib/device-floor.mjs).
// Prints one JSON object.
// Usage: node bench/devices-create.mjs [N] [baselineN]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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
  // user and system CPU ms per device, all threads of the process
  const cpuMs = (user, system) => ({ user: +((user * 1000) / n).toFixed(3), system: +((system * 1000) / n).toFixed(3) });

  // The command, as users run it; it times its own generation.
  const vfleet = fileURLToPath(new URL('../apps/cli/bin/vfleet', import.meta.url));
  const create = (folder) => JSON.parse(execFileSync(vfleet, ['--home', home, 'devices', 'create', '--count', String(n), '--cohort', 'release', '--out', folder, '--json'], { encoding: 'utf8' }));
  // A first run, reported apart: this machine's page cache is dropped now and then, and a run after
  // that reads node, the modules and the file system's bitmaps and inode tables of the block groups
  // it writes in from disk (1,800 reads, ~1,450 devices/s where the next run makes ~2,200). The
  // floors below run on what the runs before them read; so does the measured run.
  const cold = create(join(root, 'first-run'));
  const command = create(out);
  if (command.created !== n) throw new Error(`vfleet devices create made ${command.created} of ${n}: ${JSON.stringify(command.failed.slice(0, 3))}`);
  const seconds = command.seconds;

  // The library in this process: V8's default tiering, as in a long-lived process (dashboard, fleet).
  const specs = deviceIds('EI-ML', 1, n).map((id) => ({ id, cohort: 'release', tags: [], target: 'arm64-v8' }));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = await generateDevices({ home, out: join(root, 'library'), cohort: 'release', env: 'file', diskBytes: 256 * 1024 * 1024, force: false, specs });
  const librarySeconds = (performance.now() - t0) / 1000;
  const libraryCpu = process.cpuUsage(cpu0);
  if (result.created.length !== n) throw new Error(`created ${result.created.length} of ${n}: ${JSON.stringify(result.failed.slice(0, 3))}`);

  const usage = listDevices(out, { withUsage: true }).map((d) => d.allocatedBytes);
  const meanBytes = usage.reduce((a, b) => a + b, 0) / usage.length;

  // Floor: the same file set (and the least key work) with no vfleet code, same thread count, same file system.
  const threads = generationThreads(n);
  const floor = {};
  const set = fileSetOf(join(out, specs[0].id));
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
      seconds,
      devicesPerSecond: Math.round(rate),
      cpuMsPerDevice: cpuMs(command.cpuSeconds.user, command.cpuSeconds.system),
      what: '`vfleet devices create --count N` (its own timing of the generation), after a first run of the same',
      firstRun: { seconds: cold.seconds, devicesPerSecond: cold.devicesPerSecond },
      library: { what: 'generateDevices() in this process', seconds: +librarySeconds.toFixed(3), devicesPerSecond: Math.round(n / librarySeconds), cpuMsPerDevice: cpuMs(libraryCpu.user / 1e6, libraryCpu.system / 1e6) },
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
