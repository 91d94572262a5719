#!/usr/bin/env node
// Installs npm dependencies when node_modules is missing or older than package-lock.json,
// so `npm start` and `npm test` work on a fresh clone.
import { execSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const lock = join(root, 'package-lock.json');
const stamp = join(root, 'node_modules', '.vfleet-deps-stamp');
const manifests = ['package.json', 'core/package.json', 'simulator/package.json', 'apps/cli/package.json', 'apps/tui/package.json'];

const hash = createHash('sha256');
for (const f of [lock, ...manifests.map((m) => join(root, m))]) {
  if (existsSync(f)) hash.update(readFileSync(f));
}
const want = hash.digest('hex');
const have = existsSync(stamp) ? readFileSync(stamp, 'utf8').trim() : '';
if (have !== want) {
  const cmd = existsSync(lock) ? 'npm ci --no-audit --no-fund' : 'npm install --no-audit --no-fund';
  console.error(`[vfleet] installing dependencies: ${cmd}`);
  execSync(cmd, { cwd: root, stdio: 'inherit' });
  writeFileSync(stamp, want + '\n');
}
