/*
 * Builds a process's parts from its configuration: store (migrated), services, auth strategy, backend and
 * worker loop. The entry point (standalone.ts) and the tests call this, so they wire the same way.
 */
import type { ApiDeps } from './api/deps';
import { createApp, type App } from './api/app';
import type { ApiMetrics } from './metrics';
import { createAuthStrategy } from './api/middleware/auth';
import type { Config } from './config';
import { openStore, type Store } from './db/store';
import type { Logger } from './log';
import { createBackend } from './volume/backends';
import { QuotaService } from './volume/quota';
import { VolumeService } from './volume/service';
import { TypeService } from './volume/type-service';
import { WorkerLoop } from './volume/worker-loop';
import { OperationQueue } from './volume/queue';

export interface Services {
  config: Config;
  log: Logger;
  store: Store;
  quota: QuotaService;
  types: TypeService;
  volumes: VolumeService;
  queue: OperationQueue;
}

export async function buildServices(config: Config, log: Logger): Promise<Services> {
  const store = await openStore(config);
  const quota = new QuotaService(config);
  const types = new TypeService(store, config);
  const queue = new OperationQueue();
  const volumes = new VolumeService(store, queue, types, quota, config);
  return { config, log, store, quota, types, volumes, queue };
}

export function buildApp(services: Services, metrics?: ApiMetrics): App {
  const deps: ApiDeps = { ...services, auth: createAuthStrategy(services.config) };
  return createApp(deps, metrics);
}

export function buildWorker(services: Services, log: Logger): WorkerLoop {
  return new WorkerLoop(services.store, createBackend(services.config), services.quota, services.config, log);
}
