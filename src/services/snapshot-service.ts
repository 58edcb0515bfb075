/*
 * The snapshot service: snapshots of volumes, their metadata, the snapshot admin actions, and `revert`
 * (a volume back to its latest snapshot). As in VolumeService, every state change is one transaction:
 * the guarded status update (states.ts), the quota usage and the operation row for the worker; after the
 * commit it wakes the worker. The rules and messages are Cinder's (cinder/volume/api.py,
 * cinder/api/v3/snapshots.py, cinder/api/contrib/snapshot_actions.py and admin_actions.py).
 *
 * The volume service uses the two helpers at the end: `snapshotSourceFor` (volume create with
 * `snapshot_id`) and `prepareVolumeDeleteSnapshots` (volume delete, with or without `cascade`).
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../context';
import type { Store, Db } from '../db/store';
import type { SnapshotRow } from '../db/schema';
import * as sq from '../db/queries/snapshots';
import { getVolume, updateVolume } from '../db/queries/volumes';
import { typeNameOf } from '../db/queries/volume-types';
import { nowIso } from '../db/time';
import {
  BadRequestError,
  ConflictError,
  InvalidInputError,
  InvalidSnapshotError,
  InvalidVolumeError,
  SnapshotMetadataNotFoundError,
  VolumeNotFoundError,
} from '../errors';
import type { OperationQueue } from './operation-queue';
import type { QuotaService } from './quota-service';
import { LIST_SOURCES, listRecords, requireVisible, type LIST_COLUMNS, type ListInput } from './list-pipeline';
import { DELETE_REFUSED_REASON, NOT_MIGRATING, SNAPSHOT_ALLOWED_FROM, SNAPSHOT_STATUS_UPDATES } from './volume-states';
import { nameAndDescriptionChanges, newSnapshotRow } from './rows';
import { MetadataService, type MetadataTable } from './metadata-service';
import { StatusActions, type StatusTable } from './status-actions';

/** A snapshot with what its views need besides the row. */
export interface SnapshotRecord {
  row: SnapshotRow;
  metadata: Record<string, string>;
}

export interface CreateSnapshotInput {
  /** May be null: the schema allows it, and the lookup then fails with "Volume None could not be found." */
  volumeId: string | null;
  name?: string | null;
  description?: string | null;
  metadata?: Record<string, string> | null;
  /** The `force` flag as a boolean, undefined when the request did not send it. */
  force?: boolean;
  /** 3.66 (SNAPSHOT_IN_USE): an `in-use` volume may be snapshotted without `force`, and `force: false` is refused. */
  inUseAllowed: boolean;
}

export interface UpdateSnapshotInput {
  name?: string | null;
  description?: string | null;
}

/** A parsed snapshot list query (src/api/list-query.ts); `availabilityZone`: only snapshots of volumes in it. */
export interface SnapshotListInput extends ListInput<sq.SnapshotFilter, (typeof LIST_COLUMNS.snapshots.sort)[number]> {
  metadata: Record<string, string>;
  availabilityZone?: string;
}

/** Snapshot metadata: no status restriction and no ETag, as in Cinder's snapshot metadata API. */
const SNAPSHOT_METADATA: MetadataTable<SnapshotRow> = {
  source: LIST_SOURCES.snapshots,
  ...sq.snapshotMetadata,
  update: sq.updateSnapshot,
  KeyNotFound: SnapshotMetadataNotFoundError,
};

/** Snapshots for DELETE, os-force_delete and os-reset_status. */
const SNAPSHOT_STATUS: StatusTable<SnapshotRow> = {
  source: LIST_SOURCES.snapshots,
  update: sq.updateSnapshot,
  deletableFrom: SNAPSHOT_ALLOWED_FROM.delete,
  notDeletable: () => new InvalidSnapshotError('Snapshot status must be available or error and must not be part of a group.'),
  // A snapshot of a group snapshot goes with it (issue 16), forced or not, as Cinder's delete_snapshot.
  async refuseDelete(db, id) {
    if ((await sq.getSnapshot(db, id))?.group_snapshot_id) throw new InvalidSnapshotError('Snapshot must not be part of a group.');
  },
  deleteOperation: { kind: 'delete_snapshot', resourceType: 'snapshot' },
};

