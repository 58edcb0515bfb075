/*
 * Volume migration (issue 16): os-migrate_volume, os-migrate_volume_completion, and the retype that must
 * move a volume because its pool cannot serve the new type (`migration_policy: on-demand`). The API checks
 * and marks the volume (migration_status `starting`, as cinder/volume/api.py migrate_volume), in one
 * transaction with the operation; the worker moves the data (worker/operations/migrate-volume.ts).
 *
 * Differences from Cinder, on purpose: the volume keeps its id and its data is found by id on the new
 * pool, so there is no temporary target volume; `os-migrate_volume_completion` (Nova's call after it has
 * copied an attached volume) therefore has nothing to swap, and an attached (`in-use`) volume cannot be
 * migrated, since no hypervisor swap is driven from here.
 */
import type { RequestContext } from '../context';
import type { Store, Db } from '../db/store';
import type { VolumeRow } from '../db/schema';
import { snapshotsOfVolume } from '../db/queries/snapshots';
import { updateVolume } from '../db/queries/volumes';
import { nowIso } from '../db/time';
import { BadRequestError, InvalidVolumeError } from '../errors';
import { satisfiesExtraSpecs } from './backend-capabilities';
import { LIST_SOURCES, requireVisible } from './list-pipeline';
import type { MigrateVolumePayload } from './operation-payloads';
import type { OperationQueue } from './operation-queue';
import { NoValidBackendError, type Scheduler } from './scheduler';
import { NOT_MIGRATING } from './volume-states';
import { requireAdmin } from './volume-type-service';

/** cinder/volume/api.py's text when a migration cannot start. */
const MIGRATE_REFUSED_REASON =
  'Volume %s status must be available or in-use, must not be migrating, have snapshots, be replicated, be part of a group and destination host/cluster must be different than the current one';

export interface MigrateInput {
  host: string | null;
  cluster: string | null;
  lockVolume: boolean;
}

/** What a retype must do about the volume's data (operation-payloads.ts RetypeVolumePayload). */
export interface RetypePlan {
  migrate_to: string | null;
  refused: string | null;
}

export class MigrationService {
  constructor(
    private readonly store: Store,
    private readonly queue: OperationQueue,
    private readonly scheduler: Scheduler,
  ) {}

  /** os-migrate_volume (admin): to the pool of `host` (`host@backend[#pool]`) or of `cluster`. */
  async migrate(ctx: RequestContext, id: string, input: MigrateInput): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      const dest = await this.destination(trx, input);
      const refused = () => new InvalidVolumeError(MIGRATE_REFUSED_REASON.replace('%s', id));
      if (!['available', 'in-use'].includes(row.status) || !NOT_MIGRATING.includes(row.migration_status) || row.host === null || row.host === dest) {
        throw refused();
      }
      if ((await snapshotsOfVolume(trx, id)).length > 0) throw refused();
      if (row.status === 'in-use') {
        throw new InvalidVolumeError(
          `Volume ${id} is attached: an attached volume is moved by its hypervisor (Nova's swap), which this service does not drive. Detach it first.`,
        );
      }
      const status = input.lockVolume ? 'maintenance' : row.status;
      if (!(await updateVolume(trx, id, { migration_status: 'starting', previous_status: row.status, status, updated_at: nowIso() }, [row.status])))
        throw refused();
      const payload: MigrateVolumePayload = { phase: 'copy', source_host: row.host, dest_host: dest };
      await this.queue.enqueue(trx, ctx, { kind: 'migrate_volume', resourceType: 'volume', resourceId: id, payload });
    });
    this.queue.notify();
  }

  /**
   * os-migrate_volume_completion (admin), Cinder's checks. Migrations here finish by themselves without a
   * target volume, so a completion of one that is still under way has nothing to do (400).
   */
  async complete(ctx: RequestContext, id: string, newVolumeId: string): Promise<string> {
    requireAdmin(ctx);
    const volume = await requireVisible(LIST_SOURCES.volumes, ctx, id, this.store.db);
    const target = await requireVisible(LIST_SOURCES.volumes, ctx, newVolumeId, this.store.db);
    if (!volume.migration_status && !target.migration_status) return target.id;
    if (!volume.migration_status) throw new InvalidVolumeError('Source volume not mid-migration.');
    if (!target.migration_status) throw new InvalidVolumeError('Destination volume not mid-migration.');
    const expected = `target:${volume.id}`;
    if (target.migration_status !== expected) {
      throw new InvalidVolumeError(`Destination has migration_status ${target.migration_status}, expected ${expected}.`);
    }
    throw new BadRequestError(`Volume ${id} is migrated by its worker, which completes the migration itself; there is nothing to complete.`);
  }

  /**
   * What a retype to a type with these extra specs must do (the check Cinder's scheduler makes in
   * find_retype_backend): nothing when the volume's pool serves them (or has not reported), else move to
   * the best other pool when the policy allows it, else fail with Cinder's reason.
   */
  async retypePlan(db: Db, volume: VolumeRow, specs: Record<string, string>, policy: string | null): Promise<RetypePlan> {
    const none = { migrate_to: null, refused: null };
    if (!volume.host) return none;
    const pool = await this.scheduler.activePool(db, volume.host);
    if (!pool || satisfiesExtraSpecs(pool.capabilities, specs)) return none;
    if (policy !== 'on-demand') return { migrate_to: null, refused: 'Retype requires migration but is not allowed.' };
    if ((await snapshotsOfVolume(db, volume.id)).length > 0) return { migrate_to: null, refused: 'Volume must not have snapshots.' };
    if (volume.status !== 'available') return { migrate_to: null, refused: 'An attached volume cannot be migrated here: detach it first.' };
    const dest = await this.scheduler.bestPool(db, specs, volume, volume.host);
    return dest ? { migrate_to: dest, refused: null } : { migrate_to: null, refused: new NoValidBackendError().message };
  }

  /** The active pool a migration goes to; Cinder's InvalidHost (400) when no such service is up and enabled. */
  private async destination(db: Db, input: MigrateInput): Promise<string> {
    const name = input.cluster ?? input.host ?? '';
    const pools = (await this.scheduler.activeBackends(db)).flatMap((b) => b.pools.map((p) => ({ pool: p.name, service: b.service })));
    const match = pools.find((p) =>
      input.cluster ? p.service.cluster_name === input.cluster : p.pool === name || p.service.host === name || p.pool.split('#')[0] === name,
    );
    if (!match) throw new BadRequestError(`Invalid host: No available service named '${name}'`);
    return match.pool;
  }
}
