#!/usr/bin/env node
// The agent's download pipeline alone, for work on issue [agent]'s rollout figure: N concurrent
// downloads of an M MiB binary from a plain node:http server in a child process, each through the
// agent's own GET client, downloadBinary, the SHA-256/size check and writeStaged into a file, as the
// `file` installer does. No backend, no agents, no polls: CPU seconds per GiB in this process are
// steadier than bench/rollout.mjs's wall time. Baseline in the same run, as bench/rollout.mjs's
// floor: the same bytes hashed and written with synchronous writes on this thread, no network. Files go to --out (default: the temp directory; a
// tmpfs such as /dev/shm takes the disk out of the figure). Prints one JSON object.
// Usage: node bench/download-pipeline.mjs [downloads=400] [MiB=8] [--out DIR]
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useLauncherAllocator } from './lib/allocator.mjs';
import { deterministicBytes } from './lib/bytes.mjs';
// internals of the agent, not part of @vfleet/simulator's API: the built files
import { createHttpFetch } from '../simulator/dist/agent/update/download/fetch-binary.js';
import { DEFAULT_DOWNLOAD_TUNING, downloadBinary } from '../simulator/dist/agent/update/download/download.js';
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
    const content = deterministicBytes('download-pipeline', size);
    const expected = createHash('sha256').update(content).digest('hex');
    const fetch = createHttpFetch();
    const log = { debug() {}, info() {}, warn() {}, error() {} };
    // the integrity step of the agent, without the Ed25519 signature (one verify per binary, not per byte)
    async function* verified(source) {
      const hash = createHash('sha256');
      let got = 0;
      for await (const chunk of source) {
        got += chunk.length;
        hash.update(chunk);
        yield chunk;
      }
      if (got !== size || hash.digest('hex') !== expected) throw new Error(`download corrupted: ${got} bytes`);
    }
    const measure = async (what) => {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await what();
      const cpu = process.cpuUsage(cpu0);
      const seconds = (performance.now() - t0) / 1000;
      rmSync(join(root, 'files'), { recursive: true, force: true });
      return { seconds, cpu: (cpu.user + cpu.system) / 1e6, system: cpu.system / 1e6 };
    };
    const files = () => {
      rmSync(join(root, 'files'), { recursive: true, force: true });
      return mkdtempSync(join(root, 'files'));
    };

    let dir = files();
    const pipeline = await measure(() => Promise.all(Array.from({ length: n }, (_, i) => {
      const binary = { prn: `bench-${i}`, url: `http://127.0.0.1:${port}/b/${i}`, size };
      const signal = new AbortController().signal; // one per download, as each agent has its own
      const source = downloadBinary(binary, { fetch, tuning: DEFAULT_DOWNLOAD_TUNING, log, signal, userAgent: 'vfleet-bench' });
      return writeStaged(verified(source), join(dir, `f${i}`), 0o644, signal);
    })));

    // baseline: the same bytes hashed and written, 256 KiB at a time, with synchronous writes
    dir = files();
    const floor = await measure(async () => {
      for (let i = 0; i < n; i++) {
        const hash = createHash('sha256');
        const fd = openSync(join(dir, `f${i}`), 'wx');
        for (let at = 0; at < size; at += 256 * 1024) {
          const part = content.subarray(at, at + 256 * 1024);
          hash.update(part);
          writeSync(fd, part);
        }
        closeSync(fd);
        if (hash.digest('hex') !== expected) throw new Error('baseline hash differs');
      }
    });

    const gib = (n * size) / 2 ** 30;
    const perGiB = (s) => +(s / gib).toFixed(2);
    console.log(JSON.stringify({
      allocator,
      bench: 'download-pipeline',
      downloads: n,
      binaryMiB: mib,
      out: outAt > 0 ? process.argv[outAt + 1] : tmpdir(),
      seconds: +pipeline.seconds.toFixed(2),
      cpuSecondsPerGiB: perGiB(pipeline.cpu),
      systemSecondsPerGiB: perGiB(pipeline.system),
      baseline: { what: 'hash + synchronous write from memory, one thread', seconds: +floor.seconds.toFixed(2), cpuSecondsPerGiB: perGiB(floor.cpu) },
      cpuRatioToBaseline: +(pipeline.cpu / floor.cpu).toFixed(2),
    }));
  } finally {
    server.kill();
    rmSync(root, { recursive: true, force: true });
  }
}
