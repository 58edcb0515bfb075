/*
 * The volume service: the domain API the controllers call. It enforces the status machine (states.ts),
 * resolves types and zones, and writes every state change as one transaction: the guarded status update,
 * the quota usage and the operation row for the worker. After the commit it wakes the worker.
 */
import { randomUUID } from 'node:crypto';
import type { Config } from '../config';
import { canSee, type RequestContext } from '../context';
import type { Store, Db } from '../db/store';
import type { AttachmentRow, VolumeRow } from '../db/schema';
import * as vq from '../db/queries/volumes';
import { attachedFor } from '../db/queries/attachments';
import { getTypesByIds, typeNameOf } from '../db/queries/volume-types';
import { nowIso } from '../db/time';
import { BadRequestError, InvalidInputError, InvalidVolumeError, VolumeMetadataNotFoundError, VolumeNotFoundError } from '../errors';
import type { OperationQueue } from './operation-queue';
import type { QuotaService } from './quota-service';
import { listPage, type LIST_COLUMNS, type ListInput, type ListSource } from './list-pipeline';
import { ALLOWED_FROM, DELETE_REFUSED_REASON } from './volume-states';
import type { TypeService } from './volume-type-service';
import { prepareVolumeDeleteSnapshots, snapshotSourceFor } from './snapshot-service';
import { backupSourceFor } from './backup-service';

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

const VOLUME_SOURCE: ListSource<VolumeRow, vq.VolumeListQuery> = {
  find: vq.getVolume,
  projectOf: (row) => row.project_id,
  notFound: (id) => new VolumeNotFoundError(id),
  list: vq.listVolumes,
  count: vq.countVolumes,
};

export interface VolumeListResult {
  records: VolumeRecord[];
  count?: number;
}

export class VolumeService {
  constructor(
    private readonly store: Store,
    private readonly queue: OperationQueue,
    private readonly types: TypeService,
    private readonly quota: QuotaService,
    private readonly config: Pick<Config, 'storage_availability_zone'>,
  ) {}

