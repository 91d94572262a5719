// Real tools as test oracles: a missing tool skips the test on a developer machine and fails in CI.
import { execFileSync, spawnSync } from 'node:child_process';

const seen = new Map<string, boolean>();

function onPath(tool: string): boolean {
  let found = seen.get(tool);
  if (found === undefined) {
    found = spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
    seen.set(tool, found);
  }
  return found;
}

/**
 * Returns true when every tool is on PATH. Use as `it.skipIf(!haveTools('sfdisk'))`.
 * With CI=true a missing tool throws, so CI never silently skips an interop test.
 */
export function haveTools(...tools: string[]): boolean {
  const missing = tools.filter((t) => !onPath(t));
  if (missing.length === 0) return true;
  if (process.env['CI'] === 'true') {
    throw new Error(`interop tool(s) missing in CI: ${missing.join(', ')} (install them in .ci/run)`);
  }
  console.warn(`skipping: ${missing.join(', ')} not on PATH`);
  return false;
}

/** Runs a tool synchronously and returns stdout; throws with stderr on non-zero exit. */
export function run(tool: string, args: string[], input?: string | Buffer): string {
  return execFileSync(tool, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}