export interface SnapshotListResult {
  records: SnapshotRecord[];
  count?: number;
}

/** Cinder's text (cinder/api/v3/snapshots.py, SNAPSHOT_IN_USE_FLAG_MSG), two spaces and typo included. */
export const SNAPSHOT_IN_USE_FLAG_MSG =
  "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored.";

const pyStr = (value: string | null | undefined): string => (value === null || value === undefined ? 'None' : value);

export class SnapshotService {
  /** The snapshot metadata API (list, merge, replace, one key). */
  readonly metadata: MetadataService<SnapshotRow>;
  private readonly statusActions: StatusActions<SnapshotRow>;

  constructor(
    private readonly store: Store,
    private readonly queue: OperationQueue,
    private readonly quota: QuotaService,
  ) {
    this.metadata = new MetadataService(store, SNAPSHOT_METADATA);
    this.statusActions = new StatusActions(store, queue, SNAPSHOT_STATUS);
  }

  async records(db: Db, rows: SnapshotRow[]): Promise<SnapshotRecord[]> {
    const metadata = await sq.snapshotMetadata.metadataFor(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((row) => ({ row, metadata: metadata.get(row.id) ?? {} }));
  }

  async get(ctx: RequestContext, id: string): Promise<SnapshotRecord> {
    const row = await requireVisible(LIST_SOURCES.snapshots, ctx, id, this.store.db);
    return (await this.records(this.store.db, [row]))[0];
  }

  /**
   * POST /snapshots. The volume must exist and be placed, not in maintenance, error or migrating, and be
   * `available` (or `in-use` with `force`, or without it from 3.66). From 3.66 `force: false` is a 400.
   * Quota (snapshots +1, gigabytes + volume size) is checked and consumed in the insert's transaction.
   */
  async create(ctx: RequestContext, input: CreateSnapshotInput): Promise<SnapshotRecord> {
    const inUseAllowed = input.inUseAllowed;
    const id = randomUUID();
    const record = await this.store.transaction(async (trx) => {
      // The schema allows a null volume_id; Cinder then says "Volume None could not be found."
      if (input.volumeId === null) throw new VolumeNotFoundError(pyStr(input.volumeId));
      const volume = await requireVisible(LIST_SOURCES.volumes, ctx, input.volumeId, trx);
      if (inUseAllowed && input.force === false) throw new BadRequestError(SNAPSHOT_IN_USE_FLAG_MSG);
      if (!volume.host) throw new InvalidVolumeError('The snapshot cannot be created because volume has not been scheduled to any host.');
      if (volume.status === 'maintenance') throw new InvalidVolumeError('The snapshot cannot be created when the volume is in maintenance mode.');
      if (!NOT_MIGRATING.includes(volume.migration_status)) throw new InvalidVolumeError('Snapshot cannot be created while volume is migrating.');
      if (volume.status === 'error') throw new InvalidVolumeError('The snapshot cannot be created when the volume is in error status.');
      const valid: readonly string[] = input.force || inUseAllowed ? SNAPSHOT_ALLOWED_FROM.snapshotVolumeInUse : SNAPSHOT_ALLOWED_FROM.snapshotVolume;
      if (!valid.includes(volume.status)) {
        throw new InvalidVolumeError(`Volume ${volume.id} status must be ${valid.join(', ')}, but current status is: ${volume.status}.`);
      }
      const typeName = await typeNameOf(trx, volume.volume_type_id);
      await this.quota.consumeSnapshot(trx, ctx.projectId, typeName, volume.size);
      await sq.insertSnapshot(trx, newSnapshotRow(ctx, { id, volume, name: input.name, description: input.description }, nowIso()));
      if (input.metadata) await sq.snapshotMetadata.replace(trx, id, input.metadata);
      await this.queue.enqueue(trx, ctx, { kind: 'create_snapshot', resourceType: 'snapshot', resourceId: id });
      return (await this.records(trx, [(await sq.getSnapshot(trx, id))!]))[0];
    });
    this.queue.notify();
    return record;
  }

  async list(ctx: RequestContext, input: SnapshotListInput): Promise<SnapshotListResult> {
    const extra = { metadata: input.metadata, availabilityZone: input.availabilityZone };
    return listRecords(this.store.db, ctx, input, LIST_SOURCES.snapshots, extra, (db, rows) => this.records(db, rows));
  }

  /** PUT /snapshots/{id}: name and description, at any status (as Cinder). Answers with the row as read, changes applied. */
  async update(ctx: RequestContext, id: string, input: UpdateSnapshotInput): Promise<SnapshotRecord> {
    return this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.snapshots, ctx, id, trx);
      const changes = nameAndDescriptionChanges(input);
      await sq.updateSnapshot(trx, id, { ...changes, updated_at: nowIso() });
      return (await this.records(trx, [{ ...row, ...changes }]))[0];
    });
  }

  /**
   * DELETE /snapshots/{id} (and os-force_delete with `force`): `available`/`error` (any status with
   * force) → `deleting`, and a delete_snapshot operation for the worker.
   */
  async delete(ctx: RequestContext, id: string, opts: { force: boolean } = { force: false }): Promise<void> {
    await this.statusActions.delete(ctx, id, opts.force);
  }

  /** os-reset_status (admin): any valid snapshot status (the controller validates it), stored lower-case. */
  async resetStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    await this.statusActions.resetStatus(ctx, id, status.toLowerCase());
  }

  /**
   * os-update_snapshot_status (owner or admin; Nova uses it for assisted snapshots): from `creating` to
   * creating/available/error, from `deleting` to deleting/error_deleting; optional progress "N%".
   */
  async updateStatus(ctx: RequestContext, id: string, status: string, progress?: string | null): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.snapshots, ctx, id, trx);
      const allowed = SNAPSHOT_STATUS_UPDATES[row.status];
      if (!allowed) throw new BadRequestError(`Snapshot status ${row.status} not allowed for update_snapshot_status`);
      if (!allowed.includes(status)) throw new BadRequestError(`Provided snapshot status ${status} not allowed for snapshot with status ${row.status}.`);
      const changes = { status, updated_at: nowIso(), ...(progress ? { progress } : {}) };
      // Guarded by the status just read, so a concurrent change is not overwritten.
      if (!(await sq.updateSnapshot(trx, id, changes, [row.status]))) {
        throw new BadRequestError(`Provided snapshot status ${status} not allowed for snapshot with status ${row.status}.`);
      }
    });
  }

  // --- revert (3.40; the volume-action controller calls it) -----------------------------------------

  /**
   * `{"revert": {"snapshot_id": ...}}` on a volume: only to the volume's latest snapshot, of the same
   * size (else 400); the volume must be `available` and the snapshot `available` (else 409). Volume →
   * `reverting`, snapshot → `restoring`, and a revert_volume operation, in one transaction.
   */
  async revertVolume(ctx: RequestContext, volumeId: string, snapshotId: string | null | undefined): Promise<void> {
    await this.store.transaction(async (trx) => {
      const volume = await requireVisible(LIST_SOURCES.volumes, ctx, volumeId, trx);
      const [latest] = await sq.snapshotsOfVolume(trx, volume.id);
      if (!latest) throw new BadRequestError(`Volume ${volume.id} doesn't have any snapshots.`);
      if (!snapshotId || snapshotId !== latest.id) {
        throw new BadRequestError(`Specified snapshot ${pyStr(snapshotId)} is None or not the latest one of volume ${volume.id}.`);
      }
      if (volume.size !== latest.size) {
        throw new BadRequestError(`Can't revert volume ${volume.id} to its latest snapshot ${latest.id}. The volume size must be equal to the snapshot size.`);
      }
      const now = nowIso();
      if (!(await updateVolume(trx, volume.id, { status: 'reverting', updated_at: now }, SNAPSHOT_ALLOWED_FROM.revertVolume))) {
        throw new ConflictError(`Invalid volume: Can't revert volume ${volume.id} to its latest snapshot ${latest.id}. Volume's status must be 'available'.`);
      }
      // A failure here rolls the volume's status change back with the transaction.
      if (!(await sq.updateSnapshot(trx, latest.id, { status: 'restoring', updated_at: now }, SNAPSHOT_ALLOWED_FROM.revertSnapshot))) {
        throw new ConflictError(
          `Invalid snapshot: Can't revert volume ${volume.id} to its latest snapshot ${latest.id}. Snapshot's status must be 'available'.`,
        );
      }
      await this.queue.enqueue(trx, ctx, { kind: 'revert_volume', resourceType: 'volume', resourceId: volume.id, payload: { snapshot_id: latest.id } });
    });
    this.queue.notify();
  }
}

