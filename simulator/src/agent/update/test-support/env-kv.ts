import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readUbootEnvFromConfig, updateUbootEnv, writeUbootEnvFromConfig } from '@vfleet/core';
import type { TestKv } from './memory-kv.js';

/** A KvStore over a real 128 KiB uboot.env (core's codec), so fw_printenv can check what the agent left. */
export function createEnvKv(dir: string, seed?: ReadonlyMap<string, string>): TestKv & { configPath: string } {
  const configPath = join(dir, 'fw_env.config');
  if (seed !== undefined) {
    writeFileSync(configPath, `${join(dir, 'uboot.env')} 0x0000 0x20000\n`);
    writeFileSync(join(dir, 'uboot.env'), Buffer.alloc(0x20000));
    writeUbootEnvFromConfig(configPath, seed);
  }
  const data = readUbootEnvFromConfig(configPath).vars;
  let killed = false;
  let writes = 0;
  return {
    configPath,
    data,
    persistent: true,
    get: (k) => data.get(k),
    all: () => new Map(data),
    putMany(changes) {
      if (killed) return Promise.reject(new Error('killed: write refused'));
      updateUbootEnv(configPath, (vars) => {
        for (const [k, v] of changes) vars.set(k, v);
      });
      for (const [k, v] of changes) data.set(k, v);
      writes++;
      return Promise.resolve();
    },
    kill() {
      killed = true;
    },
    get writes() {
      return writes;
    },
  };
}
