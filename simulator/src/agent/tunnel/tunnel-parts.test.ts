import { describe, expect, it } from 'vitest';
import { haveTools, run } from '@vfleet/core/test-support';
import { formatCidr, parseCidr, subtractCidrs, type Cidr } from './cidr.js';
import { freePortRanges, pickFreePort, portsInProcNet } from './ports.js';
import { formatQuickConfig, hookArguments, hookLine, readQuickConfigTags } from './quick-config.js';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preDownSh, preUpSh } from '../../devices/templates.js';
import { tunnelInterfaceName, wgKeyPair, WG_KEY } from './wg-keys.js';
import { parseConfigureReply, parseTunnelEvent, parseTunnelList } from './server-reply.js';
import { latestHandshake, tunnelInactive } from './liveness.js';

const cidrs = (...s: string[]): Cidr[] => s.map((x) => parseCidr(x) as Cidr);

describe('CIDR offers', () => {
  it('parses, normalises host bits and rejects junk', () => {
    expect(formatCidr(parseCidr('10.1.2.3/8') as Cidr)).toBe('10.0.0.0/8');
    expect(formatCidr(parseCidr('192.168.1.7') as Cidr)).toBe('192.168.1.7/32');
    for (const bad of ['10.0.0.0/33', '10.0.0/8', '256.0.0.0/8', '10.0.0.0/8/1', 'x']) expect(parseCidr(bad)).toBeUndefined();
  });

  it('cuts local subnets out of the configured blocks, as the fewest fragments', () => {
    const left = subtractCidrs(cidrs('172.16.0.0/12', '192.168.0.0/16', '10.0.0.0/8'), cidrs('172.17.0.0/16', '10.0.0.0/8', '127.0.0.0/8')).map(formatCidr);
    expect(left).toEqual(['172.16.0.0/16', '172.18.0.0/15', '172.20.0.0/14', '172.24.0.0/13', '192.168.0.0/16']);
    // a /32 hole in a /30 leaves the other three addresses
    expect(subtractCidrs(cidrs('10.0.0.0/30'), cidrs('10.0.0.2/32')).map(formatCidr)).toEqual(['10.0.0.0/31', '10.0.0.3/32']);
  });
});

describe('port offers', () => {
  it('reads local ports from /proc/net text', () => {
    const text = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:0FA0 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0',
      '   1: 00000000:CA6C 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 2 2 0000000000000000 0 0 0 0',
    ].join('\n');
    expect(portsInProcNet(text)).toEqual([4000, 51820]);
  });

  it('splits the configured range around used ports and picks a free listen port', () => {
    expect(freePortRanges({ start: 49152, end: 65535 }, new Set([51820, 80]))).toEqual(['49152-51819', '51821-65535']);
    expect(freePortRanges({ start: 10, end: 12 }, new Set([10, 11, 12]))).toEqual([]);
    expect(freePortRanges({ start: 10, end: 14 }, new Set([10, 12, 14]))).toEqual(['11-11', '13-13']);
    expect(pickFreePort({ start: 10, end: 12 }, new Set([10, 11]), () => 0)).toBe(12);
    expect(pickFreePort({ start: 10, end: 11 }, new Set([10, 11]))).toBeUndefined();
  });
});

