import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_NODE_FLAGS } from './run.js';

const repo = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('the dashboard process starts with its node flags', () => {
  it('npm start and the vfleet bin pass every one of them to node', () => {
    const start = (JSON.parse(repo('package.json')) as { scripts: Record<string, string> }).scripts.start ?? '';
    const shebang = repo('apps/cli/bin/vfleet.js').split('\n')[0] ?? '';
    for (const flag of DASHBOARD_NODE_FLAGS) {
      expect(start).toMatch(new RegExp(`^node (\\S+ )*${flag} `));
      expect(shebang).toMatch(new RegExp(`^#!/usr/bin/env -S node (\\S+ )*${flag}$`));
    }
  });
});
