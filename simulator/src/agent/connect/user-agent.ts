// Cloud.user_agent/0: "peridiod/<vsn> (<os_family>,<os_type>; <arch>) …"; the runtime part names Node, not OTP.

/** The peridiod release whose wire behaviour this agent copies. */
export const PERIDIOD_VERSION = '3.4.1';

const ERLANG_ARCH: Partial<Record<string, string>> = {
  x64: 'x86_64-pc-linux-gnu',
  arm64: 'aarch64-unknown-linux-gnu',
  arm: 'arm-unknown-linux-gnueabihf',
};

export function peridiodUserAgent(vsn = PERIDIOD_VERSION): string {
  const arch = ERLANG_ARCH[process.arch] ?? process.arch;
  return `peridiod/${vsn} (unix,${process.platform}; ${arch}) Node/${process.versions.node} vfleet`;
}
