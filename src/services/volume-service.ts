/*
 * The volume service: the domain API the controllers call. It enforces the status machine (states.ts),
 * resolves types and zones, and writes every state change as one transaction: the guarded status update,
 * the quota usage and the operation row for the worker. After the commit it wakes the worker.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import type { RequestContext } from '../context';
import type { Store, Db } from '../db/store';
import type { AttachmentRow, VolumeRow } from '../db/schema';
import * as vq from '../db/queries/volumes';
import { attachedFor } from '../db/queries/attachments';
import { getTypesByIds, typeNameOf } from '../db/queries/volume-types';
import { getEncryption } from '../db/queries/encryption-types';
import { nowIso } from '../db/time';
import { BadRequestError, InvalidInputError, InvalidVolumeError, VolumeMetadataNotFoundError } from '../errors';
import type { OperationQueue } from './operation-queue';
import type { QuotaService } from './quota-service';
import { LIST_SOURCES, listRecords, requireVisible, type LIST_COLUMNS, type ListInput } from './list-pipeline';
import { ALLOWED_FROM, DELETE_REFUSED_REASON } from './volume-states';
import type { TypeService } from './volume-type-service';
import { prepareVolumeDeleteSnapshots, snapshotSourceFor } from './snapshot-service';
import { backupSourceFor } from './backup-service';
import { nameAndDescriptionChanges, newVolumeRow } from './rows';
import { MetadataService, type MetadataTable } from './metadata-service';
import { requireGroupForVolume } from './group-service';

/** A volume with what its views need besides the row. */
export interface VolumeRecord {
  row: VolumeRow;
  metadata: Record<string, string>;
  adminMetadata: Record<string, string>;
  typeName: string | null;
  /** Attachments in state `attached` (the view's `attachments`). */
  attachments?: AttachmentRow[];
}

export interface CreateVolumeInput {
  size?: number;
  name?: string | null;
  description?: string | null;
  volume_type?: string | null;
  availability_zone?: string | null;
  metadata?: Record<string, string> | null;
  snapshot_id?: string | null;
  source_volid?: string | null;
  /** Restore this backup into the new volume (backup-service.ts backupSourceFor). */
  backup_id?: string | null;
  /** Create the volume into this generic volume group (3.13; group-service.ts requireGroupForVolume). */
  group_id?: string | null;
}

export interface UpdateVolumeInput {
  name?: string | null;
  description?: string | null;
  metadata?: Record<string, string> | null;
}

/** A parsed volume list query (src/api/list-query.ts): the filters, and metadata key/value pairs to match. */
export interface VolumeListInput extends ListInput<vq.VolumeFilter, (typeof LIST_COLUMNS.volumes.sort)[number]> {
  metadata: Record<string, string>;
}

/** Volume metadata: writes are refused while the volume is in maintenance or uploading. */
const VOLUME_METADATA: MetadataTable<VolumeRow> = {
  source: LIST_SOURCES.volumes,
  ...vq.volumeMetadata,
  update: vq.updateVolume,
  KeyNotFound: VolumeMetadataNotFoundError,
  requireWritable(row) {
    if (!(ALLOWED_FROM.metadataWrite as readonly string[]).includes(row.status)) {
      throw new InvalidVolumeError(`Volume ${row.id} status must not be maintenance or uploading to change metadata, but current status is: ${row.status}.`);
    }
  },
};

export interface VolumeListResult {
  records: VolumeRecord[];
  count?: number;
}

export class VolumeService {
  /** The volume metadata API (list, merge, replace, one key). */
  readonly metadata: MetadataService<VolumeRow>;

  constructor(
    private readonly store: Store,
    private readonly queue: OperationQueue,
    private readonly types: TypeService,
    private readonly quota: QuotaService,
    private readonly config: Pick<Config, 'storage_availability_zone'>,
  ) {
    this.metadata = new MetadataService(store, VOLUME_METADATA);
  }

  async records(db: Db, rows: VolumeRow[]): Promise<VolumeRecord[]> {
    const ids = rows.map((r) => r.id);
    const [metadata, adminMetadata, types, attachments] = await Promise.all([
      vq.metadataFor(db, ids),
      vq.metadataFor(db, ids, 'volume_admin_metadata'),
      getTypesByIds(
        db,
        rows.map((r) => r.volume_type_id),
      ),
      attachedFor(db, ids),
    ]);
    return rows.map((row) => ({
      row,
      metadata: metadata.get(row.id) ?? {},
      adminMetadata: adminMetadata.get(row.id) ?? {},
      typeName: types.get(row.volume_type_id)?.name ?? null,
      attachments: attachments.get(row.id) ?? [],
    }));
  }

