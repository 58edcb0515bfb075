/*
 * The backup service: backups of volumes (create with quota, list, show, update, delete), the admin
 * actions (os-reset_status, os-force_delete), restore into a new or an existing volume, export and import
 * of backup records, and `backupSourceFor` (volume create with `backup_id`). As in the other services,
 * every state change is one transaction: guarded status updates, quota usage and the operation row for
 * the worker; after the commit it wakes the worker. Rules and messages are Cinder's (cinder/backup/api.py,
 * cinder/api/contrib/backups.py, cinder/api/v3/backups.py, docs/api.md "Backups").
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import type { BackupRow } from '../db/backup-schema';
import type { VolumeRow } from '../db/schema';
import * as bq from '../db/queries/backups';
import * as vq from '../db/queries/volumes';
import { updateSnapshot } from '../db/queries/snapshots';
import { addUsage } from '../db/queries/quotas';
import { nowIso } from '../db/time';
import { InvalidBackupError, InvalidInputError, InvalidSnapshotError, InvalidVolumeError, QuotaExceededError, ServiceUnavailableError } from '../errors';
import { LIST_SOURCES, listRecords, requireVisible, type LIST_COLUMNS, type ListInput } from './list-pipeline';
import type { OperationQueue } from './operation-queue';
import type { QuotaService } from './quota-service';
import type { TypeService } from './volume-type-service';
import { requireAdmin } from './volume-type-service';
import { nameAndDescriptionChanges, newVolumeRow, ownerColumns } from './rows';
import { StatusActions, type StatusTable } from './status-actions';

/**
 * The `backup_service` of exported records. Cinder names a backup driver by its class path, and Tempest
 * and cinderclient expect a name under `cinder.backup.drivers.`. Our driver is a posix-filesystem driver
 * like Cinder's PosixBackupDriver (chunks, compressed, sha256-checked, incrementals, in a directory),
 * but what it writes there is its own layout, which Cinder's driver cannot read (nor ours Cinder's). So
 * it is named as ours: Cinder's import refuses the record at once ("cannot find backup service")
 * instead of accepting, under its posix name, a backup it could not restore.
 */
export const POSIX_SERVICE_NAME = 'cinder.backup.drivers.volume_api.PosixBackupDriver';

/**
 * The `backup_service` names import accepts: ours, the one exported before issue 15, and Cinder's posix
 * driver's (by module, and by class as Cinder exports it). A Cinder record names its data by Cinder's
 * object prefix (service_metadata), so its import ends in `error` unless that data is in our storage.
 */
const IMPORTABLE_SERVICES: readonly string[] = [
  POSIX_SERVICE_NAME,
  'volume_api.backup.drivers.posix',
  'cinder.backup.drivers.posix',
  'cinder.backup.drivers.posix.PosixBackupDriver',
];

export const BACKUP_RESETTABLE = ['available', 'error'] as const;
/** The volume id of an imported backup (Cinder's placeholder). */
export const IMPORTED_VOLUME_ID = '00000000-0000-0000-0000-000000000000';

export interface BackupRecord {
  row: BackupRow;
  metadata: Record<string, string>;
  hasDependents: boolean;
}

export interface CreateBackupInput {
  volumeId: string;
  name?: string | null;
  description?: string | null;
  container?: string | null;
  incremental: boolean;
  force: boolean;
  snapshotId?: string | null;
  metadata?: Record<string, string> | null;
}

export interface UpdateBackupInput {
  name?: string | null;
  description?: string | null;
  metadata?: Record<string, string> | null;
}

/** A parsed backup list query (src/api/list-query.ts). */
export type BackupListInput = ListInput<bq.BackupFilter, (typeof LIST_COLUMNS.backups.sort)[number]>;

export interface RestoreResult {
  backup_id: string;
  volume_id: string;
  volume_name: string | null;
}

/** Backups for DELETE, os-force_delete and os-reset_status. */
const BACKUP_STATUS: StatusTable<BackupRow> = {
  source: LIST_SOURCES.backups,
  update: bq.updateBackup,
  deletableFrom: ['available', 'error'],
  notDeletable: () => new InvalidBackupError('Backup status must be available or error'),
  async refuseDelete(db, id) {
    if ((await bq.withDependents(db, [id])).has(id)) throw new InvalidBackupError('Incremental backups exist for this backup.');
  },
  deleteOperation: { kind: 'delete_backup', resourceType: 'backup' },
};

export class BackupService {
  private readonly statusActions: StatusActions<BackupRow>;

  constructor(
    private readonly store: Store,
    private readonly queue: OperationQueue,
    private readonly quota: QuotaService,
    private readonly types: TypeService,
    private readonly config: Pick<Config, 'storage_availability_zone'>,
  ) {
    this.statusActions = new StatusActions(store, queue, BACKUP_STATUS);
  }

