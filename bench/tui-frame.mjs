#!/usr/bin/env node
// Figure for issue [tui]: the dashboard over a synthetic fleet of N devices in which every device
// changes once a second (state, progress, version, last seen, a log event each). Measures, at the
// default 1 s refresh: time from the store publishing a snapshot to the frame written, ink's own
// render time, key-to-frame latency while the fleet churns, and CPU of the whole process (with the
// share the synthetic fleet itself costs). Prints one JSON object.
// Usage: node bench/tui-frame.mjs [devices=10000] [seconds=20] [columns=120] [rows=40]
// A/B switches: FORCE_COLOR=0 without colours; TUI_FRAME_INK_OUTPUT=ink with ink's own output stage;
// TUI_FRAME_MAX_FPS=30 with ink's default frame rate cap instead of runTui's; TUI_FRAME_NODE_FLAGS=0 with
// V8's default young generation instead of the dashboard's node flags.
import { EventEmitter } from 'node:events';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { useLauncherAllocator } from './lib/allocator.mjs';

const allocator = useLauncherAllocator();

// as `vfleet demo|ui` run it: React's production build (the development build logs every prop diff)
process.env.NODE_ENV ??= 'production';
// colours as a terminal shows them, even with stdout piped to a file (chalk reads this when loaded)
process.env.FORCE_COLOR ??= '1';
const { createElement } = await import('react');
const { render } = await import('ink');
const { App, DASHBOARD_NODE_FLAGS, MAX_FPS, createFleetStore, installFastOutput, loadInkOutput } = await import('@vfleet/tui');
// with the node flags `npm start` and the vfleet bin give the dashboard (TUI_FRAME_NODE_FLAGS=0: V8's defaults)
if (process.env.TUI_FRAME_NODE_FLAGS !== '0' && !DASHBOARD_NODE_FLAGS.every((f) => process.execArgv.includes(f))) {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [...process.execArgv, ...DASHBOARD_NODE_FLAGS, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
// A/B: TUI_FRAME_INK_OUTPUT=ink renders with ink's own Output.get() instead of the dashboard's fast one
const inkOutput = await installFastOutput();
if (process.env.TUI_FRAME_INK_OUTPUT === 'ink') {
  const ink = await loadInkOutput();
  if ('original' in ink) ink.Output.prototype.get = ink.original;
}

const N = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 20);
const columns = Number(process.argv[4] ?? 120);
const rows = Number(process.argv[5] ?? 40);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// --- a synthetic FleetHandle: N devices, each changing once per second in 10 slices ----------
const PHASES = ['online', 'checking', 'downloading', 'installing', 'online', 'rebooting'];
const devices = Array.from({ length: N }, (_, i) => ({
  id: `EI-ML-${String(i + 1).padStart(5, '0')}`,
  runtime: 'inproc', run: 'running', phase: 'online', boots: 1, crashes: 0,
  tags: i < 2 ? ['canary'] : ['JITP'], cohort: 'release', version: '1.1.0', slot: 'a', lastSeen: Date.now(), lastLog: '[Socket] joined device channel',
}));
const listeners = new Set();
let fleetMs = 0;
let tick = 0;
const churn = setInterval(() => {
  const t0 = performance.now();
  const slice = tick++ % 10;
  const now = Date.now();
  for (let i = slice; i < N; i += 10) {
    const d = devices[i];
    const phase = PHASES[(tick + i) % PHASES.length];
    devices[i] = { ...d, phase, progress: phase === 'downloading' || phase === 'installing' ? (tick * 7 + i) % 100 : undefined, lastSeen: now, version: (tick + i) % 50 === 0 ? '2.0.0' : d.version, lastLog: `[Update] ${phase} ${tick}` };
    const event = { at: now, id: d.id, kind: phase === 'online' ? 'log' : phase === 'downloading' ? 'downloading' : 'checking', line: `[Update] ${phase}` };
    for (const l of listeners) l(event);
  }
  fleetMs += performance.now() - t0;
}, 100);
const fleet = {
  runtime: 'inproc',
  async devices() {
    const t0 = performance.now();
    const copy = devices.map((d) => ({ ...d })); // what a real fleet hands out: a snapshot, not its live objects
    fleetMs += performance.now() - t0;
    return copy;
  },
  async summary() { return { total: N, byRun: {}, byPhase: {}, versions: {} }; },
  subscribe(l) { listeners.add(l); return () => listeners.delete(l); },
  async logs() { return []; },
  async add() { return []; },
  async start() {}, async stop() {}, async reboot() {}, async kill() {}, async remove() {}, async close() {},
};

// --- a terminal in memory -----------------------------------------------------------------
class Out extends EventEmitter {
  isTTY = true;
  columns = columns;
  rows = rows;
  bytes = 0;
  onWrite = () => {};
  write(chunk, _enc, cb) { this.bytes += chunk.length; this.onWrite(); if (typeof cb === 'function') cb(); return true; }
}
class In extends EventEmitter {
  isTTY = true;
  data = null;
  setRawMode() {} setEncoding() {} resume() {} pause() {} ref() {} unref() {}
  read() { const d = this.data; this.data = null; return d; }
  press(key) { this.data = key; this.emit('readable'); }
}
const stdout = new Out();
// as runTui renders; TUI_FRAME_MAX_FPS=30 for ink's default
const maxFps = Number(process.env.TUI_FRAME_MAX_FPS ?? MAX_FPS);
const stdin = new In();

const store = createFleetStore(fleet, { refreshMs: 1000 });
const frames = [];
const inkRender = [];
let publishedAt;
let publishedCpu;
const frameCpu = [];
// registered before React's listener: the publish → React render → ink layout → write runs synchronously
// ink renders at most maxFps times a second (runTui's MAX_FPS, as here): a snapshot published within
// 1000/maxFps ms of the last frame (a key's, usually) waits for the rest of that window; counted
let lastWriteAt = -Infinity;
let throttled = 0;
store.subscribe(() => {
  publishedAt = performance.now();
  publishedCpu = process.cpuUsage();
  if (publishedAt - lastWriteAt < 1000 / maxFps) throttled++;
});
let keyAt;
const keyLatency = [];
stdout.onWrite = () => {
  const t = performance.now();
  lastWriteAt = t;
  if (publishedAt !== undefined) {
    frames.push(t - publishedAt);
    const c = process.cpuUsage(publishedCpu);
    frameCpu.push((c.user + c.system) / 1000);
    publishedAt = undefined;
  }
  if (keyAt !== undefined) { keyLatency.push(t - keyAt); keyAt = undefined; }
};
store.start();
const app = render(createElement(App, { fleet, store, refreshMs: 1000 }), { stdout, stdin, stderr: stdout, exitOnCtrlC: false, patchConsole: false, maxFps, onRender: ({ renderTime }) => inkRender.push(renderTime) });
await sleep(2000); // warm up: first snapshot, JIT

frames.length = 0;
frameCpu.length = 0;
inkRender.length = 0;
throttled = 0;
fleetMs = 0;
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
for (let elapsed = 0; elapsed < seconds * 1000; elapsed += 250) {
  await sleep(250);
  keyAt = performance.now();
  stdin.press(elapsed % 500 === 0 ? 'j' : 'k');
}
const wall = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
clearInterval(churn);
app.unmount();
store.stop();

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? Number(s[Math.min(s.length - 1, Math.floor(p * s.length))].toFixed(2)) : null; };
const cpuPercent = ((cpu.user + cpu.system) / 1000 / wall) * 100;
console.log(JSON.stringify({ allocator,
  bench: 'tui-frame',
  devices: N,
  seconds,
  terminal: `${columns}x${rows}`,
  refreshMs: 1000,
  maxFps,
  nodeFlags: process.execArgv,
  changesPerSecond: N,
  fleetFrames: frames.length,
  frameMs: { p50: pct(frames, 0.5), p95: pct(frames, 0.95), max: pct(frames, 1) },
  fleetFramesWaitingForInkThrottle: throttled,
  frameCpuMs: { p50: pct(frameCpu, 0.5), p95: pct(frameCpu, 0.95), max: pct(frameCpu, 1) },
  inkRenderMs: { p50: pct(inkRender, 0.5), p95: pct(inkRender, 0.95), max: pct(inkRender, 1) },
  keyToFrameMs: { p50: pct(keyLatency, 0.5), p95: pct(keyLatency, 0.95), max: pct(keyLatency, 1), keys: keyLatency.length },
  colours: process.env.FORCE_COLOR !== '0',
  inkOutput: process.env.TUI_FRAME_INK_OUTPUT === 'ink' ? 'ink' : inkOutput,
  cpuPercentOfOneCore: Number(cpuPercent.toFixed(1)),
  syntheticFleetPercent: Number(((fleetMs / wall) * 100).toFixed(1)),
  uiPercentOfOneCore: Number((cpuPercent - (fleetMs / wall) * 100).toFixed(1)),
  targets: { frameMs: 20, cpuPercent: 25 },
  hostLoadAverage1m: Number(loadavg()[0].toFixed(2)),
  hostCpus: cpus().length,
}));
process.exit(0);
