import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DOWNLOAD_SOCKET_BYTES, overCeilings, readTcpMem, tcpDownloadCeiling } from './host-limits.js';

describe('tcpDownloadCeiling', () => {
  it('divides the pressure threshold of net.ipv4.tcp_mem by the socket memory of one download', () => {
    const c = tcpDownloadCeiling('287901\t383868\t575802\n');
    expect(c?.what).toBe('simultaneous downloads');
    expect(c?.limit).toBe(Math.floor((383868 * 4096) / DOWNLOAD_SOCKET_BYTES));
    expect(c?.advisory).toBe(true);
    expect(c?.note).toMatch(/memory pressure at 1499 MiB .*past 2249 MiB it resets connections/);
  });

  it('states nothing for a missing or garbled tcp_mem', () => {
    expect(tcpDownloadCeiling(undefined)).toBeUndefined();
    for (const bad of ['', '1 2', '1 2 3 4', 'a b c', '0 0 0', '1 -2 3']) expect(tcpDownloadCeiling(bad)).toBeUndefined();
  });

  it('reads this host\'s tcp_mem', () => {
    if (!existsSync('/proc/sys/net/ipv4/tcp_mem')) return;
    expect(tcpDownloadCeiling(readTcpMem())?.limit).toBeGreaterThan(0);
  });
});

describe('overCeilings', () => {
  it('reports a count over a hard ceiling as a problem, never one over an advisory ceiling', () => {
    const ceilings = [
      { what: 'memory', limit: 10, note: 'm' },
      { what: 'simultaneous downloads', limit: 5, note: 'd', advisory: true },
    ];
    expect(overCeilings(8, ceilings)).toEqual([]);
    expect(overCeilings(11, ceilings)).toEqual(['11 devices exceed the memory ceiling of 10 (m)']);
  });
});
