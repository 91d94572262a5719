// The EVK hooks the generator writes (protocol §7.6): a per-port tunnel counter, sshd started by the
// first tunnel to port 22 and stopped when the last one closes. Run as root in a private mount
// namespace where /usr/sbin/sshd is a stand-in daemon and /run and /tmp are empty tmpfs.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveTools } from '@vfleet/core/test-support';
import { preDownSh, preUpSh } from './templates.js';

const canRun = process.getuid?.() === 0 && haveTools('unshare', 'mount');

const SCRIPT = `set -e
dir="$1"
mkdir -p "$dir/upper" "$dir/work"
mount -t overlay overlay -o "lowerdir=/usr/sbin,upperdir=$dir/upper,workdir=$dir/work" /usr/sbin
# the hooks move into the overlay: the tmpfs on /tmp below hides $dir
mkdir /usr/sbin/vft-hooks && cp "$dir/pre-up.sh" "$dir/pre-down.sh" /usr/sbin/vft-hooks/
hooks=/usr/sbin/vft-hooks
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
# a stand-in sshd: daemonises and writes its pid file as OpenSSH does
printf '#!/bin/sh\\nsleep 300 &\\necho $! > /run/sshd.pid\\necho started >> /tmp/sshd.log\\n' > /usr/sbin/sshd
chmod 755 /usr/sbin/sshd
# a killed stand-in may linger as a zombie until its new parent reaps it: that counts as down
alive() { p=$(cat /run/sshd.pid 2>/dev/null) && grep -q '^State:[[:space:]]*[RSD]' "/proc/$p/status" 2>/dev/null && echo up || echo down; }
state() { echo "$1 counter=$(cat /tmp/peridio_counter_22 2>/dev/null || echo none) sshd=$(alive) starts=$(cat /tmp/sshd.log 2>/dev/null | wc -l)"; }
args() { echo "peridio-AAAAAAA $1 172.16.0.2 172.16.0.1/32  203.0.113.5 555"; }
sh "$hooks/pre-up.sh" $(args 7777); state other-port
sh "$hooks/pre-up.sh" $(args 22); state up1
sh "$hooks/pre-up.sh" $(args 22); state up2
sh "$hooks/pre-down.sh" $(args 22); state down1
sh "$hooks/pre-down.sh" $(args 22); sleep 0.2; state down2
`;

describe.skipIf(!canRun)('EVK tunnel hooks', () => {
  it('start sshd for the first tunnel to port 22 only, and stop it when the last one closes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vft-tun-hooks-'));
    try {
      writeFileSync(join(dir, 'pre-up.sh'), preUpSh, { mode: 0o755 });
      writeFileSync(join(dir, 'pre-down.sh'), preDownSh, { mode: 0o755 });
      const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', SCRIPT, 'sh', dir], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual([
        'other-port counter=none sshd=down starts=0',
        'up1 counter=1 sshd=up starts=1',
        'up2 counter=2 sshd=up starts=1',
        'down1 counter=1 sshd=up starts=1',
        'down2 counter=none sshd=down starts=1',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
