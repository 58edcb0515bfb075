#!/usr/bin/env node
/*
 * `volume-worker`: the operation loop as its own process, against the shared store. Run one (or more)
 * beside the API processes; claiming is atomic, so several workers never run one operation twice.
 * API processes on this host wake it through a watched file in the data dir (src/worker/wake-signal.ts); polling
 * (config worker.poll_interval_ms) finds everything else.
 */
import { censorDatabaseUrl } from './config';
import { buildWorker } from './bootstrap';
import { runMain, type EntryPoint } from './lifecycle';
import { startWorkerMetrics } from './metrics';
import { WorkerWakeSignal } from './worker/wake-signal';

/** Below the ecosystem's kill_timeout (10 s) for volume-worker. */
const STOP_GRACE_MS = 7000;

const ENTRY: EntryPoint = {
  name: 'volume-worker',
  about: 'The volume worker: runs the storage operations the API queues, against the shared store.',
  listens: false,
  runsWorker: true,
};

runMain(ENTRY, async ({ config, log, services }) => {
  const worker = buildWorker(services, log);
  const stopWatching = WorkerWakeSignal.forDataDir(config.data_dir, log).watch(() => worker.wake());
  await worker.start();
  log.info(
    { owner: worker.owner, database_url: censorDatabaseUrl(config.database_url), backend: config.backend.name, backend_path: config.backend.path },
    'volume-worker running',
  );
  const stopMetrics = startWorkerMetrics(services.store);
  return async () => {
    stopMetrics();
    stopWatching();
    // Finish the current operation if it ends soon; otherwise hand its lease back before PM2's kill_timeout.
    await worker.stop(STOP_GRACE_MS);
  };
});
