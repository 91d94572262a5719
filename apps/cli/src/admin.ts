import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { createAdminClient, escapeControls, resolveHome, type AdminClient } from '@vfleet/simulator';

/** The admin token: $VFLEET_ADMIN_TOKEN, else the workspace's admin-token file. */
export function adminToken(program: Command): string {
  const file = join(resolveHome(program.opts<{ home?: string }>().home), 'admin-token');
  try {
    return (process.env['VFLEET_ADMIN_TOKEN'] ?? readFileSync(file, 'utf8')).trim();
  } catch (cause) {
    throw new VfleetError('VFLEET_WORKSPACE', `${file}: no admin token (start \`vfleet backend\` once, or set VFLEET_ADMIN_TOKEN)`, { cause });
  }
}

/** The admin API of a running backend: `--admin-url` (default 127.0.0.1:4000), token from the workspace. */
export function adminFrom(program: Command, flags: { adminUrl?: string }): AdminClient {
  return createAdminClient(flags.adminUrl ?? 'http://127.0.0.1:4000', adminToken(program));
}

export const adminUrlOption = ['--admin-url <url>', 'admin API of the backend', 'http://127.0.0.1:4000'] as const;

/**
 * Text from a server or a device as the CLI prints it: control characters as visible `\u001b`-style
 * escapes, so nothing printed can move the cursor, clear the screen or retitle the terminal (the
 * simulator's own escape for log lines, C0, DEL and C1 alike).
 */
export const printable = escapeControls;

/** Prints rows as a tab-separated table with a header; a cell never holds a control character (a tab or newline would break the table). */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): void {
  console.log(headers.join('\t'));
  for (const r of rows) console.log(r.map((v) => (v === null || v === undefined || v === '' ? '-' : printable(String(v)))).join('\t'));
}
