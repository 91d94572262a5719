import { escapeControls } from '../../agent/connect/log-text.js';
import type { DeviceEventKind } from '../types.js';

/** One agent log line, split into its prefix parts and read as a device event. */
export interface ParsedLine {
  kind: DeviceEventKind;
  /** `debug` | `info` | `warning` | `error` | `notice` …, when the line carried a level. */
  level?: string;
  /** The message without the time/level prefix. */
  message: string;
  data?: Record<string, string | number>;
}

// `09:04:05.007 [info] msg` — peridiod's console (Elixir Logger default) and this agent's console format
const CONSOLE = /^(?:\d\d:\d\d:\d\d\.\d{3}) \[([a-z]+)\] ?(.*)$/s;
// `2025-06-01T12:00:00.123456+00:00 info msg` — peridiod's cache log file (logger_formatter)
const FILE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d) ([a-z]+) (.*)$/s;

type Rule = [RegExp, DeviceEventKind, (m: RegExpExecArray) => Record<string, string | number> | undefined];
const none = () => undefined;

// First match wins; the wording is protocol §9.2's.
const RULES: Rule[] = [
  [/^\[Cloud Socket\] Joined Device channel/, 'connected', none],
  [/^\[Client\] error: (socket closed.*|device channel (?:closed|crashed).*)$/, 'disconnected', (m) => ({ reason: m[1] ?? '' })],
  [/^\[Cloud Socket\] (?:Attempting reconnect with IP (.*)|DNS resolution error.*)$/, 'disconnected', (m) => (m[1] ? { ip: m[1] } : undefined)],
  [/^\[Cloud Server\] Checking for update/, 'checking', none],
  [/^\[Cloud Server\] no update/, 'no-update', none],
  [/^\[Bundle Server\] No binaries to install because (.*)$/, 'no-update', (m) => ({ reason: m[1] ?? '' })],
  [/^\[Plan Server\] Plan execution starting/, 'update-available', none],
  [/^\[Stream Downloader ([^\]]+)\] Waiting for a download slot \((\d+) at once in this process, (\d+) waiting\)/, 'queued', (m) => ({ binary: m[1] ?? '', limit: Number(m[2]), waiting: Number(m[3]) })],
  [/^\[Stream Downloader ([^\]]+)\] (INIT|RESUME) download attempt (\d+)/, 'downloading', (m) => ({ binary: m[1] ?? '', mode: m[2] ?? '', attempt: Number(m[3]) })],
  [/^\[Distributions\] Downloading and streaming firmware to fwup/, 'downloading', none],
  [/^\[Client\] Update Progress: (\d+)%/, 'downloading', (m) => ({ percent: Number(m[1]) })],
  [/^\[Installer fwup\] Progress (\d+)/, 'installing', (m) => ({ percent: Number(m[1]) })],
  [/^\[Installer ([^\]]+)\] Error (.*)$/s, 'error', (m) => ({ binary: m[1] ?? '', message: m[2] ?? '' })],
  [/^\[Installer ([^\]]+)\] Starting/, 'installing', (m) => ({ binary: m[1] ?? '' })],
  [/^\[Plan Server\] Plan finished with errors/, 'error', () => ({ message: 'plan finished with errors' })],
  [/^\[Plan Server\] Plan finished/, 'installed', none],
  [/^\[Distributions\] FWUP Finished/, 'installed', none],
  [/^\[Step System Reboot\] System (?:will reboot in (\d+) seconds|rebooting now)/, 'rebooting', (m) => (m[1] ? { inSeconds: Number(m[1]) } : undefined)],
  [/^\[(?:Cloud Socket\] Reboot Request|Client\] System rebooting now)/, 'rebooting', none],
  [/^Tunnel (\S+) interface (\S+) up/, 'tunnel-up', (m) => ({ tunnel: m[1] ?? '', interface: m[2] ?? '' })],
  [/^Tunnel (\S+) (ttl timeout|reported inactive|terminated|failed to bring up interface)\b(.*)$/, 'tunnel-down', (m) => ({ tunnel: m[1] ?? '', reason: `${m[2] ?? ''}${m[3] ?? ''}`.trim() })],
  [/^\[Cloud Socket\] Tunnel Server requested close/, 'tunnel-down', none],
  [
    /^(\[Cloud Server\] (?:error checking for update|Non 200 response).*|\[Stream Downloader [^\]]+\] Integrity verification failed.*|\[Plan Server\] (?:Error processing step|Step exited abnormally).*|\[Socket\] Tunnel Open Error.*|\[Client\] error: .*|\[Bundle Server\] unable to install.*|Failed to parse (?:certificate|private_key).*|Identity not configured.*|Peridiod failed to load KV.*)$/s,
    'error',
    (m) => ({ message: m[1] ?? '' }),
  ],
];

/**
 * Reads one line of agent output — a real peridiod's console or log-file format, or this agent's
 * console/JSON format — as a typed event. Blank lines give `undefined`; anything unknown is `log`.
 */
export function parseLogLine(raw: string): ParsedLine | undefined {
  const line = raw.replace(/\r$/, '');
  if (line.trim() === '') return undefined;
  let level: string | undefined;
  let message = line;
  const prefixed = CONSOLE.exec(line) ?? FILE.exec(line);
  if (prefixed) {
    level = prefixed[1];
    message = prefixed[2] ?? '';
  } else if (line.startsWith('{')) {
    const json = jsonLine(line);
    if (json) ({ level, message } = json);
  }
  for (const [pattern, kind, data] of RULES) {
    const m = pattern.exec(message);
    if (!m) continue;
    const d = data(m);
    return { kind, message, ...(level === undefined ? {} : { level }), ...(d === undefined ? {} : { data: d }) };
  }
  if (level === 'error') return { kind: 'error', level, message, data: { message } };
  return { kind: 'log', message, ...(level === undefined ? {} : { level }) };
}

/** This agent's `--log-format json` line: `{"ts","level","device","msg"}`. */
function jsonLine(line: string): { level?: string; message: string } | undefined {
  try {
    const o = JSON.parse(line) as unknown;
    if (typeof o !== 'object' || o === null || typeof (o as { msg?: unknown }).msg !== 'string') return undefined;
    const { msg, level } = o as { msg: string; level?: unknown };
    // the line was escaped as text; JSON's own \u001b escapes come back as controls here
    const message = escapeControls(msg, true);
    return typeof level === 'string' ? { level: escapeControls(level), message } : { message };
  } catch {
    return undefined;
  }
}
