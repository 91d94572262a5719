// What the remote console runs: agetty as peridiod does where that is possible, else a login shell.
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface ConsoleCommand {
  file: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** `getty`: a system login on the PTY; `shell`: a login shell as the agent's user. */
  what: 'getty' | 'shell';
}

export type ConsolePreference = 'auto' | 'getty' | 'shell';

export interface ConsoleCommandOptions {
  /**
   * process/inproc runtimes: the host directory that backs the device's `/` (`<device>/root`); the
   * shell starts there with HOME there. Absent in a container or namespace, where `/` is the device's.
   */
  mappedRoot?: string | undefined;
  /** The host process environment: PATH, SHELL, TERM, LANG, USER. The agent's own env is never passed on. */
  hostEnv: Readonly<Record<string, string | undefined>>;
  isRoot: boolean;
  prefer?: ConsolePreference;
  executable?: (file: string) => boolean;
}

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const AGETTY = ['/sbin/agetty', '/usr/sbin/agetty'];
const LOGIN = ['/bin/login', '/usr/bin/login'];

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(name: string, searchPath: string, executable: (f: string) => boolean): string | undefined {
  for (const dir of searchPath.split(':')) {
    if (dir === '') continue;
    const file = path.join(dir, name);
    if (executable(file)) return file;
  }
  return undefined;
}

/**
 * getty when the device's own root is real (container, namespace), agetty and login are there and
 * the agent is root (agetty takes over the line; login needs root) — peridiod's
 * `setsid agetty -o '-p -- \u' --keep-baud 115200 <tty> $TERM`, with the PTY as the line. Otherwise
 * `$SHELL -l`, or the first of bash, zsh, sh. Throws when nothing can run, naming what was looked for.
 */
export function consoleCommand(options: ConsoleCommandOptions): ConsoleCommand {
  const { hostEnv, mappedRoot } = options;
  const executable = options.executable ?? isExecutable;
  const prefer = options.prefer ?? 'auto';
  const searchPath = hostEnv['PATH'] || DEFAULT_PATH;
  const term = hostEnv['TERM'] || 'xterm-256color';
  const base: Record<string, string> = { PATH: searchPath, TERM: term };
  for (const key of ['LANG', 'LC_ALL', 'USER', 'LOGNAME'] as const) {
    const v = hostEnv[key];
    if (v !== undefined && v !== '') base[key] = v;
  }

  const agetty = AGETTY.find(executable);
  const gettyPossible = mappedRoot === undefined && options.isRoot && agetty !== undefined && LOGIN.some(executable);
  if (prefer === 'getty' && !gettyPossible) {
    throw new Error(
      mappedRoot !== undefined
        ? 'getty needs the device root to be real (container or namespace runtime); this agent maps device paths'
        : `getty needs root and agetty (${AGETTY.join(' or ')}) with login (${LOGIN.join(' or ')})`,
    );
  }
  if (gettyPossible && prefer !== 'shell') {
    return { file: agetty as string, args: ['-o', '-p -- \\u', '--keep-baud', '115200', '-', term], cwd: '/', env: base, what: 'getty' };
  }

  const wanted = hostEnv['SHELL'];
  const shell =
    (wanted !== undefined && wanted !== '' && path.isAbsolute(wanted) && executable(wanted) ? wanted : undefined) ??
    ['bash', 'zsh', 'sh'].map((n) => onPath(n, searchPath, executable)).find((f) => f !== undefined);
  if (shell === undefined) throw new Error(`no shell: $SHELL is not executable and none of bash, zsh, sh is on PATH (${searchPath})`);
  let home: string;
  if (mappedRoot !== undefined) {
    mkdirSync(mappedRoot, { recursive: true });
    home = mappedRoot;
  } else {
    const h = hostEnv['HOME'];
    home = h !== undefined && path.isAbsolute(h) && executable(h) ? h : '/';
  }
  return { file: shell, args: ['-l'], cwd: home, env: { ...base, HOME: home, SHELL: shell }, what: 'shell' };
}

const PREFERENCES: readonly ConsolePreference[] = ['auto', 'getty', 'shell'];

/**
 * `VFLEET_CONSOLE` from the device's env: `shell` where a getty login would have no known password
 * (e.g. a namespace over the host's root), `getty` to insist. Anything else is reported and ignored.
 */
export function consolePreferenceFromEnv(value: string | undefined, warn: (message: string) => void): ConsolePreference {
  if (value === undefined || value === '') return 'auto';
  if ((PREFERENCES as readonly string[]).includes(value)) return value as ConsolePreference;
  warn(`[Cloud Socket] VFLEET_CONSOLE=${JSON.stringify(value)} ignored: expected one of ${PREFERENCES.join(', ')}`);
  return 'auto';
}
