/*
 * The services registry (issue 15): the heartbeating services as the admin APIs show and change them
 * (`/os-services`, `/os-hosts`, `/clusters`, `/workers/cleanup`; cinder/api/v3/services.py, hosts.py,
 * clusters.py, workers.py). Every method is admin-only (cinder/policies: rule:admin_api).
 *
 * - State: `up` while the last heartbeat is at most service_down_time old (scheduler.ts serviceIsUp).
 * - Disabling a service (or its cluster) stops new work for it: the scheduler skips it and its worker's
 *   claim skips untargeted operations (queries/operations.ts). Freeze disables too, as Cinder's manager does.
 * - Log levels: set-log stores the level on the matching rows; each process applies it at its next
 *   heartbeat (worker/heartbeat.ts), and the process that took the request at once (onLogLevelSet).
 *   get-log answers what the processes last reported. Our API process plays cinder-api and
 *   cinder-scheduler in one: `cinder-api` names the logger of the cinder-scheduler rows.
 * - Workers cleanup requeues the running operations of the matching services (by default the down
 *   ones) in the store itself: no live service has to do it, so `unavailable` is always empty.
 */
import type { Config } from '../config';
import type { RequestContext } from '../context';
import type { Store } from '../db/store';
import type { ClusterRow, ServiceRow } from '../db/admin-schema';
import * as sq from '../db/queries/services';
import { nowIso } from '../db/time';
import { BadRequestError, ClusterNotFoundError, InvalidInputError, ServiceNotFoundError } from '../errors';
import { LOG_LEVEL_NAMES } from '../log';
import { disabledClusterNames, serviceIsUp, type Scheduler } from './scheduler';
import { requireAdmin } from './volume-type-service';

/** A service row with what the views show beside it. */
export interface ServiceRecord {
  row: ServiceRow;
  up: boolean;
  /** cinder-volume: its backend's state as the scheduler sees it (3.49), null when not active. */
  backendState: string | null;
}

export interface HostUsageRecord {
  project: string;
  volumeCount: number;
  totalVolumeGb: number;
  snapshotCount: number;
  totalSnapshotGb: number;
}

export interface ClusterRecord {
  row: ClusterRow;
  up: boolean;
  numHosts: number;
  numDownHosts: number;
  lastHeartbeat: string | null;
}

export interface LogLevelsRecord {
  binary: string;
  host: string;
  levels: Record<string, string>;
}

export interface CleanupInput {
  serviceId?: number;
  clusterName?: string;
  host?: string;
  binary?: string;
  isUp?: boolean;
  disabled?: boolean;
  resourceId?: string;
  resourceType?: string;
}

/** Binaries set-log and get-log address (cinder/common/constants.py LOG_BINARIES). */
const LOG_BINARIES = ['cinder-scheduler', 'cinder-volume', 'cinder-backup', 'cinder-api'] as const;

/** Python's repr of a str -> str dict, as Cinder's ClusterNotFound prints its filters. */
function pyDict(d: Record<string, string>): string {
  return `{${Object.entries(d)
    .map(([k, v]) => `'${k}': '${v}'`)
    .join(', ')}}`;
}

function parseLevels(json: string | null): Record<string, string> {
  if (!json) return {};
  try {
    return JSON.parse(json) as Record<string, string>;
  } catch {
    return {};
  }
}

export class ServiceRegistry {
  private readonly logLevelListeners: (() => Promise<void>)[] = [];

  constructor(
    private readonly store: Store,
    private readonly scheduler: Scheduler,
    private readonly config: Pick<Config, 'service_down_time'>,
  ) {}

  /** Registers what applies a new log level in this process at once (its heartbeats). */
  onLogLevelSet(listener: () => Promise<void>): void {
    this.logLevelListeners.push(listener);
  }

  private isUp(row: Pick<ServiceRow, 'updated_at' | 'created_at'>, now = Date.now()): boolean {
    return serviceIsUp(row, this.config.service_down_time, now);
  }

  // --- os-services ---------------------------------------------------------------------------------------

  /** GET /os-services: every service, or those of a host (`host` also matches `host@backend`) or binary. */
  async list(ctx: RequestContext, filter: { host?: string; binary?: string }): Promise<ServiceRecord[]> {
    requireAdmin(ctx);
    const rows = await sq.listServices(this.store.db, filter);
    const states = new Map<string, string>();
    for (const b of await this.scheduler.activeBackends()) for (const p of b.pools) states.set(b.service.host, String(p.capabilities.backend_state ?? 'up'));
    const now = Date.now();
    return rows.map((row) => ({ row, up: this.isUp(row, now), backendState: states.get(row.host) ?? null }));
  }

