/**
 * Applied to every connection, in order. WAL + synchronous=FULL makes each committed transaction
 * survive a SIGKILL or power loss; exported as data so out-of-process tests use the same set.
 */
export const STORE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = FULL',
  'foreign_keys = ON',
  'busy_timeout = 5000',
];
