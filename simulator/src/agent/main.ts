#!/usr/bin/env node
// `vfleet-agent`: one device. In a container it uses the real paths; with --device-dir it maps them
// into that directory. Exit 0 on SIGTERM/SIGINT, REBOOT_EXIT_CODE when the device reboots, 1 when
// it cannot start (peridiod's identity errors).
import { isVfleetError } from '@vfleet/core';
import { createAgent, REBOOT_EXIT_CODE } from './agent.js';
import { fdLines } from './stdout-lines.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

// no top-level await: the process runtime's bundle is CommonJS (loaded with a V8 code cache)
async function main(): Promise<void> {
  const controller = new AbortController();
  // Node as PID 1 ignores SIGTERM unless it handles it
  process.once('SIGTERM', () => controller.abort());
  process.once('SIGINT', () => controller.abort());

  const format = flag('--log-format') ?? 'console';
  const deviceDir = flag('--device-dir');
  try {
    const agent = await createAgent({
      env: process.env,
      ...(deviceDir === undefined ? {} : { deviceDir }),
      log: { sink: fdLines(), format: format === 'json' ? 'json' : 'console' },
      signal: controller.signal,
    });
    const exit = await agent.exit;
    await agent.stop();
    process.exitCode = exit.reason === 'reboot' ? REBOOT_EXIT_CODE : 0;
  } catch (e) {
    process.stderr.write(`${isVfleetError(e) ? e.message : (e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}

void main();
