/*
 * The scheduler (Cinder's cinder-scheduler, played by the API processes): which backends can take new
 * volumes, from what the workers publish on their heartbeats (backend-capabilities.ts), and the pools
 * and capabilities the admin API shows (`GET /scheduler-stats/get_pools`, `GET /capabilities/{host}`).
 *
 * Placing a new volume (a create from nothing; clones and volumes from snapshots go where their source
 * is): the active backends are the cinder-volume services that are up, enabled (and not in a disabled
 * cluster), not frozen, in the volume's zone; a pool qualifies if its capabilities meet the type's extra
 * specs (CapabilitiesFilter) and it has room for the volume (CapacityFilter). Then:
 * - no pool qualifies: the volume goes to `error` with Cinder's "No valid backend" user message, in the
 *   create's own transaction (operation-queue.ts), never to `available`;
 * - otherwise it is targeted at the qualifying pool with the most free space (Cinder's CapacityWeigher).
 * Free space is what the pool published on its last heartbeat. Not less what was placed since: file
 * volumes are sparse, and the filesystem's free space (what an unlimited backend publishes) does not shrink
 * as they are made, so counting them as used would refuse creates the backend takes (hundreds of 1 GB
 * volumes under load). A backend with `capacity_gb` counts its files in full when it reports.
 * When no cinder-volume service has ever reported (a fresh store, tests that drive workers by hand), it
 * stays untargeted and the worker that takes it checks the specs against its own capabilities.
 */
import type { Config } from '../config';
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import type { ServiceRow } from '../db/admin-schema';
import type { VolumeRow } from '../db/schema';
import { listClusters, listServices } from '../db/queries/services';
import { extraSpecsFor } from '../db/queries/volume-types';
import { NotFoundError } from '../errors';
import { parseCapabilities, poolView, satisfiesExtraSpecs, type BackendCapabilities } from './backend-capabilities';
import { requireAdmin, type TypeService } from './volume-type-service';

/** What the scheduler reports when no backend qualifies (cinder.exception.NoValidBackend). */
export class NoValidBackendError extends Error {
  override name = 'NoValidBackendError';
  /** Retrying cannot help: the worker fails the operation at once. */
  readonly permanent = true;
  constructor(reason = 'No weighed backends available') {
    super(`No valid backend was found. ${reason}`);
  }
}

/** Up: the last heartbeat (or the creation) is at most service_down_time old (Cinder's is_up). */
export function serviceIsUp(row: Pick<ServiceRow, 'updated_at' | 'created_at'>, downTimeSeconds: number, now = Date.now()): boolean {
  const last = Date.parse(`${row.updated_at ?? row.created_at}Z`);
  return Math.abs(now - last) <= downTimeSeconds * 1000;
}

/** A service takes no new work when it, or its cluster, is disabled. */
export async function disabledClusterNames(db: Db, binary: string): Promise<Set<string>> {
  return new Set((await listClusters(db, { binary, disabled: true })).map((c) => c.name));
}

export function schedulingDisabled(row: ServiceRow, disabledClusters: ReadonlySet<string>): boolean {
  return row.disabled === 1 || (row.cluster_name !== null && disabledClusters.has(row.cluster_name));
}

/** A pool as get_pools shows it: `host@backend#pool` and its capabilities (backend-level keys merged in). */
export interface PoolRecord {
  name: string;
  capabilities: Record<string, unknown>;
}

/** One active backend: its service row, what it published, and its pools. */
export interface ActiveBackend {
  service: ServiceRow;
  capabilities: BackendCapabilities;
  pools: PoolRecord[];
}

function poolsOf(service: ServiceRow, caps: BackendCapabilities): PoolRecord[] {
  return caps.pools.map((p) => ({ name: `${service.host}#${p.pool_name}`, capabilities: poolView(caps, p) }));
}

/** A `volume_backend_name` extra spec given as a plain value (no operator), which untargeted claims honour. */
export function requestedBackendName(specs: Record<string, string>): string | null {
  const value = specs.volume_backend_name ?? specs['capabilities:volume_backend_name'];
  return value !== undefined && !/^\s*(<\w+>|[=!<>]=?|s[=!<>]=?)\s/.test(value) ? value : null;
}

/** Where a new volume's create_volume goes: untargeted (maybe for one backend name), one pool, or nowhere. */
export type Placement = { host: null; backend: string | null } | { host: string; backend: null } | 'no-valid-backend';

/**
 * The worker side of the check: a worker about to create a volume whose type its pool cannot serve
 * refuses it (a create placed before any worker had reported reaches any worker). `pool` is asked for
 * only when the type has extra specs.
 */
export async function requireCapabilitiesFor(db: Db, volumeTypeId: string, pool: () => Promise<Record<string, unknown>>): Promise<void> {
  const specs = (await extraSpecsFor(db, [volumeTypeId])).get(volumeTypeId) ?? {};
  if (Object.keys(specs).length > 0 && !satisfiesExtraSpecs(await pool(), specs)) throw new NoValidBackendError();
}

