import { readRegularFile } from '@vfleet/core/fs/read-regular-file';
import { join } from 'node:path';
import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { createAdminClient, escapeControls, resolveHome, type AdminClient } from '@vfleet/simulator';

/** The admin token: $VFLEET_ADMIN_TOKEN, else the workspace's admin-token file. */
export function adminToken(program: Command): string {
  const file = join(resolveHome(program.opts<{ home?: string }>().home), 'admin-token');
  const env = process.env['VFLEET_ADMIN_TOKEN'];
  if (env !== undefined) return env.trim();
  // never blocks on a FIFO or reads a huge file put in the token's place
  const read = readRegularFile(file, 4096);
  if (read.status === 'ok') return read.bytes.toString('utf8').trim();
  const why = read.status === 'missing' ? 'no admin token' : read.status === 'not-regular' ? `a ${read.kind}, not an admin token file` : read.status === 'too-big' ? 'too big for an admin token' : `cannot read it (${read.error.message})`;
  throw new VfleetError('VFLEET_WORKSPACE', `${file}: ${why} (start \`vfleet backend\` once, or set VFLEET_ADMIN_TOKEN)`, 'error' in read ? { cause: read.error } : undefined);
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
