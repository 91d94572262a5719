// Socket child for bench/backend.mjs: devices join the `device` channel and stay connected.
// argv: a JSON file with {port, ca, devices: [{cert, key}], steps?}. Connects the devices in `steps` equal
// parts (default 1), 100 handshakes at a time; after each part prints "joined <total so far>" and waits for a
// line on stdin before the next part. Exits when stdin closes.
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import WebSocket from 'ws';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ca = readFileSync(cfg.ca);
const steps = cfg.steps ?? 1;
let joined = 0;
const sockets = [];
const join = (dev) => new Promise((resolve) => {
  const ws = new WebSocket(`wss://localhost:${cfg.port}/socket/websocket?vsn=2.0.0`, { cert: readFileSync(dev.cert), key: readFileSync(dev.key), ca, perMessageDeflate: false });
  sockets.push(ws);
  ws.on('open', () => ws.send(JSON.stringify(['1', '1', 'device', 'phx_join', { device_api_version: '1.0.0', console_version: '1.0.0' }])));
  ws.once('message', () => { joined++; resolve(); });
  ws.on('error', () => resolve());
});
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
process.stdin.on('end', () => process.exit(0));
const per = Math.ceil(cfg.devices.length / steps);
for (let s = 0; s < steps; s++) {
  const part = cfg.devices.slice(s * per, (s + 1) * per);
  for (let i = 0; i < part.length; i += 100) await Promise.all(part.slice(i, i + 100).map(join));
  console.log(`joined ${joined}`);
  if (s < steps - 1) await lines.next();
}