  /**
   * enable, disable, disable-log-reason: the first service of `binary` on `host` (Cinder's get_by_args).
   * Enabling clears the reason; a plain disable keeps the one there was.
   */
  async setEnabled(ctx: RequestContext, input: { host: string; binary: string; enabled: boolean; reason?: string | null }): Promise<void> {
    requireAdmin(ctx);
    const [row] = await sq.listServices(this.store.db, { host: input.host, binary: input.binary });
    if (!row) throw new ServiceNotFoundError(input.binary, input.host);
    const reason = input.enabled ? null : input.reason === undefined ? row.disabled_reason : input.reason;
    await sq.updateService(this.store.db, row.id, { disabled: input.enabled ? 0 : 1, disabled_reason: reason, modified_at: nowIso() });
  }

  /** The cinder-volume services freeze, thaw and failover act on (volume/api.py _get_cluster_and_services_for_replication). */
  private async replicationServices(target: { host?: string; cluster?: string }): Promise<ServiceRow[]> {
    const rows = await sq.listServices(this.store.db, { host: target.host, clusterName: target.cluster, binary: 'cinder-volume' });
    if (rows.length === 0)
      throw new BadRequestError(target.host ? `No service found with host=${target.host}` : `No service found with cluster=${target.cluster}`);
    const key = target.cluster ? 'cluster_name' : 'host';
    if (rows.some((r) => r[key] !== rows[0][key])) throw new BadRequestError('Services from different clusters found.');
    return rows;
  }

  /**
   * freeze / thaw: frozen is set (or cleared) on every service that is not already so; freezing also
   * disables them (reason "frozen"), thawing enables them, as Cinder's volume manager does.
   */
  async setFrozen(ctx: RequestContext, target: { host?: string; cluster?: string }, frozen: boolean): Promise<void> {
    requireAdmin(ctx);
    const rows = await this.replicationServices(target);
    const now = nowIso();
    const notChanged: string[] = [];
    await this.store.transaction(async (trx) => {
      for (const row of rows) {
        const changes = frozen ? { frozen: 1, disabled: 1, disabled_reason: 'frozen' } : { frozen: 0, disabled: 0, disabled_reason: '' };
        if (!(await sq.updateService(trx, row.id, { ...changes, modified_at: now }, { frozen: frozen ? 0 : 1 }))) notChanged.push(row.host);
      }
      if (notChanged.length === rows.length) {
        const hosts = `[${notChanged.map((h) => `'${h}'`).join(', ')}]`;
        throw new InvalidInputError(`No service could be changed: frozen in ${hosts} must be ${frozen ? 'False' : 'True'} to failover.`);
      }
    });
  }

  /** failover_host / failover: nothing here replicates, so no service can be failed over (Cinder's refusal). */
  async failover(ctx: RequestContext, target: { host?: string; cluster?: string }): Promise<never> {
    requireAdmin(ctx);
    const rows = await this.replicationServices(target);
    const hosts = `[${rows.map((r) => `'${r.host}'`).join(', ')}]`;
    throw new InvalidInputError(`No service could be changed: replication_status in ${hosts} must be ['enabled', 'failed-over'] and must be up to failover.`);
  }

  /** The up services set-log and get-log address, and the binaries asked for. */
  private async logTargets(binary: string | undefined, server: string | null | undefined): Promise<{ binaries: readonly string[]; rows: ServiceRow[] }> {
    const binaries: readonly string[] = binary === undefined || binary === '' || binary === '*' ? LOG_BINARIES : [binary];
    const now = Date.now();
    const rows = (await sq.listServices(this.store.db, server ? { hostOrCluster: server } : {})).filter(
      (r) => this.isUp(r, now) && (binaries.includes(r.binary) || (binaries.includes('cinder-api') && r.binary === 'cinder-scheduler')),
    );
    return { binaries, rows };
  }

  static validLevel(level: string | null | undefined): string {
    const upper = (level ?? '').toUpperCase();
    if (!(LOG_LEVEL_NAMES as readonly string[]).includes(upper)) throw new InvalidInputError(`${level ?? ''} is not a valid log level.`);
    return upper;
  }

  /** PUT /os-services/set-log (3.32): every addressed logger whose name starts with `prefix` gets `level`. */
  async setLogLevel(ctx: RequestContext, input: { binary?: string; server?: string | null; prefix?: string | null; level?: string | null }): Promise<void> {
    requireAdmin(ctx);
    const level = ServiceRegistry.validLevel(input.level);
    const prefix = input.prefix ?? '';
    const { rows } = await this.logTargets(input.binary, input.server);
    for (const row of rows) {
      if (Object.keys(parseLevels(row.reported_log_levels)).some((name) => name.startsWith(prefix))) {
        await sq.updateService(this.store.db, row.id, { log_level: level });
      }
    }
    await Promise.all(this.logLevelListeners.map((l) => l()));
  }

