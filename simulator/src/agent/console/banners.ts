// The `up` notices peridiod's console pushes (protocol §6); CRLF because they land on a raw terminal.

export const restartBanner = (kind: ConsoleKind): string => `\r\n*** Restarting ${kind} ***\r\n`;

export const stoppedBanner = (why: string): string => `\r\nRemote Console stopped: ${why}\r\n`;

export const TIMEOUT_BANNER = [
  '',
  '',
  '******************************************',
  '*  Session timed out due to inactivity.  *',
  '*  Press any key to continue...          *',
  '******************************************',
  '',
].join('\r\n');

/** What runs behind the console: peridiod's names, as they appear in its banners and log lines. */
export type ConsoleKind = 'getty' | 'IEx';
