import { isVfleetError } from '@vfleet/core';

/**
 * One warning line for a failure the backend reports while serving. A full disk or a broken
 * database is a condition to name (which file), not a bug to trace: no stack for those, nor for
 * vfleet's own messaged errors; anything else keeps its stack.
 */
export function failureLine(e: unknown, dbFile: string, home: string): string {
  if (isVfleetError(e)) return e.message;
  if (!(e instanceof Error)) return String(e);
  const { code, path } = e as NodeJS.ErrnoException;
  if (typeof code === 'string' && code.startsWith('SQLITE_')) return `${dbFile}: ${e.message} (${code})`;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EROFS' || code === 'EIO') return path !== undefined && e.message.includes(path) ? e.message : `${path ?? home}: ${e.message}`;
  return e.stack ?? e.message;
}