export class Scheduler {
  constructor(
    private readonly store: Store,
    private readonly types: TypeService,
    private readonly config: Pick<Config, 'service_down_time'>,
  ) {}

  /** Backends that take new volumes now (host_manager's backend_state_map). */
  async activeBackends(db: Db = this.store.db): Promise<ActiveBackend[]> {
    return this.activeAmong(await listServices(db, { binary: 'cinder-volume' }), await disabledClusterNames(db, 'cinder-volume'));
  }

  private activeAmong(services: ServiceRow[], disabledClusters: ReadonlySet<string>): ActiveBackend[] {
    const now = Date.now();
    const out: ActiveBackend[] = [];
    for (const service of services) {
      const capabilities = parseCapabilities(service.capabilities);
      if (!capabilities || schedulingDisabled(service, disabledClusters) || service.frozen === 1) continue;
      if (!serviceIsUp(service, this.config.service_down_time, now)) continue;
      out.push({ service, capabilities, pools: poolsOf(service, capabilities) });
    }
    return out;
  }

  /** GET /scheduler-stats/get_pools: the active pools, by exact name and (3.35) by what a type needs. */
  async pools(ctx: RequestContext, filter: { name?: string; volumeType?: string }): Promise<PoolRecord[]> {
    requireAdmin(ctx);
    let pools = (await this.activeBackends()).flatMap((b) => b.pools);
    if (filter.name !== undefined) pools = pools.filter((p) => p.name === filter.name);
    if (filter.volumeType !== undefined) {
      const type = await this.types.resolve(this.store.db, filter.volumeType);
      const specs = (await extraSpecsFor(this.store.db, [type.id])).get(type.id) ?? {};
      pools = pools.filter((p) => satisfiesExtraSpecs(p.capabilities, specs));
    }
    return pools;
  }

  /**
   * GET /capabilities/{host}: what the cinder-volume service of `host` (or of the cluster of that name)
   * last published, and its topic (the cluster name, else the host). 404 when no such service exists.
   */
  async capabilities(ctx: RequestContext, host: string): Promise<{ topic: string; capabilities: BackendCapabilities | null }> {
    requireAdmin(ctx);
    const [service] = await listServices(this.store.db, { hostOrCluster: host, binary: 'cinder-volume' });
    if (!service) throw new NotFoundError(`Can't find service: ${host}`);
    return { topic: service.cluster_name ?? service.host, capabilities: parseCapabilities(service.capabilities) };
  }

  /** Where the create_volume of a new volume from nothing goes (see the note at the top). */
  async placeNewVolume(db: Db, volume: Pick<VolumeRow, 'volume_type_id' | 'availability_zone' | 'size'>): Promise<Placement> {
    const specs = (await extraSpecsFor(db, [volume.volume_type_id])).get(volume.volume_type_id) ?? {};
    if ((await listServices(db, { binary: 'cinder-volume' })).length === 0) return { host: null, backend: requestedBackendName(specs) };
    const best = await this.bestPool(db, specs, volume);
    return best ? { host: best, backend: null } : 'no-valid-backend';
  }

  /**
   * The active pool that best takes a volume of `size` GB with these extra specs in `zone`: filtered by
   * capabilities and capacity, weighed by free space. `exclude` leaves out a pool (a migration's source).
   */
  async bestPool(
    db: Db,
    specs: Record<string, string>,
    volume: Pick<VolumeRow, 'availability_zone' | 'size'>,
    exclude: string | null = null,
  ): Promise<string | null> {
    const active = await this.activeBackends(db);
    const passing = active
      .filter((b) => b.service.availability_zone === volume.availability_zone)
      .flatMap((b) => b.pools)
      .filter((p) => p.name !== exclude && satisfiesExtraSpecs(p.capabilities, specs))
      .map((p) => ({ pool: p, free: Number(p.capabilities.free_capacity_gb) }))
      .filter((c) => hasRoomFor(c.pool, c.free, volume.size));
    if (passing.length === 0) return null;
    // CapacityWeigher: the most free space wins; ties go to the first pool reported.
    return passing.reduce((a, b) => (b.free > a.free ? b : a)).pool.name;
  }

  /** The active pool of this name (`host@backend#pool`), or undefined when it is down, disabled or unknown. */
  async activePool(db: Db, name: string): Promise<PoolRecord | undefined> {
    return (await this.activeBackends(db)).flatMap((b) => b.pools).find((p) => p.name === name);
  }
}

/**
 * CapacityFilter (thick provisioning, as the file backend): room for `sizeGb` after the reserved share of
 * the pool. A pool that reports `infinite` or `unknown` space always passes, as in Cinder.
 */
function hasRoomFor(pool: PoolRecord, freeGb: number, sizeGb: number): boolean {
  const caps = pool.capabilities;
  if (['infinite', 'unknown'].includes(String(caps.free_capacity_gb))) return true;
  const reserved = (Number(caps.total_capacity_gb) * Number(caps.reserved_percentage ?? 0)) / 100;
  return freeGb - Math.floor(reserved) >= sizeGb;
}
