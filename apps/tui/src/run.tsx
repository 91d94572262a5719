import { render } from 'ink';
import type { FleetHandle } from '@vfleet/simulator';
import { App, type AppProps } from './App.js';
import { createFleetStore, type FleetStore } from './store/fleet-store.js';

export interface RunTuiOptions extends Omit<AppProps, 'store' | 'onQuit' | 'shell'> {
  fleet: FleetHandle;
  /** Re-render at most this often (default 1000 ms). */
  refreshMs?: number;
  /**
   * An interactive shell on a device that owns the terminal until it ends; the dashboard is taken
   * down meanwhile and comes back after. Resolves with a line to show.
   */
  shell?: (id: string, io: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream }) => Promise<string>;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
}

/**
 * Runs the dashboard on the terminal until the user quits. The store (and with it the event
 * subscription) outlives a shell session, so the dashboard comes back where it was.
 */
export async function runTui(opts: RunTuiOptions): Promise<void> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const store: FleetStore = createFleetStore(opts.fleet, { refreshMs: opts.refreshMs ?? 1000 });
  store.start();
  const alt = (on: boolean) => stdout.write(on ? '\x1b[?1049h\x1b[H' : '\x1b[?1049l');
  alt(true);
  try {
    for (;;) {
      let shellFor: string | undefined;
      let quit = false;
      const shell = opts.shell ? (id: string) => {
        shellFor = id;
        instance.unmount();
        return Promise.resolve(`shell on ${id}`);
      } : undefined;
      const props: AppProps = { ...opts, store, refreshMs: opts.refreshMs ?? 1000, shell, onQuit: () => (quit = true) };
      const instance = render(<App {...props} />, { stdin, stdout, exitOnCtrlC: false, patchConsole: true });
      await instance.waitUntilExit();
      if (quit || shellFor === undefined || !opts.shell) return;
      stdout.write('\x1b[2J\x1b[H');
      try {
        const said = await opts.shell(shellFor, { stdin, stdout });
        stdout.write(`\r\n${said}\r\n`);
      } catch (e) {
        stdout.write(`\r\nshell on ${shellFor}: ${(e as Error).message}\r\n`);
      }
    }
  } finally {
    store.stop();
    alt(false);
  }
}
