import type { BinaryFaultSpec, FaultInjector } from './App.js';
import type { ReleasesApi } from './releases-api.js';

const describeFault = (f: BinaryFaultSpec) =>
  f.status !== undefined ? `HTTP ${f.status}` : f.truncateAt !== undefined ? `cut after ${f.truncateAt} bytes` : f.corrupt ? 'one flipped byte' : 'no change';

/**
 * Download faults through the embedded backend's fault table (binary uuid → fault), which only a
 * process that runs the backend holds; every binary the admin API lists gets the fault.
 */
export function binaryFaultInjector(table: Map<string, BinaryFaultSpec>, releases: ReleasesApi): FaultInjector {
  return {
    async binaries(fault) {
      if (fault === undefined) {
        const n = table.size;
        table.clear();
        return `download faults cleared (${n} binaries)`;
      }
      const uuids = await releases.binaryUuids();
      for (const uuid of uuids) table.set(uuid, fault);
      return `downloads of ${uuids.length} binaries now fail: ${describeFault(fault)} (f 0 clears)`;
    },
  };
}
