// Load generator child for bench/backend.mjs: C mTLS keep-alive clients polling GET /update for D ms.
// argv: a JSON file with {port, ca, devices: [{cert, key}], durationMs, headers, rate?}; with `rate` (req/s for
// this process) clients poll on a schedule (open loop), without it as fast as they can. Prints "warm" once every
// client has connected, then one JSON line.
import { Agent, request } from 'node:https';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ca = readFileSync(cfg.ca);
const latencies = [];
let errors = 0;
let done = 0;
const path = '/update?expand%5B%5D=manifest.binary_prn&expand%5B%5D=manifest.url&expand%5B%5D=release.version';

function client(dev) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, cert: readFileSync(dev.cert), key: readFileSync(dev.key), ca, servername: 'localhost' });
  const once = () =>
    new Promise((resolve) => {
      const t0 = performance.now();
      const req = request({ host: '127.0.0.1', port: cfg.port, path, agent, headers: cfg.headers }, (res) => {
        res.on('data', () => undefined);
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - t0);
          else errors++;
          done++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  return { agent, once };
}

const clients = cfg.devices.map(client);
// warm-up: every client connects (TLS handshake) once before measuring
await Promise.all(clients.map((c) => c.once()));
latencies.length = 0;
errors = 0;
done = 0;
// tells the parent that measuring starts now (its server CPU window)
console.log('warm');
const loop = monitorEventLoopDelay({ resolution: 5 });
loop.enable();
const start = performance.now();
const until = start + cfg.durationMs;
// open loop when a rate is given: each client polls on its own schedule, like a fleet does
const interval = cfg.rate ? (clients.length / cfg.rate) * 1000 : 0;
await Promise.all(clients.map(async (c, i) => {
  let next = start + (interval * i) / clients.length;
  while (performance.now() < until) {
    if (interval > 0) {
      const wait = next - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      next += interval;
    }
    await c.once();
  }
}));
const seconds = (performance.now() - start) / 1000;
loop.disable();
latencies.sort((a, b) => a - b);
const q = (p) => +(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN).toFixed(2);
console.log(JSON.stringify({ requests: done, errors, seconds: +seconds.toFixed(2), rps: Math.round(latencies.length / seconds), p50: q(0.5), p99: q(0.99), max: q(1), loopP99: +(loop.percentile(99) / 1e6).toFixed(1) }));
for (const c of clients) c.agent.destroy();
