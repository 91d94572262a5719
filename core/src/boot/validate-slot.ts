import { EnvEdit, type EnvChanges } from './env-changes.js';

/**
 * What the agent writes after its first successful update check on a boot: with
 * `peridio_autovalidate=1` it accepts the running slot (ends the trial, resets `bootcount`, sets
 * `peridio_validated=1`); otherwise nothing.
 */
export function validateSlot(env: ReadonlyMap<string, string>): EnvChanges {
  const edit = new EnvEdit(env);
  if (env.get('peridio_autovalidate') === '1') {
    edit.remove('upgrade_available');
    edit.set('bootcount', '0');
    edit.set('peridio_validated', '1');
  }
  return edit.result();
}
