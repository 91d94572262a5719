import { describe, expect, it } from 'vitest';
import { createLogger } from '../../agent/connect/logger.js';
import { parseLogLine } from './log-parser.js';

const kind = (line: string) => parseLogLine(line)?.kind;
const BIN = 'prn:1:be4d30b4-de6b-47cd-85ea-a75e23fd63ef:binary:3a4b5c6d-1111-4222-8333-944455556666';
const TUN = 'prn:1:be4d30b4-de6b-47cd-85ea-a75e23fd63ef:tunnel:0f1e2d3c-aaaa-4bbb-8ccc-9ddddeeeefff';

describe('parseLogLine on a real peridiod console (docker logs)', () => {
  // `HH:MM:SS.mmm [level] message`, as Elixir's Logger prints it (protocol §9.1)
  const table: Array<[string, string, Record<string, string | number>?]> = [
    ['12:00:01.002 [info] [Config] Using config path: /etc/peridiod/peridio.json', 'log'],
    ['12:00:01.311 [info] [Cloud Server] Polling enabled', 'log'],
    ['12:00:02.118 [info] [Cloud Socket] Joined Device channel', 'connected'],
    ['12:00:02.120 [info] [Cloud Socket] Joined Console channel: getty', 'log'],
    ['12:00:02.121 [debug] [Cloud Socket] Tunnels synchronizing', 'log'],
    ['12:00:02.500 [info] [Cloud Server] Checking for update', 'checking'],
    ['12:00:02.611 [info] [Cloud Server] no update', 'no-update'],
    ['12:00:02.612 [info] [Bundle Server] No binaries to install because binaries already reported installed', 'no-update', { reason: 'binaries already reported installed' }],
    ['12:01:00.001 [info] [Plan Server] Plan execution starting', 'update-available'],
    ['12:01:00.010 [debug] [Step Supervisor] Starting Step Elixir.Peridiod.Plan.Step.BinaryInstall', 'log'],
    [`12:01:00.020 [info] [Stream Downloader ${BIN}] INIT download attempt 0 http://vfleet-backend:4080/b/x?[FILTERED]`, 'downloading', { binary: BIN, mode: 'INIT', attempt: 0 }],
    [`12:01:03.020 [info] [Stream Downloader ${BIN}] RESUME download attempt 2 http://x/y?[FILTERED]`, 'downloading', { binary: BIN, mode: 'RESUME', attempt: 2 }],
    [`12:01:04.000 [info] [Installer ${BIN}] Starting`, 'installing', { binary: BIN }],
    ['12:01:04.500 [info] [Installer fwup] Progress 42', 'installing', { percent: 42 }],
    [`12:01:05.000 [error] [Installer ${BIN}] Error {:error, :enospc}`, 'error', { binary: BIN, message: '{:error, :enospc}' }],
    [`12:01:05.001 [error] [Stream Downloader ${BIN}] Integrity verification failed: hash mismatch`, 'error'],
    ['12:01:06.000 [info] [Plan Server] Plan finished', 'installed'],
    ['12:01:06.000 [error] [Plan Server] Plan finished with errors', 'error'],
    ['12:01:06.100 [info] [Step System Reboot] System will reboot in 5 seconds', 'rebooting', { inSeconds: 5 }],
    ['12:01:11.100 [info] [Step System Reboot] System rebooting now', 'rebooting'],
    ['12:02:00.000 [warning] [Cloud Socket] Reboot Request', 'rebooting'],
    ['12:02:00.000 [error] [Cloud Server] error checking for update :econnrefused', 'error', { message: '[Cloud Server] error checking for update :econnrefused' }],
    ['12:02:00.000 [warning] [Cloud Socket] Attempting reconnect with IP 10.0.xxx.xxx', 'disconnected', { ip: '10.0.xxx.xxx' }],
    [`12:03:00.000 [info] Tunnel ${TUN} interface peridio-abc1234 up`, 'tunnel-up', { tunnel: TUN, interface: 'peridio-abc1234' }],
    [`12:04:00.000 [info] Tunnel ${TUN} ttl timeout`, 'tunnel-down', { tunnel: TUN, reason: 'ttl timeout' }],
    ['12:05:00.000 [info] [Client] Update Progress: 37%', 'downloading', { percent: 37 }],
    ['12:05:00.000 [info] [Distributions] FWUP Finished', 'installed'],
    ['12:06:00.000 [error] something nobody documented', 'error'],
  ];
  it.each(table)('%s → %s', (line, want, data) => {
    const p = parseLogLine(line);
    expect(p?.kind).toBe(want);
    if (data) expect(p?.data).toEqual(data);
  });

  it('keeps the level and strips the prefix', () => {
    expect(parseLogLine('12:00:02.118 [warning] [Plan Server] Plan is already executing')).toEqual({
      kind: 'log',
      level: 'warning',
      message: '[Plan Server] Plan is already executing',
    });
  });
});

