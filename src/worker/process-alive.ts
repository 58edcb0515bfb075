/*
 * Whether a process on this host still runs, for the worker's crash recovery: partial files and leases
 * name their writer's pid. `kill(pid, 0)` probes without signalling; EPERM means it exists under another
 * user. This process's own pid counts as alive: a loop of this process may be the writer (standalone, or
 * tests with two loops in one process). Leases carry a whole owner id, so the worker loop tells its own
 * process's dead owners apart by the id (worker-loop.ts `ownerAlive`).
 */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
