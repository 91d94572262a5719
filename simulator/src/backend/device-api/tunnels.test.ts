import { describe, expect, it } from 'vitest';
import { parseCidr, wgKeyPair, type Cidr } from '../../agent/tunnel/index.js';
import { allocateAddresses, closeReason, MAX_CIDR_BLOCKS, parseConfigureBody } from './tunnels.js';

const cidr = (text: string) => parseCidr(text) as Cidr;

describe('tunnel address allocation', () => {
  it('jumps past an avoided subnet in one step, however much of the block it covers', () => {
    // the first 65 536 /30s of 10.0.0.0/8 are all inside the avoided /9
    expect(allocateAddresses([cidr('10.0.0.0/8')], new Set(), [cidr('10.0.0.0/9')])).toEqual({ server: '10.128.0.1', device: '10.128.0.2' });
    // an avoided single address moves to the next whole /30
    expect(allocateAddresses([cidr('10.0.0.0/24')], new Set(), [cidr('10.0.0.2/32')])).toEqual({ server: '10.0.0.5', device: '10.0.0.6' });
    expect(allocateAddresses([cidr('10.0.0.0/24')], new Set(), [cidr('10.0.0.0/25'), cidr('10.0.0.64/26'), cidr('10.0.0.128/30')])).toEqual({
      server: '10.0.0.133',
      device: '10.0.0.134',
    });
    expect(allocateAddresses([cidr('127.0.0.0/8')], new Set(), [cidr('127.0.0.0/8')])).toBeUndefined();
  });

  it('answers at once for the most blocks a body may offer, all inside the server subnets', () => {
    const blocks = Array.from({ length: 256 }, () => cidr('127.0.0.0/8'));
    const taken = new Set(['127.0.0.1']);
    const started = performance.now();
    expect(allocateAddresses(blocks, taken, [cidr('127.0.0.0/8')])).toBeUndefined();
    const distinct = Array.from({ length: 256 }, (_, i) => cidr(`10.${i}.0.0/16`));
    expect(allocateAddresses(distinct, taken, [cidr('10.0.0.0/8')])).toBeUndefined();
    // walking every /30 (the old way) took seconds here; skipping takes well under a millisecond
    expect(performance.now() - started).toBeLessThan(500);
    expect(MAX_CIDR_BLOCKS).toBe(256);
  }, 2000);

  it('passes over the /30s live tunnels hold', () => {
    const taken = new Set(['10.0.0.1', '10.0.0.6', '10.0.0.9', '']);
    expect(allocateAddresses([cidr('10.0.0.0/28')], taken)).toEqual({ server: '10.0.0.13', device: '10.0.0.14' });
    expect(allocateAddresses([cidr('10.0.0.0/30'), cidr('10.0.0.0/30'), cidr('10.0.0.4/30')], taken)).toBeUndefined();
  });
});

describe('configure body', () => {
  const ok = { cidr_blocks: ['10.0.0.0/8'], device_proxy_port: 51820, device_public_key: wgKeyPair().publicKey };

  it('accepts up to MAX_CIDR_BLOCKS blocks and names the limit beyond it', () => {
    expect(parseConfigureBody({ ...ok, cidr_blocks: Array(MAX_CIDR_BLOCKS).fill('10.0.0.0/8') })).toMatchObject({ deviceProxyPort: 51820 });
    expect(parseConfigureBody({ ...ok, cidr_blocks: Array(MAX_CIDR_BLOCKS + 1).fill('10.0.0.0/8') })).toBe(
      `cidr_blocks: ${MAX_CIDR_BLOCKS + 1} blocks; at most ${MAX_CIDR_BLOCKS} accepted`,
    );
    expect(parseConfigureBody({ ...ok, cidr_blocks: '10.0.0.0/8' })).toBe('cidr_blocks: expected an array of CIDR strings');
  });
});

describe('device close reason', () => {
  it.each([
    ['normal', 'normal'],
    ['', null],
    ['  \t ', null],
    ['\x1b[2Jx', '[2Jx'],
    ['\u009b2J\u009b31mRED\u0085', '2J31mRED'],
    ['a\x00b\x7fc', 'abc'],
    ['line one\r\nline two\ttab', 'line one line two tab'],
    ['\u00e9t\u00e9 \u2014 ok', '\u00e9t\u00e9 \u2014 ok'],
    [42, null],
    [null, null],
  ])('%j is kept as %j', (raw, kept) => {
    expect(closeReason(raw)).toBe(kept);
  });

  it('is cut to 100 characters without splitting a surrogate pair', () => {
    expect(closeReason('x'.repeat(150))).toBe('x'.repeat(100));
    const emoji = '\u{1F600}';
    expect(closeReason(`${'x'.repeat(99)}${emoji}`)).toBe('x'.repeat(99));
  });
});
