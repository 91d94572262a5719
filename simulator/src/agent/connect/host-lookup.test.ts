import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type LookupFunction } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevicePaths } from './device-paths.js';
import { createHostsLookup, hostsAddresses } from './host-lookup.js';

const lookupOnce = (lookup: LookupFunction, name: string, all: boolean) =>
  new Promise<unknown>((resolve, reject) => lookup(name, { all }, (err, address, family) => (err ? reject(err) : resolve(all ? address : { address, family }))));

describe('hosts lookup', () => {
  it('parses hosts(5): comments, several names, case, families', () => {
    const text = '# comment\n127.0.0.1 localhost\n10.0.0.1\tvfleet-backend other # trailing\n::1 VFLEET-backend\nbad-ip vfleet-backend\n';
    expect(hostsAddresses(text, 'vfleet-backend')).toEqual([{ address: '10.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
    expect(hostsAddresses(text, 'nothing')).toEqual([]);
  });

  it("resolves through the device's mapped /etc/hosts, else the system resolver, and an HTTP request follows it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vft-lookup-'));
    try {
      mkdirSync(join(dir, 'root', 'etc'), { recursive: true });
      writeFileSync(join(dir, 'root', 'etc', 'hosts'), '127.0.0.1 only-in-this-device\n');
      const lookup = createHostsLookup(createDevicePaths({ root: dir, mode: 'mapped' }));
      expect(await lookupOnce(lookup, 'only-in-this-device', false)).toEqual({ address: '127.0.0.1', family: 4 });
      expect(await lookupOnce(lookup, 'only-in-this-device', true)).toEqual([{ address: '127.0.0.1', family: 4 }]);
      expect(await lookupOnce(lookup, 'localhost', false)).toMatchObject({ address: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) });
      await expect(lookupOnce(lookup, 'no-such-name.invalid', false)).rejects.toThrow();

      const server = createServer((s) => s.end('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok'));
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as AddressInfo).port;
      const body = await new Promise<string>((resolve, reject) => {
        request({ host: 'only-in-this-device', port, lookup }, (res) => {
          let b = '';
          res.on('data', (c: Buffer) => (b += String(c)));
          res.on('end', () => resolve(b));
        }).on('error', reject).end();
      });
      server.close();
      expect(body).toBe('ok');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
