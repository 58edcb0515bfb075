/*
 * Heartbeats (Cinder's service report_state): every `service_report_interval` seconds each process
 * writes the rows of the services it plays into the services table (report_count + 1, updated_at = now),
 * so `GET /os-services` shows them up, and down once the beats stop for `service_down_time`.
 * - A volume worker reports cinder-volume (`host@backend`, with its backend's capabilities for the
 *   scheduler and get_pools) and, with a backup driver, cinder-backup (`host`); the API processes report
 *   cinder-scheduler (`host`), as they place new volumes. Every process of one role on one host shares
 *   its row (PM2 cluster instances, several workers).
 * - Log levels at run time (`PUT /os-services/set-log`): the API stores the wanted level on the rows, and
 *   each beat applies its row's level to the logger that row stands for and reports the levels it runs
 *   with, which is what get-log answers. So every process of the role, on every host, follows within one
 *   interval (the process that took the request at once: ServiceRegistry.onLogLevelSet).
 * - A beat that fails (the database is away) is logged and the next one tries again.
 */
import type { Config } from '../config';
import type { Store } from '../db/store';
import { ensureCluster, getService, recordHeartbeat, snapshotUsageOnHost, volumeUsageOnHost, type ServiceBinary } from '../db/queries/services';
import { nowIso } from '../db/time';
import { LOG_LEVEL_NAMES, logLevelName, setLogLevel, type LogLevelName, type Logger } from '../log';
import { STANDARD_PROPERTIES, type BackendCapabilities } from '../services/backend-capabilities';
import type { VolumeBackend } from './backends';

/** One service a process plays. */
export interface ServiceReport {
  host: string;
  binary: ServiceBinary;
  /** The logger set-log changes for this service, and its name in get-log (`volume-api`, `volume-worker`, ...). */
  logger: Logger;
  loggerName: string;
  /** cinder-volume: what to publish about the backend. */
  capabilities?: () => Promise<BackendCapabilities>;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  /** Beats run one after the other: one in flight, the next waits for it. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly store: Store,
    private readonly config: Pick<Config, 'service_report_interval' | 'storage_availability_zone'>,
    private readonly reports: readonly ServiceReport[],
    private readonly clusterName: string | null,
    private readonly log: Logger,
  ) {}

  /** Beats once (so the rows exist when this returns), then every service_report_interval. */
  async start(): Promise<void> {
    this.stopped = false;
    await this.beat();
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** One beat of every service now (after the one in flight, if any); nothing once stopped or before start. */
  beat(): Promise<void> {
    this.chain = this.chain.then(() => (this.stopped ? undefined : this.beatOnce()));
    return this.chain;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.beat().then(() => this.schedule()), this.config.service_report_interval * 1000);
    this.timer.unref();
  }

  private async beatOnce(): Promise<void> {
    for (const report of this.reports) {
      try {
        const db = this.store.db;
        // The level set-log asked for first, so the beat reports the level now in force.
        const wanted = (await getService(db, report.host, report.binary))?.log_level;
        if (wanted && (LOG_LEVEL_NAMES as readonly string[]).includes(wanted) && logLevelName(report.logger) !== wanted) {
          setLogLevel(report.logger, wanted as LogLevelName);
          this.log.info({ binary: report.binary, host: report.host, level: wanted }, 'log level changed (set-log)');
        }
        const now = nowIso();
        // Only volume services are clustered, as in Cinder (cinder-backup and the scheduler never are).
        const clusterName = this.clusterName && report.binary === 'cinder-volume' ? `${this.clusterName}@${report.host.split('@')[1]}` : null;
        if (clusterName) await ensureCluster(db, clusterName, report.binary, now);
        await recordHeartbeat(
          db,
          {
            host: report.host,
            binary: report.binary,
            availabilityZone: this.config.storage_availability_zone,
            clusterName,
            capabilities: report.capabilities ? JSON.stringify(await report.capabilities()) : null,
            reportedLogLevels: JSON.stringify({ [report.loggerName]: logLevelName(report.logger) }),
          },
          now,
        );
      } catch (err) {
        this.log.warn({ err, binary: report.binary, host: report.host }, 'service heartbeat failed');
      }
    }
  }
}

/**
 * What a cinder-volume worker publishes: the driver's stats for its one pool (named after the backend,
 * as in `host@backend#backend`), with what the store says is placed there.
 */
export async function backendCapabilities(store: Store, backend: VolumeBackend, scope: { host: string; backend: string }): Promise<BackendCapabilities> {
  const [stats, volumes, snapshots] = await Promise.all([backend.stats(), volumeUsageOnHost(store.db, scope.host), snapshotUsageOnHost(store.db, scope.host)]);
  const sum = (rows: { gigabytes: number }[]) => rows.reduce((n, r) => n + r.gigabytes, 0);
  const allocated = sum(volumes);
  return {
    volume_backend_name: scope.backend,
    vendor_name: stats.vendor_name,
    driver_version: stats.driver_version,
    storage_protocol: stats.storage_protocol,
    timestamp: nowIso(),
    properties: STANDARD_PROPERTIES,
    pools: [
      {
        pool_name: scope.backend,
        total_capacity_gb: stats.total_capacity_gb,
        free_capacity_gb: stats.free_capacity_gb,
        allocated_capacity_gb: allocated,
        provisioned_capacity_gb: allocated + sum(snapshots),
        total_volumes: volumes.reduce((n, r) => n + r.count, 0),
        reserved_percentage: stats.reserved_percentage,
        max_over_subscription_ratio: stats.max_over_subscription_ratio,
        thin_provisioning_support: stats.thin_provisioning_support,
        thick_provisioning_support: stats.thick_provisioning_support,
        QoS_support: stats.QoS_support,
        multiattach: stats.multiattach,
        online_extend_support: stats.online_extend_support,
        backend_state: 'up',
      },
    ],
  };
}
