// peridiod's console output (Elixir Logger default format) or one JSON object per line.
import type { LogLevel } from '@vfleet/core';
import type { AgentLogger } from '../types.js';
import { levelEnabled } from './log-level.js';
import { logText } from './log-text.js';
import { redactSecrets } from './redact-secrets.js';

export type LogFormat = 'console' | 'json';

export interface LoggerOptions {
  /** Receives one entry per call; the sink adds its own line terminator. */
  sink: (line: string) => void;
  format: LogFormat;
  /** Entries below this level are dropped. */
  level: LogLevel;
  deviceId: string;
  now?: () => Date;
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0');

/** `HH:MM:SS.mmm` in local time, as Elixir's Logger prints it (utc_log false). */
export function consoleTime(d: Date): string {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

export function createLogger(options: LoggerOptions): AgentLogger {
  const { sink, format, level: threshold, deviceId } = options;
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, message: string): void => {
    if (!levelEnabled(threshold, level)) return;
    const msg = logText(redactSecrets(message));
    const at = now();
    // Elixir's default format is "\n$time $metadata[$level] $message\n": a blank line before each entry.
    sink(format === 'console' ? `\n${consoleTime(at)} [${level}] ${msg}` : JSON.stringify({ ts: at.toISOString(), level, device: deviceId, msg }));
  };
  return {
    debug: (m) => emit('debug', m),
    info: (m) => emit('info', m),
    warn: (m) => emit('warning', m),
    error: (m) => emit('error', m),
  };
}
