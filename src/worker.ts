#!/usr/bin/env node
/*
 * `volume-worker`: the operation loop as its own process, against the shared store. Run one (or more)
 * beside the API processes; claiming is atomic, so several workers never run one operation twice.
 * API processes on this host wake it through a watched file in the data dir (src/worker/wake-signal.ts); polling
 * (config worker.poll_interval_ms) finds everything else.
 */
import { censorDatabaseUrl, loadConfig } from './config';
import { processLogger, reopenLogFiles, reopenLogFilesOnSignal } from './log';
import { buildServices, buildWorker } from './bootstrap';
import { onStopSignal, signalReady, runMain } from './lifecycle';
import { registerPm2Action, startWorkerMetrics } from './metrics';
import { WorkerWakeSignal } from './worker/wake-signal';

/** Below the ecosystem's kill_timeout (10 s) for volume-worker. */
const STOP_GRACE_MS = 7000;

async function main(): Promise<void> {
  const config = loadConfig();
  const log = processLogger('volume-worker', config);
  reopenLogFilesOnSignal(log);
  registerPm2Action('logs:reopen', () => reopenLogFiles());
  const services = await buildServices(config, log);
  const worker = buildWorker(services, log);
  const stopWatching = WorkerWakeSignal.forDataDir(config.data_dir, log).watch(() => worker.wake());
  await worker.start();
  log.info(
    { owner: worker.owner, database_url: censorDatabaseUrl(config.database_url), backend: config.backend.name, backend_path: config.backend.path },
    'volume-worker running',
  );
  const stopMetrics = startWorkerMetrics(services.store);
  signalReady();
  onStopSignal(log, async () => {
    stopMetrics();
    stopWatching();
    // Finish the current operation if it ends soon; otherwise hand its lease back before PM2's kill_timeout.
    await worker.stop(STOP_GRACE_MS);
    await services.store.close();
  });
}

runMain('volume-worker', main);