describe('parseLogLine on peridiod.log and odd input', () => {
  it('reads the logger_formatter file format (RFC 3339 time, bare level)', () => {
    expect(parseLogLine('2025-06-01T12:00:00.123456+00:00 info [Cloud Socket] Joined Device channel')).toMatchObject({ kind: 'connected', level: 'info' });
    expect(parseLogLine('2025-06-01T12:00:00.123456+02:00 error [Plan Server] Error processing step :timeout')).toMatchObject({ kind: 'error', level: 'error' });
  });

  it('reads unprefixed lines and JSON lines', () => {
    expect(kind('[Cloud Server] Checking for update')).toBe('checking');
    expect(parseLogLine('{"ts":"2025-06-01T12:00:00.000Z","level":"info","device":"X","msg":"[Cloud Server] no update"}')).toMatchObject({ kind: 'no-update', level: 'info' });
  });

  it('a JSON line cannot bring a control character back through its own escapes', () => {
    const parsed = parseLogLine('{"level":"error\\u009b","msg":"[Client] error: boom \\u001b]0;pwn\\u0007\\u009b2J"}');
    expect(parsed).toMatchObject({ level: 'error\\u009b', message: '[Client] error: boom \\u001b]0;pwn\\u0007\\u009b2J' });
    // eslint-disable-next-line no-control-regex
    expect(`${parsed?.level ?? ''}${parsed?.message ?? ''}`).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });

  it('never throws: blank is nothing, garbage is a log line', () => {
    expect(parseLogLine('')).toBeUndefined();
    expect(parseLogLine('   \r')).toBeUndefined();
    for (const junk of ['{not json', '\u0000\u0001', '99:99:99.999 [', 'Tunnel', '[Installer ] Starting', 'x'.repeat(100_000)]) {
      expect(parseLogLine(junk)?.kind).toBe('log');
    }
  });

  it("reads this agent's own output the same way", () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(...l.split('\n').filter(Boolean)), format: 'console', level: 'debug', deviceId: 'EI-ML-0001' });
    log.info('[Cloud Socket] Joined Device channel');
    log.info('[Cloud Server] Checking for update');
    log.info(`[Installer ${BIN}] Starting`);
    log.warn('[Cloud Socket] Reboot Request');
    log.warn('[Client] error: socket closed (code 1006)');
    expect(lines.map(kind)).toEqual(['connected', 'checking', 'installing', 'rebooting', 'disconnected']);
  });

  it("reads an in-process device's wait for a download slot as queued, before its download", () => {
    const lines: string[] = [];
    const log = createLogger({ sink: (l) => lines.push(...l.split('\n').filter(Boolean)), format: 'console', level: 'info', deviceId: 'EI-ML-0001' });
    log.info('[Plan Server] Plan execution starting');
    log.info(`[Stream Downloader ${BIN}] Waiting for a download slot (249 at once in this process, 751 waiting)`);
    log.info(`[Stream Downloader ${BIN}] INIT download attempt 0 http://127.0.0.1:4080/b/x?[FILTERED]`);
    expect(lines.map(kind)).toEqual(['update-available', 'queued', 'downloading']);
    expect(parseLogLine(lines[1] ?? '')?.data).toEqual({ binary: BIN, limit: 249, waiting: 751 });
  });
});
