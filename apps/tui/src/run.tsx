import { render } from 'ink';
import type { FleetHandle } from '@vfleet/simulator';
import { App, type AppProps } from './App.js';
import { createFleetStore, type FleetStore } from './store/fleet-store.js';

/**
 * ink draws at most this many frames a second (its default is 30). A frame costs a few ms, and a
 * snapshot that arrives just after a key's frame waits out the rest of ink's window: 1000/30 ms of
 * latency for nothing. Held keys still coalesce to this rate.
 */
export const MAX_FPS = 120;

/**
 * Node flags the processes that draw the dashboard start with (`npm start`, the `vfleet` bin): a
 * 64 MiB young generation. With V8's default 16 MiB, 10,000 devices changing every second set off a
 * scavenge about twice a second, each copying the fresh snapshot (10–22 ms), and the frame one lands
 * in misses 20 ms (bench/tui-frame over 60 s at 120×40: p95 19–29 ms → 5–9 ms, max 26–57 → 11–21 ms).
 * V8 reads it only at start (v8.setFlagsFromString afterwards does not resize the young generation).
 */
export const DASHBOARD_NODE_FLAGS = ['--max-semi-space-size=64'] as const;

export interface RunTuiOptions extends Omit<AppProps, 'store' | 'onQuit' | 'shell' | 'size'> {
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
  /** Aborting closes the dashboard (SIGTERM, the fleet going away). */
  signal?: AbortSignal;
}

/**
 * Runs the dashboard on the terminal (alternate screen) until the user quits. The store, and with
 * it the event subscription, outlives a shell session, so the dashboard comes back with its data.
 */
export async function runTui(opts: RunTuiOptions): Promise<void> {
  const { stdin = process.stdin, stdout = process.stdout, signal, shell: runShell, ...rest } = opts;
  const refreshMs = opts.refreshMs ?? 1000;
  const store: FleetStore = createFleetStore(opts.fleet, { refreshMs });
  store.start();
  stdout.write('\x1b[?1049h\x1b[H');
  let said: string | undefined;
  try {
    for (;;) {
      let shellFor: string | undefined;
      let quit = false;
      let unmount = () => undefined as void;
      const shell = runShell
        ? (id: string) => {
            shellFor = id;
            unmount();
            return Promise.resolve(`shell on ${id}`);
          }
        : undefined;
      const props: AppProps = { ...rest, store, refreshMs, shell, onQuit: () => (quit = true), ...(said === undefined ? {} : { initialStatus: said }) };
      const instance = render(<App {...props} />, { stdin, stdout, exitOnCtrlC: false, patchConsole: true, maxFps: MAX_FPS });
      unmount = () => instance.unmount();
      const onAbort = () => {
        quit = true;
        instance.unmount();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      if (signal?.aborted) onAbort();
      await instance.waitUntilExit();
      signal?.removeEventListener('abort', onAbort);
      if (quit || shellFor === undefined || !runShell) return;
      stdout.write('\x1b[2J\x1b[H');
      try {
        said = await runShell(shellFor, { stdin, stdout });
      } catch (e) {
        said = `shell on ${shellFor}: ${(e as Error).message}`;
      }
      stdout.write('\x1b[2J\x1b[H');
      // the shell left stdin explicitly paused; a paused stream emits no 'readable', which is what ink listens to
      stdin.resume();
    }
  } finally {
    store.stop();
    stdout.write('\x1b[?1049l');
  }
}
