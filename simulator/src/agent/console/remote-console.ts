// The device side of the console topic (protocol §6): one PTY per active session, started lazily.
import { createRequire } from 'node:module';
import type * as NodePty from 'node-pty';
import type { IPty } from 'node-pty';
import type { AgentLogger } from '../types.js';
import { restartBanner, stoppedBanner, TIMEOUT_BANNER, type ConsoleKind } from './banners.js';
import type { ConsoleCommand } from './console-command.js';
import { createUtf8Filter } from './utf8-filter.js';

export const INACTIVITY_TIMEOUT_MS = 5 * 60_000;
const KILL_GRACE_MS = 2_000;
const MAX_DIMENSION = 10_000;

export interface RemoteConsoleOptions {
  /** Pushes `up` `{data}` on the console topic; dropped while the topic is not joined. */
  pushUp: (data: string) => void;
  log: AgentLogger;
  /** What to run, decided at every start (see consoleCommand). */
  command: () => ConsoleCommand;
  kind?: ConsoleKind;
  inactivityMs?: number;
  /** How long a hung-up session may take to exit before it is killed. */
  killGraceMs?: number;
}

export interface RemoteConsole {
  /** A server event on the console topic: `dn`, `window_size`, `restart`. Never throws. */
  handle(event: string, payload: unknown): void;
  /** True while a PTY session runs. */
  readonly active: boolean;
  /** Hangs up the session (if any) and ignores further events; resolves once it has exited. */
  stop(): Promise<void>;
}

interface Session {
  pty: IPty;
  /** Set when the console ends the session itself (timeout, restart, stop): no "stopped" banner then. */
  ending: boolean;
  timer: NodeJS.Timeout;
  exited: Promise<void>;
}

/** node-pty is loaded on the first session, so an agent without its native module still runs (console refused). */
let nodePty: typeof NodePty | undefined;
function loadNodePty(): typeof NodePty {
  try {
    nodePty ??= createRequire(import.meta.url)('node-pty') as typeof NodePty;
  } catch (e) {
    throw new Error(`no PTY support: node-pty could not be loaded (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`, { cause: e });
  }
  return nodePty;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const dimension = (v: unknown): number | undefined => (Number.isInteger(v) && (v as number) >= 1 && (v as number) <= MAX_DIMENSION ? (v as number) : undefined);

export function createRemoteConsole(options: RemoteConsoleOptions): RemoteConsole {
  const { log, pushUp } = options;
  const kind = options.kind ?? 'getty';
  const inactivityMs = options.inactivityMs ?? INACTIVITY_TIMEOUT_MS;
  const graceMs = options.killGraceMs ?? KILL_GRACE_MS;
  let session: Session | undefined;
  let size = { cols: 80, rows: 24 };
  let stopped = false;

  const fail = (why: string): void => {
    log.warn(`[Cloud Socket] Remote console stopped: ${why}`);
    pushUp(stoppedBanner(why));
  };

  const hangUp = (s: Session): Promise<void> => {
    s.ending = true;
    clearTimeout(s.timer);
    if (session === s) session = undefined;
    try {
      s.pty.kill('SIGHUP');
    } catch {
      // already gone
    }
    const force = setTimeout(() => {
      try {
        process.kill(s.pty.pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }, graceMs);
    force.unref();
    return s.exited.finally(() => clearTimeout(force));
  };

  const start = (): Session | undefined => {
    let command: ConsoleCommand;
    let pty: IPty;
    try {
      command = options.command();
      pty = loadNodePty().spawn(command.file, command.args, {
        name: command.env['TERM'] ?? 'xterm-256color',
        cols: size.cols,
        rows: size.rows,
        cwd: command.cwd,
        env: command.env,
        // bytes, not strings: node-pty's decoder would turn invalid UTF-8 into U+FFFD instead of dropping it
        encoding: null,
      });
    } catch (e) {
      fail(e instanceof Error ? e.message : String(e));
      return undefined;
    }
    log.info(`[Cloud Socket] Remote Console: Starting ${kind === 'IEx' ? 'IEx' : 'shell'}`);
    log.debug(`[Cloud Socket] Remote console runs ${command.what}: ${command.file} ${command.args.join(' ')} in ${command.cwd}`);
    const filter = createUtf8Filter();
    let exited!: () => void;
    const s: Session = {
      pty,
      ending: false,
      exited: new Promise<void>((r) => (exited = r)),
      timer: setTimeout(() => {
        if (session !== s) return;
        log.info('[Cloud Socket] Remote console stopped: session timed out after inactivity');
        pushUp(TIMEOUT_BANNER);
        void hangUp(s);
      }, inactivityMs),
    };
    s.timer.unref();
    pty.onData((chunk: string | Buffer) => {
      if (session !== s) return;
      s.timer.refresh();
      const text = filter(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (text !== '') pushUp(text);
    });
    pty.onExit(({ exitCode, signal }) => {
      clearTimeout(s.timer);
      exited();
      if (s.ending || session !== s) return;
      session = undefined;
      fail(signal ? `${command.what} killed by signal ${signal}` : `${command.what} exited with code ${exitCode}`);
    });
    return s;
  };

  const onDn = (payload: Record<string, unknown>): void => {
    const data = payload['data'];
    if (typeof data !== 'string') {
      log.warn(`[Cloud Socket] console dn ignored: payload.data must be a string, got ${JSON.stringify(data) ?? 'nothing'}`);
      return;
    }
    session ??= start();
    if (session === undefined) return;
    session.timer.refresh();
    session.pty.write(data);
  };

  const onWindowSize = (payload: Record<string, unknown>): void => {
    const rows = dimension(payload['height']);
    const cols = dimension(payload['width']);
    if (rows === undefined || cols === undefined) {
      log.warn(`[Cloud Socket] console window_size ignored: height and width must be integers 1..${MAX_DIMENSION}, got ${JSON.stringify(payload)}`);
      return;
    }
    size = { cols, rows };
    try {
      session?.pty.resize(cols, rows);
    } catch {
      // the PTY closed under us; the next session starts at this size
    }
  };

  const onRestart = (): void => {
    log.info(`[Cloud Socket] Restarting ${kind} process from web request`);
    pushUp(restartBanner(kind));
    if (session !== undefined) void hangUp(session);
    session = start();
  };

  return {
    handle(event, payload) {
      if (stopped) return;
      const body = isObject(payload) ? payload : {};
      try {
        if (event === 'dn') onDn(body);
        else if (event === 'window_size') onWindowSize(body);
        else if (event === 'restart') onRestart();
        else log.debug(`[Cloud Socket] console event ${JSON.stringify(event)} ignored`);
      } catch (e) {
        log.error(`[Cloud Socket] console ${event} failed: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    get active() {
      return session !== undefined;
    },
    async stop() {
      stopped = true;
      if (session !== undefined) await hangUp(session);
    },
  };
}
