import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_NODE_FLAGS } from './run.js';

const repo = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('the dashboard process starts with its node flags', () => {
  it('npm start goes through the vfleet launcher, and the launcher passes every one of them to node', () => {
    const start = (JSON.parse(repo('package.json')) as { scripts: Record<string, string> }).scripts.start ?? '';
    expect(start).toMatch(/^sh apps\/cli\/bin\/vfleet demo$/);
    const exec = repo('apps/cli/bin/vfleet').split('\n').find((l) => l.startsWith('exec node ')) ?? '';
    for (const flag of DASHBOARD_NODE_FLAGS) expect(exec).toMatch(new RegExp(`^exec node (\\S+ )*${flag} `));
  });
});
