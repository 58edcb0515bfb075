#!/usr/bin/env node
/*
 * `npm start`: the whole service in one process: API and volume worker, SQLite and the file backend
 * under ./data, noauth. Same configuration as every other mode.
 */
import { censorDatabaseUrl } from './config';
import { buildApp, buildWorker, startSchedulerHeartbeat } from './bootstrap';
import { cinderCommandLine, closeServer, listen, runMain, STOP_GRACE_MS, type EntryPoint } from './lifecycle';

const ENTRY: EntryPoint = {
  name: 'volume-api',
  about: 'The whole service in one process: the Block Storage API (OpenStack Cinder v3) and the volume worker.',
  listens: true,
  runsWorker: true,
};

runMain(ENTRY, async ({ config, log, services }) => {
  // Not a "simple" child: its own stream levels, so set-log can change the worker's apart from the API's.
  const worker = buildWorker(services, log.child({ component: 'volume-worker' }));
  services.queue.onEnqueue(() => worker.wake());
  await worker.start();
  const heartbeat = await startSchedulerHeartbeat(services);
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
  return async () => {
    heartbeat.stop();
    // Bounded as volume-worker's stop (issue 19): requests and the current operation get the same grace,
    // side by side; an operation still running then gets its lease back and the next start resumes it.
    await Promise.all([closeServer(app, { drainDelayMs: 0, forceAfterMs: STOP_GRACE_MS }), worker.stop(STOP_GRACE_MS)]);
  };
});