// --- helpers for VolumeService ---------------------------------------------------------------------

/**
 * Volume create with `snapshot_id` (cinder/volume/flows/api/create_volume.py): the snapshot must be
 * visible (404), exclusive with `source_volid`, `available` (400), and the size, which defaults to the
 * snapshot's, may not be smaller (400). Returns the snapshot, the size and the source volume's bootable.
 */
export async function snapshotSourceFor(
  ctx: RequestContext,
  trx: Db,
  snapshotId: string,
  input: { size?: number; source_volid?: string | null },
): Promise<{ snapshot: SnapshotRow; size: number; bootable: number }> {
  const snapshot = await requireVisible(LIST_SOURCES.snapshots, ctx, snapshotId, trx);
  if (input.source_volid) throw new InvalidInputError('May specify only one of backup, imageRef, snapshot, source volume');
  if (!(SNAPSHOT_ALLOWED_FROM.createVolumeFrom as readonly string[]).includes(snapshot.status)) {
    throw new InvalidSnapshotError(`Originating snapshot status must be one of '${SNAPSHOT_ALLOWED_FROM.createVolumeFrom.join(', ')}' values`);
  }
  const size = input.size ?? snapshot.size;
  if (size < snapshot.size) {
    throw new InvalidInputError(`Volume size '${size}'GB cannot be smaller than the snapshot size ${snapshot.size}GB. They must be >= original snapshot size.`);
  }
  const bootable = (await getVolume(trx, snapshot.volume_id))?.bootable ?? 0;
  return { snapshot, size, bootable };
}

