import type { Command } from 'commander';
import { resolveHome, startDemo } from '@vfleet/simulator';
import { intFlag } from '../flags.js';
import { loadTui, refreshFlag, tuiServices } from './tui-services.js';

interface DemoFlags {
  sizeScale: number;
  auto?: boolean;
  refresh: number;
  plain?: boolean;
  port: number;
  adminPort: number;
  binaryPort: number;
}

export function registerDemo(program: Command): void {
  const run = async (flags: DemoFlags) => {
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const say = (l: string) => console.log(l);
    const demo = await startDemo({
      home: resolveHome(program.opts<{ home?: string }>().home),
      signal: controller.signal,
      sizeScale: flags.sizeScale,
      ports: { device: flags.port, admin: flags.adminPort, binary: flags.binaryPort },
      say,
    });
    try {
      const { evkDemoScript, nextStepReady, runTui, plainTable, createFleetStore } = await loadTui();
      const services = await tuiServices({ fleet: demo.fleet, devicesDir: demo.devicesDir, faultTable: demo.backend.faults });
      const release = demo.product.releases.find((r) => r.name === 'release-r1002');
      const script = services.releases
        ? evkDemoScript({
            fleet: demo.fleet,
            releases: services.releases,
            releaseName: release?.name ?? 'release-r1002',
            targetVersion: release?.version ?? '2.0.0',
            rebootId: 'EI-ML-0003',
            ...(services.tunnel ? { tunnel: services.tunnel } : {}),
            auto: flags.auto === true,
          })
        : undefined;
      if (process.stdout.isTTY && process.stdin.isTTY && flags.plain !== true) {
        await runTui({ ...services, fleet: demo.fleet, demo: script, title: 'vfleet demo', refreshMs: flags.refresh, ownsFleet: true, signal: controller.signal });
        return;
      }
      // not a terminal: one table each time it changes, narration lines, and with --auto the story plays by itself
      say(`vfleet demo · device API ${demo.backend.deviceApiUrl} · admin ${demo.backend.admin.url} · Ctrl-C stops`);
      const store = createFleetStore(demo.fleet, { refreshMs: flags.refresh });
      let last = '';
      let step = -1;
      let running = false;
      const unsubscribe = store.subscribe(() => {
        const snap = store.getSnapshot();
        if (snap.banner) say(snap.banner);
        const table = plainTable(snap.devices);
        if (table !== last) say(`${table}\n`);
        last = table;
        if (!script?.auto || running || step + 1 >= script.steps.length) return;
        const next = script.steps[step + 1];
        if (!next || !nextStepReady(script, step, snap)) return;
        running = true;
        step++;
        say(`demo ${step + 1}/${script.steps.length}: ${next.narration}`);
        next.run().then(
          (note) => say(`demo ${step + 1}/${script.steps.length}: ${note}`),
          (e: unknown) => say(`demo ${step + 1}/${script.steps.length} failed: ${(e as Error).message}`),
        ).finally(() => (running = false));
      });
      store.start();
      await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
      unsubscribe();
      store.stop();
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      console.log('stopping the fleet and the backend');
      await demo.stop();
    }
  };
  program
    .command('demo')
    .description('the EVK story in the TUI: embedded backend, six devices, a release rolled out step by step (what `npm start` runs)')
    .option('--auto', 'play the story by itself, each step once the previous one shows')
    .option('--refresh <duration>', 'redraw at most this often (1s, 500ms)', refreshFlag, 1000)
    .option('--plain', 'line-based output even on a terminal')
    .option('--size-scale <x>', 'binary sizes relative to the EVK sizes', (v) => Number(v), 1)
    .option('--port <n>', 'device API port (0: any free one)', intFlag('--port', 0, 65535), 4443)
    .option('--admin-port <n>', 'admin API port (0: any free one)', intFlag('--admin-port', 0, 65535), 4000)
    .option('--binary-port <n>', 'binary download port (0: any free one)', intFlag('--binary-port', 0, 65535), 4080)
    .action(run);
}
