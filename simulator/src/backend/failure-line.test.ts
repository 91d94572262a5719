import { VfleetError } from '@vfleet/core';
import { describe, expect, it } from 'vitest';
import { failureLine } from './failure-line.js';

const sqliteFull = Object.assign(new Error('database or disk is full'), { name: 'SqliteError', code: 'SQLITE_FULL' });

describe('failureLine', () => {
  it('names the database file in one line for SQLite errors, with no stack', () => {
    expect(failureLine(sqliteFull, '/h/backend.db', '/h')).toBe('/h/backend.db: database or disk is full (SQLITE_FULL)');
  });

  it('names the file (or the home) in one line for a full disk', () => {
    const withPath = Object.assign(new Error("ENOSPC: no space left on device, open '/h/artifacts/x'"), { code: 'ENOSPC', path: '/h/artifacts/x' });
    expect(failureLine(withPath, '/h/backend.db', '/h')).toBe("ENOSPC: no space left on device, open '/h/artifacts/x'");
    const bare = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(failureLine(bare, '/h/backend.db', '/h')).toBe('/h: ENOSPC: no space left on device, write');
  });

  it('keeps vfleet messages as they are and the stack of anything else', () => {
    expect(failureLine(new VfleetError('VFLEET_IO', '/h/backend.db: 3 queued events … are lost'), '/h/backend.db', '/h')).toBe('/h/backend.db: 3 queued events … are lost');
    const bug = new TypeError('x is undefined');
    expect(failureLine(bug, '/h/backend.db', '/h')).toBe(bug.stack);
  });
});
