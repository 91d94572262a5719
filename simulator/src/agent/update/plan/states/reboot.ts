import { setTimeout as sleep } from 'node:timers/promises';
import { VfleetError } from '@vfleet/core';
import { spawnTool } from '../../process/spawn-tool.js';
import { logStep, type PlanStateModule } from '../run-context.js';
import { timerMs } from '../../../timer-ms.js';

/**
 * Step SystemReboot: wait `reboot_delay`, run `reboot_sync_cmd`, then hand the reboot to the host
 * (vfleet's runtime restarts the device) instead of running `reboot_cmd`.
 */
export const rebootState: PlanStateModule = {
  async work(run) {
    const { config, log } = run.env;
    logStep(run, 'SystemReboot');
    log.info(`[Step System Reboot] System will reboot in ${Math.trunc(config.rebootDelay / 1000)} seconds`);
    await sleep(timerMs(config.rebootDelay), undefined, { signal: run.signal });
    log.info('[Step System Reboot] System rebooting now');
    const sync = await spawnTool(config.rebootSyncCmd, config.rebootSyncOpts, { signal: run.signal, timeoutMs: 120_000 });
    if (sync.code !== 0) {
      log.error(`[Update] Exit code ${sync.code ?? sync.signal} while attempting to reboot the system ${JSON.stringify(sync.output)}`);
      throw new VfleetError('VFLEET_IO', `${config.rebootSyncCmd} exited with ${sync.code ?? sync.signal}`);
    }
    run.env.requestReboot('update');
    return 'ok';
  },
};
