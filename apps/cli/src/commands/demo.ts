import type { Command } from 'commander';
import { resolveHome, startDemo } from '@vfleet/simulator';

type Demo = Awaited<ReturnType<typeof startDemo>>;

function rows(demo: Demo): string[][] {
  const product = demo.product;
  const productUuid = demo.backend.store.products.getByName(product.product)?.uuid ?? '';
  return product.devices.flatMap((spec) => {
    const d = demo.fleet.status(spec.id);
    if (!d) return [];
    const server = demo.backend.store.devices.getByIdentifier(productUuid, d.id);
    return [[
      d.id,
      spec.tags.join(',') || (server?.tags.join(',') ?? '-'),
      d.run,
      String(d.boots),
      d.slot ?? '-',
      server && demo.backend.socket.isOnline(server.uuid) ? 'online' : 'offline',
      server?.reported_version ?? '-',
      d.error ?? (d.lastLog ?? '').slice(0, 60),
    ]];
  });
}

function render(demo: Demo, note: string): string {
  const table = [['DEVICE', 'TAGS', 'STATE', 'BOOTS', 'SLOT', 'SOCKET', 'VERSION', 'LAST LOG'], ...rows(demo)];
  const widths = table[0]?.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length))) ?? [];
  const lines = table.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  '));
  return [
    `vfleet demo · device API ${demo.backend.deviceApiUrl} · admin ${demo.backend.admin.url}`,
    '',
    ...lines,
    '',
    'keys: e enable r1002 (canaries update) · h phase r1002 to 50% · f phase to 100% · r reboot EI-ML-0003 · q quit',
    note,
  ].join('\n');
}

export function registerDemo(program: Command): void {
  const run = async (flags: { sizeScale: number }) => {
    const controller = new AbortController();
    process.once('SIGINT', () => controller.abort());
    process.once('SIGTERM', () => controller.abort());
    const say = (l: string) => console.log(l);
    const demo = await startDemo({ home: resolveHome(program.opts<{ home?: string }>().home), signal: controller.signal, sizeScale: flags.sizeScale, say });
    const r1002 = demo.product.releases.find((r) => r.name === 'release-r1002')?.uuid ?? '';
    let note = '';
    const act = async (key: string) => {
      try {
        const patches: Record<string, [Record<string, unknown>, string]> = {
          e: [{ disabled: false }, 'r1002 enabled for the canary phase tag'],
          h: [{ disabled: false, phase_value: 0.5 }, 'r1002 phased to 50% of the cohort'],
          f: [{ disabled: false, phase_value: 1.0 }, 'r1002 phased to 100%'],
        };
        const patch = patches[key];
        if (patch) {
          await demo.admin.call('PATCH', `/api/v1/releases/${r1002}`, patch[0]);
          note = patch[1];
        }
        if (key === 'r') {
          const product = demo.backend.store.products.getByName(demo.product.product)?.uuid ?? '';
          const dev = demo.backend.store.devices.getByIdentifier(product, 'EI-ML-0003');
          note = dev && demo.backend.socket.push(dev.uuid, 'device', 'reboot', {}) ? 'reboot sent to EI-ML-0003' : 'EI-ML-0003 is not connected';
        }
        if (key === 'q' || key === '\u0003') controller.abort();
      } catch (e) {
        note = `error: ${(e as Error).message}`;
      }
    };
    const tty = process.stdout.isTTY && process.stdin.isTTY;
    if (tty) {
      process.stdin.setRawMode(true);
      process.stdin.resume();
      process.stdin.on('data', (d: Buffer) => void act(d.toString()));
    }
    let last = '';
    const tick = () => {
      const screen = render(demo, note);
      if (tty) process.stdout.write(`\x1b[H\x1b[2J${screen}\n`);
      else if (screen !== last) console.log(screen);
      last = screen;
    };
    const timer = setInterval(tick, 1000);
    await new Promise<void>((resolve) => controller.signal.addEventListener('abort', () => resolve(), { once: true }));
    clearInterval(timer);
    if (tty) process.stdin.setRawMode(false);
    process.stdin.pause();
    console.log('stopping the fleet and the backend');
    await demo.stop();
  };
  program
    .command('demo')
    .description('the EVK story: embedded backend, six devices, releases on a key (also what `npm start` runs)')
    .option('--size-scale <x>', 'binary sizes relative to the EVK sizes', (v) => Number(v), 1)
    .action(run);
}