/**
 * Volume delete and its snapshots (cinder/volume/api.py delete): without `cascade` a volume with live
 * snapshots is refused; with `cascade` they must all be `available` or `error` (any status with
 * `force`), and they go to `deleting` in the caller's transaction. The delete_volume operation then
 * removes their files before the volume's and soft-deletes their rows (releasing their quota) in its
 * finishing transaction, so the volume is never gone while a snapshot of it remains. Returns how many
 * snapshots the volume had.
 */
export async function prepareVolumeDeleteSnapshots(trx: Db, volumeId: string, opts: { force: boolean; cascade: boolean }): Promise<number> {
  const snapshots = await sq.snapshotsOfVolume(trx, volumeId);
  if (snapshots.length === 0) return 0;
  if (!opts.cascade) throw new InvalidVolumeError(DELETE_REFUSED_REASON);
  const allowed: readonly string[] = SNAPSHOT_ALLOWED_FROM.cascadeDelete;
  if (!opts.force && snapshots.some((s) => !allowed.includes(s.status))) throw new InvalidVolumeError(DELETE_REFUSED_REASON);
  const now = nowIso();
  for (const s of snapshots) {
    if (!(await sq.updateSnapshot(trx, s.id, { status: 'deleting', updated_at: now }, opts.force ? undefined : allowed))) {
      throw new InvalidVolumeError('Failed to update snapshot.');
    }
  }
  return snapshots.length;
}
