// Test helpers over the admin API's JSON envelopes ({ "releases": [...] }, { "release": {...} }).
import type { AdminClient } from '../backend/admin-client.js';

export type AdminRow = { uuid: string; name?: string; prn: string; state?: string; size?: number } & Record<string, unknown>;

/** `rows`, `first` and `create` for an admin client that may be assigned after this call (in a beforeAll). */
export function adminRows(admin: () => AdminClient) {
  const rows = async (path: string): Promise<AdminRow[]> => Object.values(await admin().call('GET', `/api/v1/${path}`))[0] as AdminRow[];
  return {
    rows,
    first: async (path: string, match: (r: AdminRow) => boolean): Promise<AdminRow> => (await rows(path)).find(match) as AdminRow,
    create: async (path: string, body: unknown): Promise<AdminRow> => Object.values(await admin().call('POST', `/api/v1/${path}`, body))[0] as AdminRow,
  };
}
