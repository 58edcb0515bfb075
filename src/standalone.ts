#!/usr/bin/env node
/*
 * `npm start`: the whole service in one process: API and volume worker, SQLite and the file backend
 * under ./data, noauth. Same configuration as every other mode.
 */
import { censorDatabaseUrl, loadConfig } from './config';
import { processLogger, reopenLogFiles, reopenLogFilesOnSignal } from './log';
import { buildApp, buildServices, buildWorker } from './bootstrap';
import { registerPm2Action } from './metrics';
import { cinderCommandLine, closeServer, listen, onStopSignal, signalReady, runMain } from './lifecycle';

async function main(): Promise<void> {
  const config = loadConfig();
  const log = processLogger('volume-api', config);
  reopenLogFilesOnSignal(log);
  registerPm2Action('logs:reopen', () => reopenLogFiles());
  const services = await buildServices(config, log);
  const worker = buildWorker(services, log.child({ component: 'volume-worker' }, true));
  services.queue.onEnqueue(() => worker.wake());
  await worker.start();
  const app = buildApp(services);
  const address = await listen(app, config);
  log.info(
    {
      host: address.address,
      port: address.port,
      data_dir: config.data_dir,
      database_url: censorDatabaseUrl(config.database_url),
      backend: config.backend.name,
      auth: config.auth.strategy,
    },
    `volume-api (standalone) listening on http://${address.address}:${address.port}`,
  );
  log.info({ cinder: cinderCommandLine(config.host, address.port) }, `try: ${cinderCommandLine(config.host, address.port)}`);
  signalReady();
  onStopSignal(log, async () => {
    await closeServer(app, { drainDelayMs: 0, forceAfterMs: 8000 });
    await worker.stop();
    await services.store.close();
  });
}

runMain('volume-api', main);
