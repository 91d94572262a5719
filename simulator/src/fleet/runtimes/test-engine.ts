// Test gate for container engines: the CLI on PATH is not enough, the daemon must answer.
import { spawnSync } from 'node:child_process';

/** True when `<engine> info` answers; in CI a silent engine is a failure, not a skip. */
export function engineAnswers(engine: 'docker' | 'podman'): boolean {
  const ok = spawnSync(engine, ['info', '--format', '{{.ServerVersion}}'], { stdio: 'ignore', timeout: 20_000 }).status === 0;
  if (ok) return true;
  if (process.env['CI'] === 'true') throw new Error(`${engine} is installed but its daemon does not answer (.ci/run starts dockerd)`);
  console.warn(`skipping: the ${engine} daemon does not answer`);
  return false;
}
