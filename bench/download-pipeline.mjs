#!/usr/bin/env node
// The agent's download pipeline alone, for work on issue [agent]'s rollout figure: N concurrent
// downloads of an M MiB binary from a plain node:http server in a child process, each through the
// agent's own GET client, downloadBinary, verifyIntegrity (size, SHA-256, Ed25519) and writeStaged
// into a file, as the `file` installer does. No backend, no agents, no polls: CPU seconds per GiB in
// this process are steadier than bench/rollout.mjs's wall time. Baseline in the same run:
// bench/rollout.mjs's floor worker on one thread (as many bytes hashed and written, no network).
// Each measurement starts from the same memory state (bench/lib/settle.mjs).
// Also in the same run, for comparison: the same downloads the plain Node way (node:http GET, a
// hashing Transform, fs.createWriteStream), which no vfleet code touches.
// Files go to --out (default: the temp directory; a tmpfs such as /dev/shm takes the disk out of
// the figure), each run's removed before the next. Prints one JSON object.
// Usage: node bench/download-pipeline.mjs [downloads=400] [MiB=8] [--out DIR]
import { fork } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, get as httpGet } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline as pipe } from 'node:stream/promises';
import { signBinary } from '@vfleet/core';
import { useLauncherAllocator } from './lib/allocator.mjs';
import { deterministicBytes } from './lib/bytes.mjs';
import { hashWriteFloor } from './lib/hash-write-floor.mjs';
import { settleClock, settleSeconds } from './lib/settle.mjs';
// internals of the agent, not part of @vfleet/simulator's API: the built files
import { createHttpFetch } from '../simulator/dist/agent/update/download/fetch-binary.js';
import { DEFAULT_DOWNLOAD_TUNING, downloadBinary } from '../simulator/dist/agent/update/download/download.js';
import { verifyIntegrity } from '../simulator/dist/agent/update/download/integrity.js';
import { writeStaged } from '../simulator/dist/agent/update/installers/write-staged.js';

const allocator = useLauncherAllocator();

if (process.argv[2] === '--serve') {
  // the server child: the same bytes for every GET, one response per connection
  const { createServer } = await import('node:http');
  const body = deterministicBytes('download-pipeline', Number(process.argv[3]));
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-length': String(body.length), 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' });
    res.end(body);
  });
  server.listen(0, '127.0.0.1', () => process.send?.({ port: server.address().port }));
  process.on('disconnect', () => process.exit(0));
} else {
  const positional = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--out');
  const n = Number(positional[0] ?? 400);
  const mib = Number(positional[1] ?? 8);
  const outAt = process.argv.indexOf('--out');
  const size = mib * 2 ** 20;
  const root = mkdtempSync(join(outAt > 0 ? process.argv[outAt + 1] : tmpdir(), 'vfleet-bench-dl-'));
  const server = fork(new URL(import.meta.url), ['--serve', String(size)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const { port } = await new Promise((resolve, reject) => {
      server.once('message', resolve);
      server.once('exit', (code) => reject(new Error(`server exited ${code}`)));
    });
    const expected = createHash('sha256').update(deterministicBytes('download-pipeline', size)).digest('hex');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signature = {
      signatureHex: signBinary(expected, privateKey),
      publicKey: Buffer.from(publicKey.export({ format: 'jwk' }).x, 'base64url'),
      signingKeyPrn: null,
    };
    const fetch = createHttpFetch();
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    // every measurement starts from the same memory state (bench/lib/settle.mjs)
    const settle = settleClock();
    /** Runs `what` with a fresh directory for its files, which is removed (outside the measurement) afterwards. */
    const measure = async (what) => {
      await settle.wait();
      const dir = mkdtempSync(join(root, 'files-'));
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await what(dir);
      const cpu = process.cpuUsage(cpu0);
      const seconds = (performance.now() - t0) / 1000;
      rmSync(dir, { recursive: true, force: true });
      settle.freed();
      return { seconds, cpu: (cpu.user + cpu.system) / 1e6, system: cpu.system / 1e6 };
    };

    const pipeline = await measure((dir) => Promise.all(Array.from({ length: n }, (_, i) => {
      const binary = { prn: `bench-${i}`, url: `http://127.0.0.1:${port}/b/${i}`, size, hash: expected, signatures: [signature] };
      const signal = new AbortController().signal; // one per download, as each agent has its own
      const source = downloadBinary(binary, { fetch, tuning: DEFAULT_DOWNLOAD_TUNING, log, signal, userAgent: 'vfleet-bench' });
      return writeStaged(verifyIntegrity(binary, source), join(dir, `f${i}`), 0o644, signal);
    })));

    // the same downloads through node:http, a hashing Transform and a write stream: no vfleet code
    const plainAgent = new HttpAgent({ keepAlive: false, maxSockets: Infinity });
    let plainVerified = 0;
    const plain = await measure((dir) => Promise.all(Array.from({ length: n }, (_, i) => new Promise((resolve, reject) => {
      httpGet({ host: '127.0.0.1', port, path: `/plain/${i}`, agent: plainAgent }, (res) => {
        const hash = createHash('sha256');
        const tap = new Transform({ transform(chunk, _encoding, done) { hash.update(chunk); done(null, chunk); } });
        pipe(res, tap, createWriteStream(join(dir, `p${i}`))).then(() => {
          if (hash.digest('hex') === expected) plainVerified++;
          resolve();
        }, reject);
      }).once('error', reject);
    }))));
    if (plainVerified !== n) throw new Error(`plain node:http: ${n - plainVerified} of ${n} downloads did not hash to the expected SHA-256`);

    // baseline: the rollout's floor on one thread
    const floor = await measure((dir) => hashWriteFloor({ dir, n, size, threads: 1 }));

    const gib = (n * size) / 2 ** 30;
    const perGiB = (s) => +(s / gib).toFixed(2);
    console.log(JSON.stringify({
      allocator,
      bench: 'download-pipeline',
      downloads: n,
      binaryMiB: mib,
      out: outAt > 0 ? process.argv[outAt + 1] : tmpdir(),
      settleSeconds,
      seconds: +pipeline.seconds.toFixed(2),
      cpuSecondsPerGiB: perGiB(pipeline.cpu),
      systemSecondsPerGiB: perGiB(pipeline.system),
      baseline: { what: "bench/rollout.mjs's floor (hash and write the same bytes) on one thread", seconds: +floor.seconds.toFixed(2), cpuSecondsPerGiB: perGiB(floor.cpu) },
      cpuRatioToBaseline: +(pipeline.cpu / floor.cpu).toFixed(2),
      plainNode: { what: 'node:http GET, a hashing Transform, fs.createWriteStream', seconds: +plain.seconds.toFixed(2), cpuSecondsPerGiB: perGiB(plain.cpu), cpuRatioToBaseline: +(plain.cpu / floor.cpu).toFixed(2) },
    }));
  } finally {
    server.kill();
    rmSync(root, { recursive: true, force: true });
  }
}
