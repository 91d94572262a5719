/**
 * Applied to every connection, in order. WAL + synchronous=NORMAL makes each committed transaction
 * survive a SIGKILL of the backend (the durability test proves it); only a power loss or kernel
 * crash may lose the last commits, never corrupt the file. FULL made every JITP enrolment wait on
 * an fsync that, on ext4, flushes everything the fleet wrote meanwhile (4.8 ms per device at 500
 * devices onboarding against 0.3 ms with NORMAL). Exported as data so out-of-process tests use the
 * same set.
 */
export const STORE_PRAGMAS: readonly string[] = [
  'journal_mode = WAL',
  'synchronous = NORMAL',
  'foreign_keys = ON',
  'busy_timeout = 5000',
];