describe('WireGuard keys and names', () => {
  it('makes keys wg accepts: its public key is what `wg pubkey` derives', () => {
    const k = wgKeyPair();
    expect(k.privateKey).toMatch(WG_KEY);
    expect(k.publicKey).toMatch(WG_KEY);
    if (haveTools('wg')) expect(run('wg', ['pubkey'], k.privateKey + '\n').trim()).toBe(k.publicKey);
  });

  it('names interfaces peridio-<7 base32 chars> (15 chars, the Linux limit)', () => {
    expect(tunnelInterfaceName(Buffer.from([0, 0, 0, 0]))).toBe('peridio-AAAAAAA');
    expect(tunnelInterfaceName(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toBe('peridio-777777Y');
    expect(tunnelInterfaceName(Buffer.from('8c9e5d41', 'hex'))).toBe('peridio-RSPF2QI');
    expect(tunnelInterfaceName()).toMatch(/^peridio-[A-Z2-7]{7}$/);
  });
});

describe('wg-quick file', () => {
  const config = {
    ifname: 'peridio-RSLO2KQ', devicePublicKey: 'D'.repeat(43) + '=', privateKey: 'P'.repeat(43) + '=', address: '172.16.0.2', listenPort: 51820,
    table: 'auto' as const,
    hooks: { preUp: `/etc/peridiod/hooks/pre-up.sh ${hookArguments({ ifname: 'peridio-RSLO2KQ', dport: 22, deviceIp: '172.16.0.2', serverIp: '172.16.0.1', wanIfname: '', endpointIp: '203.0.113.5', routingTable: 555 })}` },
    peer: { allowedIps: '172.16.0.1/32', publicKey: 'S'.repeat(43) + '=', endpoint: '203.0.113.5:51900', persistentKeepalive: 25 },
    tunnelPrn: 'prn:1:org:tunnel:0d6d7c3e-1111-4222-8333-444455556666',
    dport: 22,
  };

  it('carries the hook arguments, keys, peer and the peridio tags', () => {
    const text = formatQuickConfig(config);
    expect(text).toContain('PreUp = /etc/peridiod/hooks/pre-up.sh peridio-RSLO2KQ 22 172.16.0.2 172.16.0.1/32  203.0.113.5 555\n');
    expect(text).not.toContain('PostUp');
    for (const line of ['# ID = peridio-RSLO2KQ', `# PublicKey = ${'D'.repeat(43)}=`, 'Address = 172.16.0.2', 'ListenPort = 51820', 'Table = auto',
      'AllowedIPs = 172.16.0.1/32', 'Endpoint = 203.0.113.5:51900', 'PersistentKeepalive = 25', '# [Peridio]', `# TunnelID = ${config.tunnelPrn}`, '# DPort = 22']) {
      expect(text.split('\n')).toContain(line);
    }
    expect(readQuickConfigTags(text)).toEqual({ ifname: 'peridio-RSLO2KQ', tunnelPrn: config.tunnelPrn, dport: 22, address: '172.16.0.2' });
    expect(readQuickConfigTags(text.replace(/# TunnelID.*\n/, ''))).toBeUndefined();
  });

  it.skipIf(!haveTools('wg-quick'))('is a file wg-quick strips to a config wg accepts', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'vft-tun-conf-'));
    const path = join(dir, `${config.ifname}.conf`);
    const k = wgKeyPair();
    writeFileSync(path, formatQuickConfig({ ...config, privateKey: k.privateKey, peer: { ...config.peer, publicKey: wgKeyPair().publicKey } }), { mode: 0o600 });
    const stripped = run('wg-quick', ['strip', path]);
    rmSync(dir, { recursive: true, force: true });
    expect(stripped).toContain(`PrivateKey = ${k.privateKey}`);
    expect(stripped).toContain('Endpoint = 203.0.113.5:51900');
    expect(stripped).not.toMatch(/^(Address|Table|PreUp) =/m); // wg-quick's own keys are its, the rest goes to wg setconf
  });
});

describe('server replies and events', () => {
  const data = {
    prn: 'prn:1:o:tunnel:u', expires_at: '2030-01-01T00:00:00Z', device_proxy_ip_address: '172.16.0.2', server_proxy_ip_address: '172.16.0.1',
    server_tunnel_ip_address: '203.0.113.5', server_proxy_port: 51900, server_public_key: wgKeyPair().publicKey,
  };

  it('takes a configure reply with the fields peridio-rat reads and names the first bad one', () => {
    expect(parseConfigureReply({ status: 200, body: { data } })).toMatchObject({ deviceIp: '172.16.0.2', serverProxyPort: 51900 });
    expect(parseConfigureReply({ status: 200, body: { data: { ...data, device_proxy_ip_address: '172.16.0.2/30' } } })).toMatch(/\$\.data\.device_proxy_ip_address: expected a dotted IPv4/);
    expect(parseConfigureReply({ status: 422, body: { error: 'no' } })).toMatch(/^configure answered 422/);
    expect(parseConfigureReply({ status: 200, body: data })).toMatch(/\$\.data: expected an object/);
  });

  it('reads GET /tunnels and the socket events', () => {
    expect(parseTunnelList({ status: 200, body: { tunnels: [{ prn: 'p', state: 'open', device_tunnel_port: 22, expires_at: 'x' }] } })).toEqual([{ prn: 'p', state: 'open', dport: 22, expiresAt: undefined }]);
    expect(parseTunnelList({ status: 200, body: { tunnels: [{ prn: 'p' }] } })).toMatch(/\$\.tunnels\[0\]/);
    expect(parseTunnelEvent('tunnel_request', { tunnel_prn: 'p', device_tunnel_port: 22 })).toEqual({ event: 'tunnel_request', prn: 'p', dport: 22 });
    expect(parseTunnelEvent('tunnel_extend', { tunnel_prn: 'p', expires_at: 'soon' })).toMatch(/expires_at/);
    expect(parseTunnelEvent('tunnel_close', {})).toMatch(/tunnel_prn/);
    expect(parseTunnelEvent('reboot', {})).toBeUndefined();
  });
});

describe('liveness', () => {
  it('reports a tunnel inactive with no handshake for 5 min, or sending without ever receiving', () => {
    const now = 1_800_000_000;
    expect(tunnelInactive({ latestHandshake: now - 60, rxPackets: 5, txPackets: 5 }, now)).toBe(false);
    expect(tunnelInactive({ latestHandshake: now - 301, rxPackets: 5, txPackets: 5 }, now)).toBe(true);
    expect(tunnelInactive({ latestHandshake: 0, rxPackets: 0, txPackets: 0 }, now)).toBe(true);
    expect(tunnelInactive({ latestHandshake: now - 10, rxPackets: 0, txPackets: 3 }, now)).toBe(true);
  });

  it('reads `wg show <if> latest-handshakes`', () => {
    expect(latestHandshake('P1I6FJl48LG6fKu99SgHTjwC79IiRAHgx0sphxO4Fn8=\t1764358000\n')).toBe(1764358000);
    expect(latestHandshake('P1I6FJl48LG6fKu99SgHTjwC79IiRAHgx0sphxO4Fn8=\t0\n')).toBe(0);
    expect(latestHandshake('')).toBe(0);
  });
});

describe('tunnel hooks of a device without a root of its own', () => {
  it('are wrapped so that they run with the device\'s /tmp and /run, quoted for wg-quick', () => {
    expect(hookLine('/dev dir/hooks/pre-up.sh', 'peridio-X 22')).toBe("'/dev dir/hooks/pre-up.sh' peridio-X 22");
    const line = hookLine('/d/hooks/pre-up.sh', 'peridio-X 22', { unshare: '/usr/bin/unshare', tmp: '/d/root/tmp', run: '/d/root/run' });
    expect(line).toMatch(/^\/usr\/bin\/unshare -m --propagation private sh -c '.*mount --bind "\$1" \/tmp.*' vfleet-hook \/d\/root\/tmp \/d\/root\/run \/d\/hooks\/pre-up\.sh peridio-X 22$/);
    expect(() => hookLine('/d#x/pre-up.sh', 'a')).toThrow("a path with '#' or a line break cannot go into a wg-quick file");
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root || !haveTools('unshare', 'bash'))('keep the EVK hooks\' counter in the device\'s /tmp, never the host\'s (bash eval, as wg-quick runs them)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vfleet-hook-'));
    const port = 65000 + Math.floor(Math.random() * 500);
    const hostCounter = `/tmp/peridio_counter_${port}`;
    try {
      writeFileSync(join(dir, 'pre-up.sh'), preUpSh, { mode: 0o755 });
      writeFileSync(join(dir, 'pre-down.sh'), preDownSh, { mode: 0o755 });
      const view = { unshare: 'unshare', tmp: join(dir, 'root/tmp'), run: join(dir, 'root/run') };
      const evalHook = (script: string) => spawnSync('bash', ['-c', `eval "$1"`, 'wg-quick', hookLine(join(dir, script), `peridio-T ${port}`, view)], { encoding: 'utf8' });
      expect(evalHook('pre-up.sh').status).toBe(0);
      expect(evalHook('pre-up.sh').status).toBe(0);
      expect(readFileSync(join(dir, `root/tmp/peridio_counter_${port}`), 'utf8').trim()).toBe('2');
      expect(existsSync(hostCounter)).toBe(false);
      expect(evalHook('pre-down.sh').status).toBe(0);
      expect(readFileSync(join(dir, `root/tmp/peridio_counter_${port}`), 'utf8').trim()).toBe('1');
      expect(existsSync(hostCounter)).toBe(false);
    } finally {
      rmSync(hostCounter, { force: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
