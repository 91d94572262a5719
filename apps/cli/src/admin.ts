import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { VfleetError } from '@vfleet/core';
import { createAdminClient, resolveHome, type AdminClient } from '@vfleet/simulator';

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

// C0, DEL and C1 (0x9b is a one-byte CSI on some terminals); the simulator's log lines escape the same set
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f]/g;
// eslint-disable-next-line no-control-regex
const CONTROLS_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g;

/**
 * Text from a server or a device as the CLI prints it: control characters as visible `\u001b`-style
 * escapes, so nothing printed can move the cursor, clear the screen or retitle the terminal.
 */
export function printable(text: string, keepNewlines = false): string {
  return text.replace(keepNewlines ? CONTROLS_BUT_NEWLINE : CONTROLS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Prints rows as a tab-separated table with a header; a cell never holds a control character (a tab or newline would break the table). */
export function table(headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): void {
  console.log(headers.join('\t'));
  for (const r of rows) console.log(r.map((v) => (v === null || v === undefined || v === '' ? '-' : printable(String(v)))).join('\t'));
}
