/** Files of an EVK-compatible device directory that do not depend on crypto (protocol §8.4). */

export interface PeridioJsonOptions {
  targets: readonly string[];
  trustedSigningKey: string;
  deviceApiUrl?: string;
  deviceApiCertificatePath?: string;
  /** Where the fwup installer writes; the EVK names a file it never creates, A/B devices their disk. */
  fwupDevpath?: string;
}

/** The EVK's per-device `peridio.json`, with `device_api` only when it differs from Peridio's cloud. */
export function peridioJson(opts: PeridioJsonOptions): string {
  const deviceApi =
    opts.deviceApiUrl === undefined && opts.deviceApiCertificatePath === undefined
      ? {}
      : {
          device_api: {
            ...(opts.deviceApiUrl === undefined ? {} : { url: opts.deviceApiUrl }),
            ...(opts.deviceApiCertificatePath === undefined ? {} : { certificate_path: opts.deviceApiCertificatePath }),
            verify: true,
          },
        };
  const config = {
    version: 1,
    ...deviceApi,
    fwup: { devpath: opts.fwupDevpath ?? '/etc/peridiod/peridio.fwup.img' },
    cache_dir: '/etc/peridiod/cache',
    release_poll_enabled: true,
    release_poll_interval: 5000,
    remote_shell: true,
    targets: opts.targets,
    remote_access_tunnels: {
      enabled: true,
      service_ports: [22],
      hooks: { pre_up: '/etc/peridiod/hooks/pre-up.sh', pre_down: '/etc/peridiod/hooks/pre-down.sh' },
    },
    node: {
      key_pair_source: 'file',
      key_pair_config: {
        private_key_path: '/etc/peridiod/device-private-key.pem',
        certificate_path: '/etc/peridiod/device-certificate.pem',
      },
    },
    trusted_signing_keys: [opts.trustedSigningKey],
  };
  return JSON.stringify(config, null, 2) + '\n';
}

/** Container entrypoint: ssh host keys and the `peridio`/`peridio` login, then the agent. */
export const entrypointSh = `#!/bin/sh
# vfleet device entrypoint (EVK behaviour): ssh host keys and the peridio login, then exec the command.
if command -v ssh-keygen >/dev/null 2>&1; then ssh-keygen -A >/dev/null 2>&1; fi
if ! id peridio >/dev/null 2>&1; then
  if command -v useradd >/dev/null 2>&1; then useradd -m -s /bin/sh peridio
  elif command -v adduser >/dev/null 2>&1; then adduser -D -s /bin/sh peridio
  fi
  echo 'peridio:peridio' | chpasswd >/dev/null 2>&1
fi
exec "$@"
`;

/** wg-quick PreUp hook: counts tunnels per service port and starts sshd for the first one to 22. */
export const preUpSh = `#!/bin/sh
# Arguments (protocol §7.6): 1 ifname, 2 service port, then tunnel addresses.
port="$2"
counter="/tmp/peridio_counter_$port"
n=$(cat "$counter" 2>/dev/null || echo 0)
echo $((n + 1)) > "$counter"
if [ "$port" = "22" ] && [ "$n" -eq 0 ] && [ -x /usr/sbin/sshd ]; then
  mkdir -p /run/sshd
  /usr/sbin/sshd
fi
exit 0
`;

/** wg-quick PreDown hook: the counterpart of pre-up.sh; stops sshd when the last tunnel to 22 closes. */
export const preDownSh = `#!/bin/sh
port="$2"
counter="/tmp/peridio_counter_$port"
n=$(cat "$counter" 2>/dev/null || echo 1)
n=$((n - 1))
if [ "$n" -le 0 ]; then
  rm -f "$counter"
  if [ "$port" = "22" ] && [ -f /run/sshd.pid ]; then kill "$(cat /run/sshd.pid)" 2>/dev/null; fi
else
  echo "$n" > "$counter"
fi
exit 0
`;
