import { isVfleetError, VfleetError } from '@vfleet/core';

/**
 * What opening the database failed on, as one line naming the file. A file SQLite cannot read as a
 * database is never replaced: it may be the only copy of the catalog, so the user moves it away.
 */
export function storeOpenError(file: string, cause: unknown): VfleetError {
  if (isVfleetError(cause)) return cause;
  const code = String((cause as { code?: unknown }).code ?? '');
  const message = cause instanceof Error ? cause.message : String(cause);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new VfleetError(
      'VFLEET_IO',
      `${file}: is not a readable backend database (${message}); move it away (e.g. to ${file}.broken) to start with an empty one, or put back a good copy`,
      { cause },
    );
  }
  const hint = code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' ? '; check that the file and its directory are writable' : '';
  return new VfleetError('VFLEET_IO', `${file}: cannot open the backend database (${message}${code === '' ? '' : `, ${code}`})${hint}`, { cause });
}
