// TCP counters of this network namespace (/proc/net/snmp and /proc/net/netstat), for benches whose
// traffic runs over loopback: how much was sent again, how often a retransmission timer fired, and
// how long the stack spent in memory pressure (when it drops what arrives). Counters are the whole
// namespace's, so a delta is only this bench's while nothing else talks.
import { readFileSync } from 'node:fs';

const WANTED = {
  Tcp: ['OutSegs', 'RetransSegs'],
  TcpExt: ['TCPTimeouts', 'TCPMemoryPressuresChrono', 'TCPRcvQDrop', 'TCPWinProbe'],
};

function parse(file) {
  const values = {};
  let lines;
  try {
    lines = readFileSync(file, 'utf8').trim().split('\n');
  } catch {
    return values;
  }
  // pairs of lines: "Tcp: Name Name ..." then "Tcp: 1 2 ..."
  for (let i = 0; i + 1 < lines.length; i += 2) {
    const names = lines[i].split(/\s+/);
    const numbers = lines[i + 1].split(/\s+/);
    const group = names[0].replace(/:$/, '');
    const wanted = WANTED[group];
    if (wanted === undefined || numbers[0] !== names[0]) continue;
    for (let k = 1; k < names.length; k++) if (wanted.includes(names[k])) values[names[k]] = Number(numbers[k]);
  }
  return values;
}

/** The counters now; missing files or fields are left out. */
export function tcpCounters() {
  return { ...parse('/proc/net/snmp'), ...parse('/proc/net/netstat') };
}

/** What changed since `before` (from tcpCounters()), with the memory-pressure time in seconds. */
export function tcpCountersSince(before) {
  const now = tcpCounters();
  const d = (k) => (now[k] === undefined || before[k] === undefined ? undefined : now[k] - before[k]);
  const out = {
    segmentsSent: d('OutSegs'),
    segmentsRetransmitted: d('RetransSegs'),
    retransmissionTimeouts: d('TCPTimeouts'),
    zeroWindowProbes: d('TCPWinProbe'),
    receiveQueueDrops: d('TCPRcvQDrop'),
    memoryPressureSeconds: d('TCPMemoryPressuresChrono') === undefined ? undefined : d('TCPMemoryPressuresChrono') / 1000,
  };
  return Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
}