  async records(db: Db, rows: BackupRow[]): Promise<BackupRecord[]> {
    const ids = rows.map((r) => r.id);
    const [metadata, dependents] = await Promise.all([bq.backupMetadataFor(db, ids), bq.withDependents(db, ids)]);
    return rows.map((row) => ({ row, metadata: metadata.get(row.id) ?? {}, hasDependents: dependents.has(row.id) }));
  }

  async get(ctx: RequestContext, id: string): Promise<BackupRecord> {
    const row = await requireVisible(LIST_SOURCES.backups, ctx, id, this.store.db);
    return (await this.records(this.store.db, [row]))[0];
  }

  /** Checks and consumes `backups` +1 and `backup_gigabytes` +size, inside the caller's transaction. */
  private async consumeQuota(trx: Db, projectId: string, size: number): Promise<void> {
    const usage = await this.quota.usage(trx, projectId);
    const count = usage.backups;
    if (count && count.limit >= 0 && count.in_use + count.reserved + 1 > count.limit) {
      throw new QuotaExceededError('BackupLimitExceeded', `Maximum number of backups allowed (${count.limit}) exceeded`);
    }
    const gb = usage.backup_gigabytes;
    if (gb && gb.limit >= 0 && gb.in_use + gb.reserved + size > gb.limit) {
      throw new QuotaExceededError(
        'VolumeBackupSizeExceedsAvailableQuota',
        `Requested backup exceeds allowed Backup gigabytes quota. Requested ${size}G, quota is ${gb.limit}G and ${gb.in_use + gb.reserved}G has been consumed.`,
      );
    }
    await addUsage(trx, projectId, 'backups', 1);
    await addUsage(trx, projectId, 'backup_gigabytes', size);
  }

  /** POST /backups: checks in Cinder's order, then the row, the source's status, quota and the operation. */
  async create(ctx: RequestContext, input: CreateBackupInput): Promise<BackupRecord> {
    const id = randomUUID();
    const record = await this.store.transaction(async (trx) => {
      const volume = await requireVisible(LIST_SOURCES.volumes, ctx, input.volumeId, trx);
      let snapshotCreatedAt: string | undefined;
      if (input.snapshotId) {
        const snapshot = await requireVisible(LIST_SOURCES.snapshots, ctx, input.snapshotId, trx);
        if (snapshot.volume_id !== volume.id) throw new InvalidVolumeError(`Volume ${volume.id} does not match with snapshot.volume_id ${snapshot.volume_id}.`);
        if (snapshot.status !== 'available')
          throw new InvalidSnapshotError(`Snapshot to be backed up must be available, but the current status is "${snapshot.status}".`);
        snapshotCreatedAt = snapshot.created_at;
      } else if (volume.status !== 'available' && volume.status !== 'in-use') {
        throw new InvalidVolumeError(`Volume to be backed up must be available or in-use, but the current status is "${volume.status}".`);
      } else if (volume.status === 'in-use' && !input.force) {
        throw new InvalidVolumeError('Backing up an in-use volume must use the force flag.');
      }
      await this.consumeQuota(trx, ctx.projectId, volume.size);
      let parentId: string | null = null;
      if (input.incremental) {
        const latest = await bq.latestBackupOfVolume(trx, volume.id, ctx.projectId);
        if (!latest) throw new InvalidBackupError('No backups available to do an incremental backup.');
        if (latest.status !== 'available') throw new InvalidBackupError('The parent backup must be available for incremental backup.');
        parentId = latest.id;
      }
      const now = nowIso();
      await bq.insertBackup(trx, {
        id,
        ...ownerColumns(ctx),
        volume_id: volume.id,
        snapshot_id: input.snapshotId ?? null,
        parent_id: parentId,
        name: input.name ?? null,
        description: input.description ?? null,
        container: input.container ?? null,
        availability_zone: null,
        size: volume.size,
        object_count: 0,
        status: 'creating',
        fail_reason: null,
        data_timestamp: snapshotCreatedAt ?? now,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      });
      if (input.metadata) await bq.replaceBackupMetadata(trx, id, input.metadata);
      if (input.snapshotId) {
        if (!(await updateSnapshot(trx, input.snapshotId, { status: 'backing-up', updated_at: now }, ['available']))) {
          throw new InvalidSnapshotError('Snapshot to be backed up must be available.');
        }
      } else if (!(await vq.updateVolume(trx, volume.id, { status: 'backing-up', previous_status: volume.status, updated_at: now }, [volume.status]))) {
        throw new InvalidVolumeError('Volume to be backed up must be available or in-use.');
      }
      await this.queue.enqueue(trx, ctx, { kind: 'create_backup', resourceType: 'backup', resourceId: id });
      return (await this.records(trx, [(await bq.getBackup(trx, id))!]))[0];
    });
    this.queue.notify();
    return record;
  }

