import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VfleetError } from '@vfleet/core';
import type { LiveState } from './runner.js';
import { HISTOGRAMS, type HistogramName } from './thresholds.js';

const QUANTILES = [0.5, 0.9, 0.95, 0.99];

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** Prometheus text format (or OpenMetrics with `# EOF`) for the live state of a run. */
export function metricsText(live: LiveState | undefined, scenario: string, openMetrics: boolean): string {
  const out: string[] = [];
  const s = `scenario="${label(scenario)}"`;
  const gauge = (name: string, help: string, value: number) => out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name}{${s}} ${value}`);
  gauge('vfleet_load_elapsed_seconds', 'Seconds since the run started.', live?.elapsedSeconds ?? 0);
  gauge('vfleet_load_devices', 'Devices provisioned.', live?.provisioned ?? 0);
  gauge('vfleet_load_devices_online', 'Devices with the device channel joined.', live?.online ?? 0);
  gauge('vfleet_load_devices_updated', 'Devices online on the release version.', live?.updated ?? 0);
  gauge('vfleet_load_devices_updating', 'Devices downloading or installing.', live?.updating ?? 0);
  if (!live) return finish(out, openMetrics);
  const c = live.collector;
  const counter = (name: string, help: string, samples: Array<[string, number]>) => {
    const base = openMetrics ? name : `${name}_total`;
    out.push(`# HELP ${openMetrics ? name : base} ${help}`, `# TYPE ${openMetrics ? name : base} counter`);
    for (const [extra, v] of samples) out.push(`${name}_total{${s}${extra}} ${v}`);
  };
  counter('vfleet_load_errors', 'Errors by kind.', Object.entries(c.errorsByKind).map(([k, v]) => [`,kind="${label(k)}"`, v]));
  for (const name of ['polls', 'connects', 'crashes', 'reboots'] as const) counter(`vfleet_load_${name}`, `Count of ${name}.`, [['', c.counters[name]]]);
  for (const name of Object.keys(HISTOGRAMS) as HistogramName[]) {
    const h = c.histograms[name];
    const seconds = HISTOGRAMS[name] === 'duration';
    const metric = `vfleet_load_${name}_${seconds ? 'seconds' : 'bytes_per_second'}`;
    const scale = seconds ? 1 / 1000 : 1;
    out.push(`# HELP ${metric} ${name.replace(/_/g, ' ')} (quantiles from a mergeable sketch, 1% relative accuracy).`, `# TYPE ${metric} summary`);
    for (const q of QUANTILES) {
      const v = h.quantile(q);
      out.push(`${metric}{${s},quantile="${q}"} ${v === undefined ? 'NaN' : v * scale}`);
    }
    out.push(`${metric}_sum{${s}} ${h.sum * scale}`, `${metric}_count{${s}} ${h.count}`);
  }
  return finish(out, openMetrics);
}

function finish(lines: string[], openMetrics: boolean): string {
  return `${lines.join('\n')}\n${openMetrics ? '# EOF\n' : ''}`;
}

export interface MetricsEndpoint {
  url: string;
  update(live: LiveState): void;
  close(): Promise<void>;
}

/** Serves `GET /metrics` on 127.0.0.1 while a run lasts. */
export async function startMetricsEndpoint(port: number, scenario: string): Promise<MetricsEndpoint> {
  let live: LiveState | undefined;
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('try GET /metrics\n');
      return;
    }
    const om = /application\/openmetrics-text/.test(req.headers.accept ?? '');
    res.writeHead(200, { 'content-type': om ? 'application/openmetrics-text; version=1.0.0; charset=utf-8' : 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(metricsText(live, scenario, om));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new VfleetError('VFLEET_USAGE', `--metrics-port ${port}: ${e.code === 'EADDRINUSE' ? 'in use; pick another port (0 picks a free one)' : e.message}`, { cause: e })),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${bound}/metrics`,
    update: (l) => {
      live = l;
    },
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
