#!/usr/bin/env node
// What issue [agent]'s rollout figure costs with no Node.js at all: N downloads of an M MiB binary
// from nginx (sendfile) on 127.0.0.1, each hashed (SHA-256) and written in one pass by a small C
// client (bench/native/http-hash-write.c, compiled here) on as many threads as cores, then
// bench/rollout.mjs's floor in the same run (hashing and writing the same bytes locally), each from
// the same memory state as there (bench/lib/settle.mjs). The gap between this and
// the floor is what the transfer itself costs on this machine; bench/rollout.mjs's gap beyond it is
// the agent's. Needs nginx, a C compiler and OpenSSL's headers (Debian: nginx-light gcc libssl-dev).
// Prints one JSON object. Usage: node bench/native-transfer.mjs [downloads=1000] [MiB=16] [threads=cores]
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deterministicBytes } from './lib/bytes.mjs';
import { hashWriteFloor } from './lib/hash-write-floor.mjs';
import { settleClock, settleSeconds } from './lib/settle.mjs';
import { processCpuSeconds } from './lib/proc-cpu.mjs';

const n = Number(process.argv[2] ?? 1000);
const mib = Number(process.argv[3] ?? 16);
const threads = Number(process.argv[4] ?? availableParallelism());
const size = mib * 2 ** 20;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () => new Promise((resolve, reject) => {
  const s = createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

const accepts = (port) => new Promise((resolve) => {
  const c = connect(port, '127.0.0.1');
  c.once('connect', () => (c.destroy(), resolve(true)));
  c.once('error', () => resolve(false));
});

const root = mkdtempSync(join(tmpdir(), 'vfleet-bench-native-'));
let nginx;
try {
  chmodSync(root, 0o755); // nginx's worker may run as another user
  const client = join(root, 'http-hash-write');
  try {
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', client, new URL('./native/http-hash-write.c', import.meta.url).pathname, '-lcrypto', '-lpthread'], { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (e) {
    throw new Error(`cannot compile bench/native/http-hash-write.c (needs a C compiler and OpenSSL's headers): ${String(e.stderr ?? e.message).trim().split('\n')[0]}`);
  }
  const www = join(root, 'www');
  mkdirSync(www, { mode: 0o755 });
  const content = deterministicBytes('rollout', size);
  writeFileSync(join(www, 'payload.bin'), content, { mode: 0o644 });
  const expected = createHash('sha256').update(content).digest('hex');

  const port = await freePort();
  const conf = join(root, 'nginx.conf');
  writeFileSync(conf, [
    'daemon off;',
    'worker_processes 1;',
    `pid ${join(root, 'nginx.pid')};`,
    'events { worker_connections 1024; }',
    `http { access_log off; sendfile on; tcp_nopush on; server { listen 127.0.0.1:${port}; root ${www}; } }`,
    '',
  ].join('\n'));
  nginx = spawn('nginx', ['-p', root, '-c', conf, '-e', join(root, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
  const started = new Promise((_, reject) => {
    nginx.once('error', (e) => reject(new Error(`cannot start nginx: ${e.message}`)));
    nginx.once('exit', (code) => {
      let why = '';
      try {
        why = `: ${readFileSync(join(root, 'error.log'), 'utf8').trim().split('\n').at(-1)}`;
      } catch {
        // no log written
      }
      reject(new Error(`nginx exited with ${code}${why}`));
    });
  });
  started.catch(() => undefined);
  for (let i = 0; !(await accepts(port)); i++) {
    await Promise.race([started, sleep(50)]);
    if (i > 100) throw new Error('nginx does not accept connections');
  }
  const worker = Number(readFileSync(`/proc/${nginx.pid}/task/${nginx.pid}/children`, 'utf8').trim().split(/\s+/)[0]);

  const files = join(root, 'native');
  mkdirSync(files);
  // the downloads and the floor each start from the same memory state (bench/lib/settle.mjs)
  const settle = settleClock();
  await settle.wait();
  const server0 = processCpuSeconds(worker);
  const client0 = processCpuSeconds(process.pid, { children: true });
  const t0 = performance.now();
  const out = await new Promise((resolve, reject) => {
    const c = spawn(client, [String(n), String(threads), String(port), '/payload.bin', files], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    c.stdout.on('data', (d) => (text += d));
    c.once('error', reject);
    c.once('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`http-hash-write exited with ${code}`))));
  });
  const seconds = (performance.now() - t0) / 1000;
  const clientCpu = processCpuSeconds(process.pid, { children: true }) - client0;
  const serverCpu = processCpuSeconds(worker) - server0;
  const [digest, bytes] = out.trim().split(' ');

  // the floor of bench/rollout.mjs, as there: after the downloads' files are deleted and a settle
  rmSync(files, { recursive: true, force: true });
  settle.freed();
  await settle.wait();
  const floorDir = join(root, 'floor');
  mkdirSync(floorDir);
  const floor = await hashWriteFloor({ dir: floorDir, n, size, threads: availableParallelism() });
  console.log(JSON.stringify({
    bench: 'native-transfer',
    downloads: n,
    binaryMiB: mib,
    clientThreads: threads,
    seconds: +seconds.toFixed(1),
    floorSeconds: +floor.seconds.toFixed(1),
    settleSeconds,
    ratioToFloor: +(seconds / floor.seconds).toFixed(2),
    cpuSeconds: { client: +clientCpu.toFixed(1), server: +serverCpu.toFixed(1), floor: +floor.cpuSeconds.toFixed(1) },
    loadAverage: loadavg().map((l) => +l.toFixed(2)),
    contentVerified: digest === expected && Number(bytes) === size,
  }));
} finally {
  nginx?.kill('SIGTERM');
  if (nginx && nginx.exitCode === null) await new Promise((r) => nginx.once('exit', r));
  rmSync(root, { recursive: true, force: true });
}