  async list(ctx: RequestContext, input: BackupListInput): Promise<{ records: BackupRecord[]; count?: number }> {
    return listRecords(this.store.db, ctx, input, LIST_SOURCES.backups, {}, (db, rows) => this.records(db, rows));
  }

  /** PUT /backups/{id} (3.9+): name, description, metadata (3.43+, replaces the set); any status. */
  async update(ctx: RequestContext, id: string, input: UpdateBackupInput): Promise<BackupRecord> {
    return this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.backups, ctx, id, trx);
      const changes = nameAndDescriptionChanges(input);
      await bq.updateBackup(trx, id, { ...changes, updated_at: nowIso() });
      if (input.metadata !== undefined) await bq.replaceBackupMetadata(trx, id, input.metadata ?? {});
      return (await this.records(trx, [{ ...row, ...changes }]))[0];
    });
  }

  /** DELETE (available/error) and os-force_delete (admin, any status); refused while incrementals depend on it. */
  async delete(ctx: RequestContext, id: string, opts: { force: boolean } = { force: false }): Promise<void> {
    await this.statusActions.delete(ctx, id, opts.force);
  }

  async resetStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    await this.statusActions.resetStatus(ctx, id, status);
  }

  /**
   * POST /backups/{id}/restore. With `volume_id`: that volume (available, large enough) is overwritten.
   * Without: a new volume of the backup's size is created (quota consumed here), named `name` or
   * `restore_backup_<id>`. Backup → `restoring`, volume → `restoring-backup`, one restore_backup operation.
   */
  async restore(ctx: RequestContext, id: string, input: { volumeId?: string | null; name?: string | null }): Promise<RestoreResult> {
    const result = await this.store.transaction(async (trx) => {
      const backup = await requireVisible(LIST_SOURCES.backups, ctx, id, trx);
      if (backup.status !== 'available') throw new InvalidBackupError('Backup status must be available');
      const now = nowIso();
      let volume: VolumeRow;
      if (input.volumeId) {
        volume = await requireVisible(LIST_SOURCES.volumes, ctx, input.volumeId, trx);
        if (volume.status !== 'available') throw new InvalidVolumeError('Volume to be restored to must be available');
        if (volume.size < backup.size) throw new InvalidVolumeError(`volume size ${volume.size} is too small to restore backup of size ${backup.size}.`);
        if (!(await vq.updateVolume(trx, volume.id, { status: 'restoring-backup', updated_at: now }, ['available']))) {
          throw new InvalidVolumeError('Volume to be restored to must be available');
        }
      } else {
        const type = await this.types.defaultTypeFor(trx, ctx.projectId);
        await this.quota.consumeVolume(trx, ctx.projectId, type.name, backup.size);
        const volumeId = randomUUID();
        const fields = {
          id: volumeId,
          name: input.name ?? `restore_backup_${backup.id}`,
          description: 'auto-created_from_restore_from_backup',
          size: backup.size,
          status: 'restoring-backup',
          availability_zone: this.config.storage_availability_zone,
          volume_type_id: type.id,
        };
        await vq.insertVolume(trx, newVolumeRow(ctx, fields, now));
        volume = (await vq.getVolume(trx, volumeId))!;
      }
      await bq.updateBackup(trx, backup.id, { status: 'restoring', updated_at: now }, ['available']);
      const payload = { backup_id: backup.id };
      await this.queue.enqueue(trx, ctx, { kind: 'restore_backup', resourceType: 'volume', resourceId: volume.id, payload });
      return { backup_id: backup.id, volume_id: volume.id, volume_name: volume.name };
    });
    this.queue.notify();
    return result;
  }

  /**
   * GET /backups/{id}/export_record (admin): the backup as Cinder encodes it (objects/backup.py
   * encode_record: base64 JSON of the Backup object's fields and `driver_info`), so the fields Cinder's
   * import requires are there (display_name, display_description, container, size, service_metadata,
   * object_count, id). service_metadata is where the data is (backupDataId).
   */
  async exportRecord(ctx: RequestContext, id: string): Promise<{ backup_service: string; backup_url: string }> {
    requireAdmin(ctx);
    const record = await this.get(ctx, id);
    const row = record.row;
    if (row.status !== 'available') throw new InvalidBackupError('Backup status must be available and not creating.');
    const fields = {
      id: row.id,
      user_id: row.user_id,
      project_id: row.project_id,
      volume_id: row.volume_id,
      availability_zone: row.availability_zone,
      container: row.container,
      parent_id: row.parent_id,
      status: row.status,
      fail_reason: row.fail_reason,
      size: row.size,
      display_name: row.name,
      display_description: row.description,
      service_metadata: bq.backupDataId(row),
      service: POSIX_SERVICE_NAME,
      object_count: row.object_count,
      snapshot_id: row.snapshot_id,
      data_timestamp: row.data_timestamp,
      metadata: record.metadata,
      created_at: row.created_at,
      updated_at: row.updated_at,
      deleted_at: row.deleted_at,
      deleted: false,
      driver_info: {},
    };
    return { backup_service: POSIX_SERVICE_NAME, backup_url: Buffer.from(JSON.stringify(fields), 'utf8').toString('base64') };
  }

  /**
   * POST /backups/import_record (admin): a new `creating` backup with the record's id and size (volume id
   * the zero UUID), quota consumed; the import_backup operation makes it `available` if the backup
   * storage holds its data (service_metadata, else the id), `error` otherwise. Reads Cinder's record
   * (display_name, display_description) and ours from before issue 15 (name, description).
   */
  async importRecord(ctx: RequestContext, service: string, url: string): Promise<BackupRecord> {
    requireAdmin(ctx);
    if (!IMPORTABLE_SERVICES.includes(service)) throw new ServiceUnavailableError(`Service ${service} could not be found.`);
    let decoded: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(url, 'base64').toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      decoded = parsed as Record<string, unknown>;
    } catch {
      throw new InvalidInputError("Can't parse backup record.");
    }
    const id = decoded.id;
    const size = decoded.size;
    if (
      typeof id !== 'string' ||
      !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(id) ||
      typeof size !== 'number' ||
      !Number.isInteger(size) ||
      size < 1
    ) {
      throw new InvalidInputError('The backup record is missing a valid id or size.');
    }
    const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
    const named = (cinderKey: string, oldKey: string) => str(cinderKey in decoded ? decoded[cinderKey] : decoded[oldKey]);
    const record = await this.store.transaction(async (trx) => {
      const existing = await bq.getBackupAnyState(trx, id);
      if (existing && existing.deleted === 0) throw new InvalidBackupError('Backup already exists in database.');
      if (existing) await bq.purgeDeletedBackup(trx, id);
      await this.consumeQuota(trx, ctx.projectId, size);
      const now = nowIso();
      await bq.insertBackup(trx, {
        id,
        ...ownerColumns(ctx),
        volume_id: IMPORTED_VOLUME_ID,
        snapshot_id: null,
        parent_id: str(decoded.parent_id),
        name: named('display_name', 'name'),
        description: named('display_description', 'description'),
        container: str(decoded.container),
        availability_zone: str(decoded.availability_zone),
        size,
        object_count: typeof decoded.object_count === 'number' ? decoded.object_count : 0,
        status: 'creating',
        fail_reason: null,
        service_metadata: str(decoded.service_metadata),
        data_timestamp: str(decoded.data_timestamp) ?? now,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      });
      const metadata = decoded.metadata;
      if (metadata && typeof metadata === 'object' && !Array.isArray(metadata)) await bq.replaceBackupMetadata(trx, id, metadata as Record<string, string>);
      await this.queue.enqueue(trx, ctx, { kind: 'import_backup', resourceType: 'backup', resourceId: id });
      return (await this.records(trx, [(await bq.getBackup(trx, id))!]))[0];
    });
    this.queue.notify();
    return record;
  }
}

