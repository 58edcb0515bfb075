#!/usr/bin/env node
/*
 * `volume-worker`: the operation loop as its own process, against the shared store. Run one (or more)
 * beside the API processes; claiming is atomic, so several workers never run one operation twice.
 * API processes on this host wake it through a watched file in the data dir (src/worker/wake-signal.ts); polling
 * (config worker.poll_interval_ms) finds everything else.
 */
import { censorDatabaseUrl } from './config';
import { buildWorker, serveWorkerMetrics } from './bootstrap';
import { runMain, STOP_GRACE_MS, type EntryPoint } from './lifecycle';
import { startWorkerMetrics } from './metrics';
import { WorkerWakeSignal } from './worker/wake-signal';

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
    { owner: worker.owner, database_url: censorDatabaseUrl(config.database_url), backends: config.volume_backends.map((b) => `${b.name}:${b.path}`) },
    'volume-worker running',
  );
  const stopMetrics = startWorkerMetrics(services.health);
  const stopPrometheus = serveWorkerMetrics(services);
  return async () => {
    stopMetrics();
    await stopPrometheus();
    stopWatching();
    // Finish the current operation if it ends soon; otherwise hand its lease back before PM2's kill_timeout.
    await worker.stop(STOP_GRACE_MS);
  };
});
