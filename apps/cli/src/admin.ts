import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { createAdminClient, resolveHome, type AdminClient } from '@vfleet/simulator';

/** The admin API of a running backend: `--admin-url` (default 127.0.0.1:4000), token from the workspace. */
export function adminFrom(program: Command, flags: { adminUrl?: string }): AdminClient {
  const home = resolveHome(program.opts<{ home?: string }>().home);
  let token: string;
  try {
    token = (process.env['VFLEET_ADMIN_TOKEN'] ?? readFileSync(join(home, 'admin-token'), 'utf8')).trim();
  } catch (cause) {
    throw new VfleetError('VFLEET_WORKSPACE', `${join(home, 'admin-token')}: no admin token (start \`vfleet backend\` once, or set VFLEET_ADMIN_TOKEN)`, { cause });
  }
  return createAdminClient(flags.adminUrl ?? 'http://127.0.0.1:4000', token);
}

export const adminUrlOption = ['--admin-url <url>', 'admin API of the backend', 'http://127.0.0.1:4000'] as const;

/** Prints rows as a tab-separated table with a header. */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): void {
  console.log(headers.join('\t'));
  for (const r of rows) console.log(r.map((v) => (v === null || v === undefined || v === '' ? '-' : String(v))).join('\t'));
}
