import { describe, expect, it } from 'vitest';
import { isHostPort } from './host-port.js';

describe('isHostPort', () => {
  it.each(['h', 'h:1', 'device.cremini.peridio.com:443', '127.0.0.1:65535', '[::1]:4443', '[::1]'])('accepts %s', (v) => {
    expect(isHostPort(v)).toBe(true);
  });
  it.each(['', 'h:0', 'h:65536', 'h:70000', 'https://h', 'h:', 'h:1:2', 'a b', '::1:80', 'h:123456'])('refuses %j', (v) => {
    expect(isHostPort(v)).toBe(false);
  });
});
