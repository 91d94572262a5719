// Runs a command as a device sees its directory: bind-mounted on /etc/peridiod in a private mount
// namespace (what a container does), so fw_env.config's device paths resolve.
import { execFileSync } from 'node:child_process';

const script = [
  'set -e',
  'made=',
  '[ -d /etc/peridiod ] || { mkdir /etc/peridiod; made=1; }',
  'mount --bind "$1" /etc/peridiod',
  'shift',
  'status=0',
  '"$@" || status=$?',
  'umount /etc/peridiod',
  '[ -z "$made" ] || rmdir /etc/peridiod',
  'exit $status',
].join('\n');

export function canRunAsDevice(): boolean {
  const root = process.getuid?.() === 0;
  if (!root && process.env['CI'] === 'true') throw new Error('device-namespace tests need root in CI');
  return root;
}

export function runAsDevice(deviceDir: string, cmd: string[]): string {
  return execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', script, 'sh', deviceDir, ...cmd], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}
