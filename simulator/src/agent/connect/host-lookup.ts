// Names resolve through the DEVICE's /etc/hosts first (mapped into the device directory outside a
// container), then the system resolver: the one lookup every device connection uses.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { readRegularFile } from '@vfleet/core/fs/read-regular-file';
import { isIP, type LookupFunction } from 'node:net';
import type { DevicePaths } from '../types.js';
import { MAX_DEVICE_FILE_BYTES } from './device-read.js';

/** Addresses a hosts(5) text gives `name`, in file order. */
export function hostsAddresses(text: string, name: string): LookupAddress[] {
  const wanted = name.toLowerCase();
  const out: LookupAddress[] = [];
  for (const raw of text.split('\n')) {
    const [address, ...names] = (raw.split('#')[0] ?? '').trim().split(/\s+/);
    if (address === undefined || names.length === 0) continue;
    const family = isIP(address);
    if (family === 0) continue;
    if (names.some((n) => n.toLowerCase() === wanted)) out.push({ address, family });
  }
  return out;
}

function readHosts(file: string): string {
  // read on every connect: a FIFO there must not stop this thread (every in-process device's)
  const read = readRegularFile(file, MAX_DEVICE_FILE_BYTES);
  // none, or not a file: the system resolver decides
  return read.status === 'ok' ? read.bytes.toString('utf8') : '';
}

/** A `lookup` for net/tls/http/ws connects that reads the device's /etc/hosts on every call. */
export function createHostsLookup(paths: DevicePaths): LookupFunction {
  const hostsFile = paths.map('/etc/hosts');
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const found = hostsAddresses(readHosts(hostsFile), hostname).filter((a) => family === 0 || a.family === family);
    const first = found[0];
    if (first === undefined) {
      dnsLookup(hostname, options, callback);
      return;
    }
    if (options.all === true) callback(null, found);
    else callback(null, first.address, first.family);
  };
}