  /** PUT /os-services/get-log (3.32): the levels each addressed process reported, of its loggers starting with `prefix`. */
  async getLogLevels(ctx: RequestContext, input: { binary?: string; server?: string | null; prefix?: string | null }): Promise<LogLevelsRecord[]> {
    requireAdmin(ctx);
    const prefix = input.prefix ?? '';
    const { binaries, rows } = await this.logTargets(input.binary, input.server);
    const levelsOf = (row: ServiceRow) => Object.fromEntries(Object.entries(parseLevels(row.reported_log_levels)).filter(([name]) => name.startsWith(prefix)));
    const schedulers = rows.filter((r) => r.binary === 'cinder-scheduler');
    const api = binaries.includes('cinder-api') ? schedulers.map((r) => ({ binary: 'cinder-api', host: r.host, levels: levelsOf(r) })) : [];
    return [...api, ...rows.filter((r) => binaries.includes(r.binary)).map((r) => ({ binary: r.binary, host: r.host, levels: levelsOf(r) }))];
  }

  // --- os-hosts ------------------------------------------------------------------------------------------

  /** GET /os-hosts: the enabled services (of one zone), as hosts. */
  async hosts(ctx: RequestContext, zone?: string): Promise<ServiceRecord[]> {
    requireAdmin(ctx);
    const now = Date.now();
    return (await sq.listServices(this.store.db, { disabled: false }))
      .filter((row) => !zone || row.availability_zone === zone)
      .map((row) => ({ row, up: this.isUp(row, now), backendState: null }));
  }

  /** GET /os-hosts/{host}: the volumes and snapshots on an enabled cinder-volume host, in total and per project. */
  async hostUsage(ctx: RequestContext, host: string): Promise<HostUsageRecord[]> {
    requireAdmin(ctx);
    const [service] = await sq.listServices(this.store.db, { host, topic: 'cinder-volume', disabled: false });
    if (!service) throw new ServiceNotFoundError('cinder-volume', host);
    const [volumes, snapshots] = await Promise.all([sq.volumeUsageOnHost(this.store.db, service.host), sq.snapshotUsageOnHost(this.store.db, service.host)]);
    const perProject = volumes.map((v) => {
      const s = snapshots.find((x) => x.projectId === v.projectId);
      return { project: v.projectId, volumeCount: v.count, totalVolumeGb: v.gigabytes, snapshotCount: s?.count ?? 0, totalSnapshotGb: s?.gigabytes ?? 0 };
    });
    const sum = (k: keyof Omit<HostUsageRecord, 'project'>) => perProject.reduce((n, r) => n + r[k], 0);
    const total = {
      project: '(total)',
      volumeCount: sum('volumeCount'),
      totalVolumeGb: sum('totalVolumeGb'),
      snapshotCount: sum('snapshotCount'),
      totalSnapshotGb: sum('totalSnapshotGb'),
    };
    return [total, ...perProject];
  }

  // --- clusters (3.7) ------------------------------------------------------------------------------------

  private async clusterRecords(rows: ClusterRow[]): Promise<ClusterRecord[]> {
    const services = await sq.listServices(this.store.db);
    const now = Date.now();
    return rows.map((row) => {
      const members = services.filter((s) => s.cluster_name === row.name && s.binary === row.binary);
      const beats = members.map((s) => s.updated_at).filter((t): t is string => t !== null);
      const lastHeartbeat = beats.length ? beats.reduce((a, b) => (b > a ? b : a)) : null;
      return {
        row,
        up: lastHeartbeat !== null && this.isUp({ updated_at: lastHeartbeat, created_at: lastHeartbeat }, now),
        numHosts: members.length,
        numDownHosts: members.filter((s) => !this.isUp(s, now)).length,
        lastHeartbeat,
      };
    });
  }

  /** GET /clusters[/detail]: filters name (host matching), binary, is_up, disabled, num_hosts, num_down_hosts. */
  async clusters(
    ctx: RequestContext,
    f: { name?: string; binary?: string; isUp?: boolean; disabled?: boolean; numHosts?: number; numDownHosts?: number },
  ): Promise<ClusterRecord[]> {
    requireAdmin(ctx);
    const rows = await sq.listClusters(this.store.db, { binary: f.binary, disabled: f.disabled });
    const named =
      f.name === undefined
        ? rows
        : rows.filter((r) => r.name === f.name || r.name.startsWith(`${f.name}#`) || (!f.name!.includes('@') && r.name.startsWith(`${f.name}@`)));
    return (await this.clusterRecords(named)).filter(
      (c) =>
        (f.isUp === undefined || c.up === f.isUp) &&
        (f.numHosts === undefined || c.numHosts === f.numHosts) &&
        (f.numDownHosts === undefined || c.numDownHosts === f.numDownHosts),
    );
  }

