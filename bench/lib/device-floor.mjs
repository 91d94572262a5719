// Floor for bench/devices-create.mjs: the file-system and key work of a device directory with none of
// vfleet's code. It copies the file set of a device vfleet made (same names, modes, sizes, and the same
// data blocks of its sparse files; everything else a hole) into fresh directories, through a temp
// directory and a rename as vfleet does, and with `keys` also makes what each device's identity needs
// at the least from Node's crypto: a P-256 key, its SEC1 export and two ECDSA signatures (CSR and
// certificate). No DER, PEM, JSON or env encoding. Run on the main thread: fileSetOf() once, then
// floorRun(), which starts one worker per thread.
import { generateKeyPairSync, sign } from 'node:crypto';
import { closeSync, ftruncateSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const BLOCK = 4096;
const ZERO = Buffer.alloc(BLOCK);

/** The file set of `dir`: directories, then files with their mode and, for big files, only their non-zero blocks. */
export function fileSetOf(dir) {
  const dirs = [];
  const files = [];
  const walk = (rel) => {
    for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const r = rel === '' ? e.name : `${rel}/${e.name}`;
      const st = statSync(join(dir, r));
      if (e.isDirectory()) {
        dirs.push({ path: r, mode: st.mode & 0o777 });
        walk(r);
      } else if (st.size <= 64 * 1024) {
        files.push({ path: r, mode: st.mode & 0o777, data: readFileSync(join(dir, r)) });
      } else {
        files.push({ path: r, mode: st.mode & 0o777, size: st.size, regions: dataRegions(join(dir, r), st.size) });
      }
    }
  };
  walk('');
  return { dirs, files };
}

/** Runs of non-zero 4 KiB blocks of a (sparse) file. */
function dataRegions(file, size) {
  const regions = [];
  const fd = openSync(file, 'r');
  const buf = Buffer.alloc(1024 * 1024);
  try {
    for (let at = 0; at < size; at += buf.length) {
      const got = readSync(fd, buf, 0, buf.length, at);
      for (let b = 0; b < got; b += BLOCK) {
        const block = buf.subarray(b, Math.min(b + BLOCK, got));
        if (block.equals(ZERO.subarray(0, block.length))) continue;
        const last = regions.at(-1);
        if (last && last.offset + last.data.length === at + b) last.data = Buffer.concat([last.data, block]);
        else regions.push({ offset: at + b, data: Buffer.from(block) });
      }
    }
  } finally {
    closeSync(fd);
  }
  return regions;
}

/** Makes n device directories with the file set `set` (fileSetOf) in `out` over `threads` threads; resolves to wall and CPU seconds (this process). */
export async function floorRun({ set, out, n, threads, keys }) {
  mkdirSync(out, { recursive: true });
  const next = new Int32Array(new SharedArrayBuffer(4));
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: threads }, () => new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { set, out, n, next, keys } });
      w.once('message', resolve);
      w.once('error', reject);
      w.once('exit', (code) => reject(new Error(`floor worker exited with ${code}`)));
    })),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  return { seconds, userSeconds: cpu.user / 1e6, systemSeconds: cpu.system / 1e6 };
}

if (!isMainThread) {
  const { set, out, n, next, keys } = workerData;
  const toSign = Buffer.alloc(420, 7);
  for (let i = Atomics.add(next, 0, 1); i < n; i = Atomics.add(next, 0, 1)) {
    if (keys) {
      const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      privateKey.export({ type: 'sec1', format: 'der' });
      sign('sha256', toSign, privateKey);
      sign('sha256', toSign, privateKey);
    }
    const tmp = join(out, `.F-${i}.tmp`);
    mkdirSync(tmp);
    for (const d of set.dirs) mkdirSync(`${tmp}/${d.path}`, { mode: d.mode });
    for (const f of set.files) {
      if (f.data) {
        writeFileSync(`${tmp}/${f.path}`, f.data, { mode: f.mode });
        continue;
      }
      const fd = openSync(`${tmp}/${f.path}`, 'w', f.mode);
      ftruncateSync(fd, f.size);
      for (const r of f.regions) writeSync(fd, r.data, 0, r.data.length, r.offset);
      closeSync(fd);
    }
    renameSync(tmp, join(out, `F-${i}`));
  }
  parentPort.postMessage('done');
}
