const HOST_PORT = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\])(?::(\d{1,5}))?$/;

/**
 * True for a device API address as vfleet's flags and scenarios accept it: `host` or `host:port`,
 * no scheme, a host name, IPv4 address or bracketed IPv6 address, a port from 1 to 65535.
 */
export function isHostPort(value: string): boolean {
  const m = HOST_PORT.exec(value);
  if (!m) return false;
  const port = m[2];
  return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
}
