import type { BinaryProgress, DevicePush, SocketTopic } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function isFraction(v: unknown): boolean {
  return v === undefined || (typeof v === 'number' && v >= 0 && v <= 1);
}

function decodeBinaries(v: unknown): Record<string, BinaryProgress> | string {
  if (!isObject(v)) return 'payload.binaries: expected an object keyed by binary PRN';
  for (const [prn, p] of Object.entries(v)) {
    if (!isObject(p) || !isFraction(p['download_percent']) || !isFraction(p['install_percent'])) {
      return `payload.binaries["${prn}"]: expected {download_percent, install_percent} numbers in 0..1`;
    }
  }
  return v as Record<string, BinaryProgress>;
}

/**
 * Decodes a client push on a joined topic (protocol §4.5 "Device → server pushes").
 * Returns the typed push, or a message naming what was wrong.
 */
export function decodeDevicePush(topic: SocketTopic, event: string, payload: unknown): DevicePush | string {
  const where = `${topic} "${event}"`;
  if (!isObject(payload)) return `${where}: payload must be a JSON object`;
  if (topic === 'console') {
    if (event !== 'up') return `${where}: unknown event; the console topic accepts "up"`;
    const data = payload['data'];
    return typeof data === 'string' ? { kind: 'console_up', data } : `${where}: payload.data must be a string`;
  }
  switch (event) {
    case 'rebooting':
      return { kind: 'rebooting' };
    case 'fwup_progress': {
      const value = payload['value'];
      return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 100
        ? { kind: 'fwup_progress', value: value as number }
        : `${where}: payload.value must be an integer 0..100`;
    }
    case 'status_update': {
      const status = payload['status'];
      return typeof status === 'string' ? { kind: 'status_update', status } : `${where}: payload.status must be a string`;
    }
    case 'binary_progress': {
      const binaries = decodeBinaries(payload['binaries']);
      return typeof binaries === 'string' ? `${where}: ${binaries}` : { kind: 'binary_progress', binaries };
    }
    default:
      return `${where}: unknown event; the device topic accepts rebooting, fwup_progress, status_update, binary_progress`;
  }
}
