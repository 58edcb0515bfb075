/*
 * Builds a process's parts from its configuration: store (migrated), services, auth strategy, backend and
 * worker loop. The entry point (standalone.ts) and the tests call this, so they wire the same way.
 */
import type { ApiDeps } from './api/deps';
import { createApp, type App } from './api/app';
import { createApiMetrics, localMetricsPorts, ProcessMetrics, prometheusScrape, serveLocalMetrics, type ApiMetrics } from './metrics';
import { createAuthStrategy } from './api/middleware/auth';
import { serviceHostName, type Config } from './config';
import { openStore, type Store } from './db/store';
import type { Logger } from './log';
import { BackendSet } from './worker/backends';
import { VolumeWorker } from './worker/volume-worker';
import { QuotaService } from './services/quota-service';
import { VolumeService } from './services/volume-service';
import { SnapshotService } from './services/snapshot-service';
import { BackupService } from './services/backup-service';
import { createBackupDriver } from './worker/backup-drivers';
import { TypeService } from './services/volume-type-service';
import { QosSpecService } from './services/qos-spec-service';
import { EncryptionTypeService } from './services/encryption-type-service';
import { TransferService } from './services/transfer-service';
import { VolumeActionService } from './services/volume-action-service';
import { AttachmentService } from './services/attachment-service';
import { OperationQueue } from './services/operation-queue';
import { MessageService } from './services/message-service';
import { Scheduler } from './services/scheduler';
import { MigrationService } from './services/migration-service';
import { ServiceRegistry } from './services/service-registry';
import { Heartbeat } from './worker/heartbeat';
// --- generic volume groups (issue 16) ---
import { GroupTypeService } from './services/group-type-service';
import { GroupService } from './services/group-service';
// --- health (issue 18) ---
import { HealthService } from './services/health-service';

export interface Services {
  config: Config;
  log: Logger;
  store: Store;
  quota: QuotaService;
  types: TypeService;
  /** QoS specs (admin). */
  qosSpecs: QosSpecService;
  /** Volume-type encryption (admin). */
  encryptionTypes: EncryptionTypeService;
  volumes: VolumeService;
  snapshots: SnapshotService;
  backups: BackupService;
  queue: OperationQueue;
  /** Volume actions (POST /volumes/{id}/action) and the attachments API. */
  actions: VolumeActionService;
  attachments: AttachmentService;
  /** Volume transfers. */
  transfers: TransferService;
  /** User messages (list, show, delete). */
  messages: MessageService;
  /** Placement of new volumes, pools and backend capabilities (issue 15). */
  scheduler: Scheduler;
  /** The heartbeating services: os-services, os-hosts, clusters, workers cleanup (issue 15). */
  registry: ServiceRegistry;
  /** The backends this host runs (issue 16). */
  backends: BackendSet;
  /** Volume migration between pools (issue 16). */
  migrations: MigrationService;
  // --- generic volume groups (issue 16) ---
  groupTypes: GroupTypeService;
  /** Groups and group snapshots. */
  groups: GroupService;
  // --- health (issue 18) ---
  /** /healthcheck's checks and the metrics' store gauges. */
  health: HealthService;
}

export async function buildServices(config: Config, log: Logger): Promise<Services> {
  // A PostgreSQL server that goes away makes idle pooled connections fail outside any request: log it
  // (requests meanwhile get 503) and carry on; the pool reconnects when the server is back.
  const store = await openStore(config, { onPoolError: (err, where) => log.warn({ err, where }, 'database connection lost') });
  const quota = new QuotaService(config, store);
  const types = new TypeService(store, config);
  const qosSpecs = new QosSpecService(store);
  const encryptionTypes = new EncryptionTypeService(store);
  const scheduler = new Scheduler(store, types, config);
  const registry = new ServiceRegistry(store, scheduler, config);
  const queue = new OperationQueue(scheduler);
  const volumes = new VolumeService(store, queue, types, quota, config);
  const snapshots = new SnapshotService(store, queue, quota);
  const backups = new BackupService(store, queue, quota, types, config);
  // The API asks the backends of this host only for connection info (os-initialize_connection, attachments).
  const backends = new BackendSet(config);
  const migrations = new MigrationService(store, queue, scheduler);
  const actions = new VolumeActionService(store, queue, types, quota, volumes, backends, migrations);
  const attachments = new AttachmentService(store, backends);
  const transfers = new TransferService(store, quota);
  const messages = new MessageService(store);
  // --- generic volume groups (issue 16) ---
  const groupTypes = new GroupTypeService(store);
  const groups = new GroupService(store, queue, types, groupTypes, quota, config);
  return {
    config,
    log,
    store,
    quota,
    types,
    qosSpecs,
    encryptionTypes,
    volumes,
    snapshots,
    backups,
    queue,
    actions,
    attachments,
    transfers,
    messages,
    scheduler,
    registry,
    backends,
    migrations,
    groupTypes,
    groups,
    // --- health (issue 18) ---
    health: new HealthService(store, config),
  };
}

export function buildApp(services: Services, metrics: ApiMetrics = buildApiMetrics(services).metrics): App {
  const deps: ApiDeps = { ...services, auth: createAuthStrategy(services.config, services.log) };
  return createApp(deps, metrics);
}

// --- metrics (issue 18) ---
/**
 * An API process's metrics (src/metrics.ts): Prometheus, with its siblings merged in under PM2, whose
 * loopback port `stop` closes; the `pm2 monit` set under PM2.
 */
export function buildApiMetrics(services: Services): { metrics: ApiMetrics; stop(): Promise<void> } {
  const own = new ProcessMetrics(services.store);
  const ports = localMetricsPorts(services.config.metrics.local_port);
  const stop = serveLocalMetrics(own, ports.own, services.log);
  return { metrics: createApiMetrics(own, prometheusScrape(own, services.health, ports)), stop };
}

/** The worker process's own Prometheus metrics on its loopback port (under PM2); returns a stop function. */
export function serveWorkerMetrics(services: Services): () => Promise<void> {
  const ports = localMetricsPorts(services.config.metrics.local_port);
  return serveLocalMetrics(new ProcessMetrics(services.store), ports.own, services.log);
}

export function buildWorker(services: Services, log: Logger): VolumeWorker {
  const worker = new VolumeWorker(services.store, new BackendSet(services.config), services.quota, services.config, log, createBackupDriver(services.config));
  services.registry.onLogLevelSet(() => worker.beatNow());
  return worker;
}

/**
 * The API process's heartbeat as cinder-scheduler (it places new volumes), started: its row exists when
 * this returns. Its log level is the API logger's (set-log for cinder-api and cinder-scheduler).
 */
export async function startSchedulerHeartbeat(services: Services): Promise<Heartbeat> {
  const { store, config, log } = services;
  const heartbeat = new Heartbeat(
    store,
    config,
    [{ host: serviceHostName(config), binary: 'cinder-scheduler', logger: log, loggerName: 'volume-api' }],
    null,
    log,
  );
  services.registry.onLogLevelSet(() => heartbeat.beat());
  await heartbeat.start();
  return heartbeat;
}
