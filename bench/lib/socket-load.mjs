// Socket child for bench/backend.mjs: N devices join the `device` channel and stay connected.
// argv: a JSON file with {port, ca, devices: [{cert, key}]}. Prints "joined N" then waits for stdin to close.
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const ca = readFileSync(cfg.ca);
let joined = 0;
const sockets = [];
await Promise.all(cfg.devices.map((dev) => new Promise((resolve) => {
  const ws = new WebSocket(`wss://localhost:${cfg.port}/socket/websocket?vsn=2.0.0`, { cert: readFileSync(dev.cert), key: readFileSync(dev.key), ca, perMessageDeflate: false });
  sockets.push(ws);
  ws.on('open', () => ws.send(JSON.stringify(['1', '1', 'device', 'phx_join', { device_api_version: '1.0.0', console_version: '1.0.0' }])));
  ws.on('message', () => { joined++; resolve(); });
  ws.on('error', () => resolve());
})));
console.log(`joined ${joined}`);
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
