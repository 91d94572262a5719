import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RuntimeName } from '../types.js';
import { VfleetError } from '@vfleet/core';

/** Unix socket paths are limited to 107 bytes on Linux (sun_path). */
const MAX_SOCKET_PATH = 107;

/** Where a supervisor of this home keeps its socket, its pid record and its log. */
export function supervisorPaths(home: string) {
  return {
    socket: join(home, 'fleet.sock'),
    record: join(home, 'run', 'supervisor.json'),
    /** Runtimes a supervisor of this home ever used: what `vfleet down` cleans up after. */
    runtimes: join(home, 'run', 'runtimes.json'),
    log: join(home, 'logs', 'supervisor.log'),
    db: join(home, 'fleet.db'),
  };
}

export function checkSocketPath(path: string): string {
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    throw new VfleetError('VFLEET_USAGE', `control socket ${path}: ${Buffer.byteLength(path)} bytes, a Unix socket path holds at most ${MAX_SOCKET_PATH} (use a shorter --home)`);
  }
  return path;
}

/** The runtimes recorded in `run/runtimes.json` (none when the file is missing or unreadable). */
export function usedRuntimes(home: string): RuntimeName[] {
  try {
    const list = JSON.parse(readFileSync(supervisorPaths(home).runtimes, 'utf8')) as unknown;
    return Array.isArray(list) ? list.filter((x): x is RuntimeName => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** Adds a runtime to `run/runtimes.json` before it makes anything. */
export function recordRuntime(home: string, name: RuntimeName): void {
  const path = supervisorPaths(home).runtimes;
  const names = [...new Set([...usedRuntimes(home), name])].sort();
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(names) + '\n');
}
