import { describe, expect, it } from 'vitest';
import { compareVersionsDesc, newestVersion, summarize } from './summary.js';

describe('version order in the summary', () => {
  it('ranks by SemVer precedence, newest first: a pre-release below its release, numbers as numbers', () => {
    const sorted = ['1.9.0', 'unknown', '2.0.0-rc.1', '1.10.0', '2.0.0', '2.0.0-rc.2', '2.0.0+build.7'].sort(compareVersionsDesc);
    expect(sorted.slice(0, 2).sort()).toEqual(['2.0.0', '2.0.0+build.7']);
    expect(sorted.slice(2)).toEqual(['2.0.0-rc.2', '2.0.0-rc.1', '1.10.0', '1.9.0', 'unknown']);
  });

  it('puts versions that are not SemVer after those that are, still ordered by their numbers', () => {
    expect(['1.2', '0.9.0', '1.10', 'v3'].sort(compareVersionsDesc)).toEqual(['0.9.0', 'v3', '1.10', '1.2']);
  });

  it('follows the newest reported version, never unknown', () => {
    expect(newestVersion({ '2.0.0-rc.1': 3, '2.0.0': 1, '1.1.0': 5, unknown: 9 })).toBe('2.0.0');
    expect(newestVersion({ unknown: 2 })).toBeUndefined();
    const s = summarize([
      { id: 'a', runtime: 'inproc', run: 'running', phase: 'online', boots: 1, crashes: 0, version: '2.0.0' },
      { id: 'b', runtime: 'inproc', run: 'running', phase: 'online', boots: 1, crashes: 0 },
    ] as Parameters<typeof summarize>[0]);
    expect(s.versions).toEqual({ '2.0.0': 1, unknown: 1 });
  });
});