  async get(ctx: RequestContext, id: string): Promise<VolumeRecord> {
    const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, this.store.db);
    return (await this.records(this.store.db, [row]))[0];
  }

  async create(ctx: RequestContext, input: CreateVolumeInput): Promise<VolumeRecord> {
    const zone = input.availability_zone ?? this.config.storage_availability_zone;
    if (zone !== this.config.storage_availability_zone) throw new InvalidInputError(`Availability zone '${zone}' is invalid.`);

    const id = randomUUID();
    const record = await this.store.transaction(async (trx) => {
      let size = input.size;
      let source: VolumeRow | undefined;
      // From a backup (rules in backup-service.ts): 404, exclusive with snapshot/source, available, size.
      const fromBackup = input.backup_id
        ? await backupSourceFor(ctx, trx, input.backup_id, { size, snapshot_id: input.snapshot_id, source_volid: input.source_volid })
        : undefined;
      if (fromBackup) size = fromBackup.size;
      // From a snapshot (rules in snapshot-service.ts): 404, exclusive with source_volid, available, size.
      const fromSnapshot = input.snapshot_id ? await snapshotSourceFor(ctx, trx, input.snapshot_id, { size, source_volid: input.source_volid }) : undefined;
      if (fromSnapshot) size = fromSnapshot.size;
      if (input.source_volid) {
        source = await requireVisible(LIST_SOURCES.volumes, ctx, input.source_volid, trx);
        if (!(ALLOWED_FROM.cloneSource as readonly string[]).includes(source.status)) {
          throw new InvalidVolumeError(`Volume ${source.id} status must be available or in-use to clone, but current status is: ${source.status}.`);
        }
        size ??= source.size;
        if (size < source.size) throw new InvalidInputError(`Clones of volumes must be at least as large as their source (${source.size}G).`);
      }
      if (size === undefined) throw new BadRequestError('Invalid input received: size is required unless snapshot_id, source_volid or backup_id is given.');
      const type = input.volume_type
        ? await this.types.resolve(trx, input.volume_type, ctx)
        : source
          ? { id: source.volume_type_id, name: await typeNameOf(trx, source.volume_type_id) }
          : fromSnapshot
            ? { id: fromSnapshot.snapshot.volume_type_id, name: await typeNameOf(trx, fromSnapshot.snapshot.volume_type_id) }
            : await this.types.defaultTypeFor(trx, ctx.projectId);
      const group = input.group_id ? await requireGroupForVolume(ctx, trx, input.group_id, type.id) : undefined;
      await this.quota.consumeVolume(trx, ctx.projectId, type.name, size);
      const fields = {
        id,
        name: input.name ?? null,
        description: input.description ?? null,
        size,
        status: 'creating',
        availability_zone: zone,
        volume_type_id: type.id,
        snapshot_id: fromSnapshot?.snapshot.id ?? null,
        source_volid: source?.id ?? null,
        bootable: source?.bootable ?? fromSnapshot?.bootable ?? 0,
        // A volume of a type with encryption is encrypted (Cinder gives it a key; there is no key manager here).
        encrypted: (await getEncryption(trx, type.id)) ? 1 : 0,
      };
      await vq.insertVolume(trx, { ...newVolumeRow(ctx, fields, nowIso()), group_id: group?.id ?? null });
      if (input.metadata) await vq.volumeMetadata.replace(trx, id, input.metadata);
      if (fromBackup)
        await this.queue.enqueue(trx, ctx, { kind: 'restore_backup', resourceType: 'volume', resourceId: id, payload: { backup_id: fromBackup.backup.id } });
      else
        await this.queue.enqueue(trx, ctx, {
          kind: 'create_volume',
          resourceType: 'volume',
          resourceId: id,
          payload: source ? { source_volid: source.id } : fromSnapshot ? { snapshot_id: fromSnapshot.snapshot.id } : {},
        });
      return (await this.records(trx, [(await vq.getVolume(trx, id))!]))[0];
    });
    this.queue.notify();
    return record;
  }

  async list(ctx: RequestContext, input: VolumeListInput): Promise<VolumeListResult> {
    return listRecords(this.store.db, ctx, input, LIST_SOURCES.volumes, { metadata: input.metadata }, (db, rows) => this.records(db, rows));
  }

  async summary(ctx: RequestContext, allTenants: boolean): Promise<{ total_count: number; total_size: number; metadata: Record<string, string[]> }> {
    const scope = ctx.isAdmin && allTenants ? undefined : ctx.projectId;
    const [totals, metadata] = await Promise.all([vq.summarizeVolumes(this.store.db, scope), vq.distinctMetadata(this.store.db, scope)]);
    return { ...totals, metadata };
  }

  async update(ctx: RequestContext, id: string, input: UpdateVolumeInput): Promise<VolumeRecord> {
    return this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      const changes = nameAndDescriptionChanges(input);
      const changed = await vq.updateVolume(trx, id, { ...changes, updated_at: nowIso() }, ALLOWED_FROM.update);
      if (!changed) throw new InvalidVolumeError(`Volume status must not be maintenance to update, but current status is: ${row.status}.`);
      if (input.metadata !== undefined) await vq.volumeMetadata.replace(trx, id, input.metadata ?? {});
      // Cinder answers with the row as it was read before the write (updated_at unchanged).
      return (await this.records(trx, [{ ...row, ...changes }]))[0];
    });
  }

  async delete(ctx: RequestContext, id: string, opts: { force: boolean; cascade: boolean }): Promise<void> {
    const enqueued = await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      const allowed = opts.force ? undefined : ALLOWED_FROM.delete;
      // A group's volume goes with its group (issue 16: POST /groups/{id}/action delete, delete-volumes).
      if (row.attach_status === 'attached' || row.migration_status === 'migrating' || row.group_id) throw new InvalidVolumeError(DELETE_REFUSED_REASON);
      // Snapshots: refused without cascade; with it they go to deleting and the delete_volume op removes them.
      const snapshots = await prepareVolumeDeleteSnapshots(trx, id, opts);
      const now = nowIso();
      if (!(await vq.updateVolume(trx, id, { status: 'deleting', updated_at: now }, allowed))) throw new InvalidVolumeError(DELETE_REFUSED_REASON);
      if (!row.host && snapshots === 0) {
        // Never placed on a backend: nothing to remove there, so the row goes at once (as Cinder does).
        await vq.markVolumeDeleted(trx, id, now);
        if (row.consumes_quota) {
          const typeName = await typeNameOf(trx, row.volume_type_id);
          await this.quota.releaseVolume(trx, row.project_id, typeName, row.size);
        }
        return false;
      }
      await this.queue.enqueue(trx, ctx, { kind: 'delete_volume', resourceType: 'volume', resourceId: id });
      return true;
    });
    if (enqueued) this.queue.notify();
  }
}