/**
 * Volume create with `backup_id` (Cinder honours it at every microversion): the backup must be visible
 * (404) and `available` (400); the size defaults to the backup's and may not be smaller. Marks the
 * backup `restoring` in the caller's transaction; the volume's create operation is then a restore.
 */
export async function backupSourceFor(
  ctx: RequestContext,
  trx: Db,
  backupId: string,
  input: { size?: number; snapshot_id?: string | null; source_volid?: string | null },
): Promise<{ backup: BackupRow; size: number }> {
  const backup = await requireVisible(LIST_SOURCES.backups, ctx, backupId, trx);
  if (input.snapshot_id || input.source_volid) throw new InvalidInputError('May specify only one of backup, imageRef, snapshot, source volume');
  if (backup.status !== 'available') throw new InvalidBackupError("Originating backup status must be one of 'available' values");
  const size = input.size ?? backup.size;
  if (size < backup.size)
    throw new InvalidInputError(`Volume size ${size}GB cannot be smaller than the backup size ${backup.size}GB. It must be >= backup size.`);
  if (!(await bq.updateBackup(trx, backup.id, { status: 'restoring', updated_at: nowIso() }, ['available']))) {
    throw new InvalidBackupError("Originating backup status must be one of 'available' values");
  }
  return { backup, size };
}