  private async requireCluster(name: string, binary: string | null): Promise<ClusterRow> {
    const row = binary === null ? undefined : await sq.getCluster(this.store.db, name, binary);
    if (!row) throw new ClusterNotFoundError(pyDict({ binary: binary ?? 'None', name }));
    return row;
  }

  async cluster(ctx: RequestContext, name: string): Promise<ClusterRecord> {
    requireAdmin(ctx);
    return (await this.clusterRecords([await this.requireCluster(name, 'cinder-volume')]))[0];
  }

  /** PUT /clusters/enable|disable: the whole cluster takes new work again, or no more. */
  async setClusterEnabled(
    ctx: RequestContext,
    input: { name: string; binary: string | null; enabled: boolean; reason: string | null },
  ): Promise<ClusterRecord> {
    requireAdmin(ctx);
    const row = await this.requireCluster(input.name, input.binary);
    const changes = { disabled: input.enabled ? 0 : 1, disabled_reason: input.enabled ? null : input.reason, updated_at: nowIso() };
    await sq.updateCluster(this.store.db, row.id, changes);
    return (await this.clusterRecords([{ ...row, ...changes }]))[0];
  }

  // --- workers cleanup (3.24) ------------------------------------------------------------------------------

  /**
   * POST /workers/cleanup: the matching services (default: the down ones) have their running operations
   * put back to pending, so the next worker that serves them resumes them at once instead of waiting
   * for the leases to run out. A down service's operations all go back (nobody renews their leases); an
   * up one's only those whose lease ran out. The operations of a worker are those its lease owners
   * (`host/pid/...`) hold that it serves: targeted at its host string, or untargeted for its backend (and,
   * when no other cinder-volume service of that host is up, for no backend in particular).
   */
  async cleanup(ctx: RequestContext, input: CleanupInput): Promise<{ cleaning: ServiceRow[]; unavailable: ServiceRow[] }> {
    requireAdmin(ctx);
    const now = Date.now();
    const all = await sq.listServices(this.store.db, {
      id: input.serviceId,
      host: input.host,
      clusterName: input.clusterName,
      binary: input.binary,
    });
    const disabledClusters = input.disabled === undefined ? new Set<string>() : await disabledClusterNames(this.store.db, input.binary ?? 'cinder-volume');
    const isUp = input.isUp ?? false;
    const matched = all.filter(
      (s) =>
        this.isUp(s, now) === isUp &&
        (input.disabled === undefined || (s.disabled === 1 || (s.cluster_name !== null && disabledClusters.has(s.cluster_name))) === input.disabled),
    );
    if (input.resourceId && input.serviceId === undefined && input.host === undefined && input.clusterName === undefined) {
      const pending = await sq.countRunningOperationsOf(this.store.db, input.resourceId, input.resourceType?.toLowerCase());
      if (pending === 0) throw new InvalidInputError(`There is no resource with UUID ${input.resourceId} pending cleanup.`);
    }
    const volumeServices = await sq.listServices(this.store.db, { binary: 'cinder-volume' });
    const stamp = nowIso();
    for (const s of matched) {
      if (s.binary === 'cinder-scheduler') continue; // API processes hold no operation leases
      const ownerHost = s.host.split('@')[0];
      const othersUp = volumeServices.some((v) => v.id !== s.id && v.host.split('@')[0] === ownerHost && this.isUp(v, now));
      const scope: sq.ServiceOperations =
        s.binary === 'cinder-backup'
          ? { ownerHost, targetHost: s.host, backend: null, anyBackend: true, resourceTypes: ['backup'] }
          : { ownerHost, targetHost: s.host, backend: s.host.split('@')[1] ?? null, anyBackend: !othersUp };
      const resource = input.resourceId ? { id: input.resourceId, type: input.resourceType?.toLowerCase() } : undefined;
      await sq.requeueServiceOperations(this.store.db, scope, stamp, { expiredBefore: this.isUp(s, now) ? stamp : undefined, resource });
    }
    return { cleaning: matched, unavailable: [] };
  }
}

/** A resource type the workers cleanup accepts (Cinder's cleanable types), title-cased; else 400. */
export function cleanableResourceType(raw: string): 'Volume' | 'Snapshot' {
  // Python's str.title()
  const t = raw.replace(/[a-zA-Z]+/g, (w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase());
  if (t !== 'Volume' && t !== 'Snapshot') throw new InvalidInputError(`Resource type ${t} not valid, must be Volume or Snapshot`);
  return t;
}
