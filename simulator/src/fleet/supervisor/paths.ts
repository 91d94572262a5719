import { join } from 'node:path';
import { VfleetError } from '@vfleet/core';

/** Unix socket paths are limited to 107 bytes on Linux (sun_path). */
const MAX_SOCKET_PATH = 107;

/** Where a supervisor of this home keeps its socket, its pid record and its log. */
export function supervisorPaths(home: string) {
  return {
    socket: join(home, 'fleet.sock'),
    record: join(home, 'run', 'supervisor.json'),
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
