import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { logLevelFromEnv } from './log-level.js';

const at = new Date(2025, 5, 1, 9, 4, 5, 7);

function capture(format: 'console' | 'json', level: 'debug' | 'info' | 'warning' | 'error' = 'debug') {
  const lines: string[] = [];
  const log = createLogger({ sink: (l) => lines.push(l), format, level, deviceId: 'EI-ML-0001', now: () => at });
  return { log, lines };
}

describe('createLogger', () => {
  it('prints the Elixir console format, blank line first, [warning] for warn', () => {
    const { log, lines } = capture('console');
    log.info('[Cloud Socket] Joined Device channel');
    log.warn('[Cloud Socket] Reboot Request');
    log.debug('d');
    log.error('e\nsecond line');
    expect(lines.join('\n') + '\n').toBe(
      '\n09:04:05.007 [info] [Cloud Socket] Joined Device channel\n' +
        '\n09:04:05.007 [warning] [Cloud Socket] Reboot Request\n' +
        '\n09:04:05.007 [debug] d\n' +
        '\n09:04:05.007 [error] e\nsecond line\n',
    );
  });

  it('escapes control characters and never lets a line of a message pass for an entry of its own', () => {
    const { log, lines } = capture('console');
    log.warn('ignoring tunnel_close: got "x\u001b[2J\u001b[31mred\r"\n09:04:06.000 [info] [Plan Server] Plan finished');
    expect(lines).toEqual(['\n09:04:05.007 [warning] ignoring tunnel_close: got "x\\u001b[2J\\u001b[31mred\\u000d"\n  09:04:06.000 [info] [Plan Server] Plan finished']);
  });

  it('prints one JSON object per entry with ts, level, device and msg', () => {
    const { log, lines } = capture('json');
    log.warn('[Config] unable to read config file: :enoent');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      ts: at.toISOString(),
      level: 'warning',
      device: 'EI-ML-0001',
      msg: '[Config] unable to read config file: :enoent',
    });
  });

  it('drops entries below the level', () => {
    const { log, lines } = capture('console', 'warning');
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(lines.map((l) => l.split('] ')[1])).toEqual(['c', 'd']);
  });

  it('never prints a PEM body, raw or base64', () => {
    const { log, lines } = capture('json');
    const pem = '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n';
    log.error(`bad key ${pem} and ${Buffer.from(pem).toString('base64')} end`);
    const msg = (JSON.parse(lines[0] as string) as { msg: string }).msg;
    expect(msg).toBe('bad key [FILTERED KEY]\n and [FILTERED KEY] end');
  });
});

describe('logLevelFromEnv', () => {
  it('follows runtime.exs: debug/info/warning, anything else error, unset info', () => {
    expect(['debug', 'info', 'warning', 'error', 'warn', '', 'DEBUG'].map(logLevelFromEnv)).toEqual([
      'debug', 'info', 'warning', 'error', 'error', 'error', 'error',
    ]);
    expect(logLevelFromEnv(undefined)).toBe('info');
  });
});
