/** Whether process `pid` exists on this host (one of another user's counts: EPERM). No imports: generation workers load it. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}
