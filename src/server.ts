#!/usr/bin/env node
/*
 * `volume-api` under PM2: the API alone (cluster mode, N instances on one port), beside a separate
 * `volume-worker` process. Says "ready" once the port is bound and the store is open; on SIGINT/SIGTERM
 * drains as the PM2 reload recipe needs (1 s of `Connection: close`, then close), so `pm2 reload` loses
 * no request.
 */
import { censorDatabaseUrl } from './config';
import { buildApiMetrics, buildApp, startSchedulerHeartbeat } from './bootstrap';
import { closeServer, listen, runMain, type EntryPoint } from './lifecycle';
import { WorkerWakeSignal } from './worker/wake-signal';

/** Long enough for keep-alive clients and proxies to see `Connection: close` and move on. */
const DRAIN_DELAY_MS = 1000;

const ENTRY: EntryPoint = {
  name: 'volume-api',
  about: 'The Block Storage API alone (the PM2 app volume-api, cluster mode), beside a separate volume-worker process.',
  listens: true,
  runsWorker: false,
};

runMain(ENTRY, async ({ config, log, services }) => {
  // The worker is another process: tell it about new operations instead of waiting for its next poll.
  const wakeWorker = WorkerWakeSignal.forDataDir(config.data_dir, log);
  services.queue.onEnqueue(() => wakeWorker.notify());
  // Every instance heartbeats the host's cinder-scheduler row (and applies set-log levels).
  const heartbeat = await startSchedulerHeartbeat(services);
  const metrics = buildApiMetrics(services);
  const app = buildApp(services, metrics.metrics);
  const address = await listen(app, config);
  log.info(
    { host: address.address, port: address.port, database_url: censorDatabaseUrl(config.database_url), auth: config.auth.strategy },
    `volume-api listening on http://${address.address}:${address.port}`,
  );
  return async () => {
    heartbeat.stop();
    // The loopback metrics port first: the instance replacing this one (pm2 reload) is waiting for it.
    await metrics.stop();
    await closeServer(app, { drainDelayMs: DRAIN_DELAY_MS, forceAfterMs: 6000 });
  };
});