  /** Loads a volume the caller may see: its own project's, or any for an admin. */
  async requireVolume(ctx: RequestContext, id: string, db: Db = this.store.db): Promise<VolumeRow> {
    const row = await vq.getVolume(db, id);
    if (!row || !canSee(ctx, row.project_id)) throw new VolumeNotFoundError(id);
    return row;
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
    return (await this.records(this.store.db, [await this.requireVolume(ctx, id)]))[0];
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
        source = await this.requireVolume(ctx, input.source_volid, trx);
        if (!(ALLOWED_FROM.cloneSource as readonly string[]).includes(source.status)) {
          throw new InvalidVolumeError(`Volume ${source.id} status must be available or in-use to clone, but current status is: ${source.status}.`);
        }
        size ??= source.size;
        if (size < source.size) throw new InvalidInputError(`Clones of volumes must be at least as large as their source (${source.size}G).`);
      }
      if (size === undefined) throw new BadRequestError('Invalid input received: size is required unless snapshot_id, source_volid or backup_id is given.');
      const type = input.volume_type
        ? await this.types.resolve(trx, input.volume_type)
        : source
          ? { id: source.volume_type_id, name: await typeNameOf(trx, source.volume_type_id) }
          : fromSnapshot
            ? { id: fromSnapshot.snapshot.volume_type_id, name: await typeNameOf(trx, fromSnapshot.snapshot.volume_type_id) }
            : await this.types.defaultTypeFor(trx, ctx.projectId);
      await this.quota.consumeVolume(trx, ctx.projectId, type.name, size);
      const now = nowIso();
      await vq.insertVolume(trx, {
        id,
        project_id: ctx.projectId,
        user_id: ctx.userId,
        name: input.name ?? null,
        description: input.description ?? null,
        size,
        status: 'creating',
        attach_status: 'detached',
        availability_zone: zone,
        volume_type_id: type.id,
        snapshot_id: fromSnapshot?.snapshot.id ?? null,
        source_volid: source?.id ?? null,
        bootable: source?.bootable ?? fromSnapshot?.bootable ?? 0,
        multiattach: 0,
        encrypted: 0,
        replication_status: null,
        migration_status: null,
        host: null,
        provider_location: null,
        consumes_quota: 1,
        created_at: now,
        updated_at: null,
        deleted_at: null,
      });
      if (input.metadata) await vq.replaceMetadata(trx, id, input.metadata);
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
    const page = await listPage(this.store.db, ctx, input, VOLUME_SOURCE, { metadata: input.metadata });
    return { records: await this.records(this.store.db, page.rows), count: page.count };
  }

  async summary(ctx: RequestContext, allTenants: boolean): Promise<{ total_count: number; total_size: number; metadata: Record<string, string[]> }> {
    const scope = ctx.isAdmin && allTenants ? undefined : ctx.projectId;
    const [totals, metadata] = await Promise.all([vq.summarizeVolumes(this.store.db, scope), vq.distinctMetadata(this.store.db, scope)]);
    return { ...totals, metadata };
  }

  async update(ctx: RequestContext, id: string, input: UpdateVolumeInput): Promise<VolumeRecord> {
    return this.store.transaction(async (trx) => {
      const row = await this.requireVolume(ctx, id, trx);
      const changes = {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.description !== undefined ? { description: input.description } : {}),
      };
      const changed = await vq.updateVolume(trx, id, { ...changes, updated_at: nowIso() }, ALLOWED_FROM.update);
      if (!changed) throw new InvalidVolumeError(`Volume status must not be maintenance to update, but current status is: ${row.status}.`);
      if (input.metadata !== undefined) await vq.replaceMetadata(trx, id, input.metadata ?? {});
      // Cinder answers with the row as it was read before the write (updated_at unchanged).
      return (await this.records(trx, [{ ...row, ...changes }]))[0];
    });
  }

  async delete(ctx: RequestContext, id: string, opts: { force: boolean; cascade: boolean }): Promise<void> {
    const enqueued = await this.store.transaction(async (trx) => {
      const row = await this.requireVolume(ctx, id, trx);
      const allowed = opts.force ? undefined : ALLOWED_FROM.delete;
      if (row.attach_status === 'attached' || row.migration_status === 'migrating') throw new InvalidVolumeError(DELETE_REFUSED_REASON);
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

  // --- metadata -------------------------------------------------------------------------------

  async getMetadata(ctx: RequestContext, id: string): Promise<Record<string, string>> {
    await this.requireVolume(ctx, id);
    return (await vq.metadataFor(this.store.db, [id])).get(id)!;
  }

  async getMetadataKey(ctx: RequestContext, id: string, key: string): Promise<string> {
    const metadata = await this.getMetadata(ctx, id);
    if (!(key in metadata)) throw new VolumeMetadataNotFoundError(id, key);
    return metadata[key];
  }

  /**
   * Writes metadata (merge or replace) and returns the full set after the write. `precondition` sees the
   * current set inside the transaction (If-Match checks).
   */
  async writeMetadata(
    ctx: RequestContext,
    id: string,
    metadata: Record<string, string>,
    mode: 'merge' | 'replace',
    precondition?: (current: Record<string, string>) => void,
  ): Promise<Record<string, string>> {
    return this.store.transaction(async (trx) => {
      const row = await this.requireVolume(ctx, id, trx);
      this.requireMetadataWritable(row);
      if (precondition) precondition((await vq.metadataFor(trx, [id])).get(id)!);
      if (mode === 'merge') await vq.mergeMetadata(trx, id, metadata);
      else await vq.replaceMetadata(trx, id, metadata);
      await vq.updateVolume(trx, id, { updated_at: nowIso() });
      return (await vq.metadataFor(trx, [id])).get(id)!;
    });
  }

  async deleteMetadataKey(ctx: RequestContext, id: string, key: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await this.requireVolume(ctx, id, trx);
      this.requireMetadataWritable(row);
      if (!(await vq.deleteMetadataKey(trx, id, key))) throw new VolumeMetadataNotFoundError(id, key);
      await vq.updateVolume(trx, id, { updated_at: nowIso() });
    });
  }

  private requireMetadataWritable(row: VolumeRow): void {
    if (!(ALLOWED_FROM.metadataWrite as readonly string[]).includes(row.status)) {
      throw new InvalidVolumeError(`Volume ${row.id} status must not be maintenance or uploading to change metadata, but current status is: ${row.status}.`);
    }
  }
}
