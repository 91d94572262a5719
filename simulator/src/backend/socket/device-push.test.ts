import { describe, expect, it } from 'vitest';
import { decodeDevicePush } from './device-push.js';

describe('decodeDevicePush', () => {
  it('decodes the pushes peridiod sends (protocol §4.5)', () => {
    expect(decodeDevicePush('device', 'rebooting', {})).toEqual({ kind: 'rebooting' });
    expect(decodeDevicePush('device', 'fwup_progress', { value: 100 })).toEqual({ kind: 'fwup_progress', value: 100 });
    expect(decodeDevicePush('device', 'status_update', { status: 'fwup error x' })).toEqual({ kind: 'status_update', status: 'fwup error x' });
    const binaries = { 'prn:1:o:binary:b': { download_percent: 0.5, install_percent: 0 } };
    expect(decodeDevicePush('device', 'binary_progress', { id: 'u', type: 'binary_progress', binaries })).toEqual({ kind: 'binary_progress', binaries });
    expect(decodeDevicePush('console', 'up', { data: 'login: ' })).toEqual({ kind: 'console_up', data: 'login: ' });
  });

  it('names the field that is wrong', () => {
    expect(decodeDevicePush('device', 'fwup_progress', { value: 1.5 })).toBe('device "fwup_progress": payload.value must be an integer 0..100');
    expect(decodeDevicePush('device', 'binary_progress', { binaries: { p: { download_percent: 2 } } })).toBe(
      'device "binary_progress": payload.binaries["p"]: expected {download_percent, install_percent} numbers in 0..1');
    expect(decodeDevicePush('console', 'up', [])).toBe('console "up": payload must be a JSON object');
    expect(decodeDevicePush('console', 'dn', { data: 'x' })).toBe('console "dn": unknown event; the console topic accepts "up"');
    expect(decodeDevicePush('device', 'reboot', {})).toMatch(/^device "reboot": unknown event; the device topic accepts rebooting,/);
  });
});
