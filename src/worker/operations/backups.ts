/*
 * The backup operations (docs/design.md section 4):
 * - create_backup (resource: backup): the backup driver copies the volume's (or snapshot's) data into
 *   backup storage, with the volume's name, description and metadata; backup `creating` → `available`,
 *   the source back to its previous status. Failure: backup `error` with fail_reason, the source back as
 *   well, a user message on the volume.
 * - delete_backup (resource: backup): the driver removes the backup's files, unless another live backup
 *   (an imported record) uses the same data; the row is soft-deleted and `backups`/`backup_gigabytes`
 *   released. Failure: `error_deleting`.
 * - restore_backup (resource: volume; payload backup_id): the driver writes the backup into the volume
 *   (temporary file, hashes checked, renamed at the end); volume `restoring-backup` (or `creating` for a
 *   volume made from a backup) → `available`, backup `restoring` → `available`, and the volume gets the
 *   source volume's metadata back (restoreVolumeMeta). Failure: volume `error_restoring` (`error` when
 *   it was being created), backup back to `available`, a user message.
 * - import_backup (resource: backup): the imported record becomes `available` if backup storage holds its
 *   data, else `error`.
 * The driver is always given the id the data is stored under (backupDataId), which for an imported
 * record may be another backup's.
 * All are idempotent: the driver finishes or skips what a previous attempt did, and a resource whose
 * status was changed meanwhile (reset, deleted) is left alone.
 */
import path from 'node:path';
import * as bq from '../../db/queries/backups';
import { getSnapshot, updateSnapshot } from '../../db/queries/snapshots';
import { getVolume, metadataFor, updateVolume, volumeMetadata } from '../../db/queries/volumes';
import { addUsage } from '../../db/queries/quotas';
import { detailFor, recordMessage, type MessageAction } from '../../services/user-messages';
import { backupDriverOf, loadIfStatus, payloadOf, type OperationHandler } from './types';
import type { Db } from '../../db/store';
import type { RestoreBackupPayload } from '../../services/operation-payloads';
import type { VolumeMeta } from '../backup-drivers/backup-driver';

/** Cinder's message_field actions for backups. */
export const BACKUP_ACTIONS = {
  BACKUP_CREATE: { id: '013', text: 'create backup' },
  BACKUP_DELETE: { id: '014', text: 'delete backup' },
  BACKUP_RESTORE: { id: '015', text: 'restore backup' },
  BACKUP_IMPORT: { id: '105', text: 'import backup' },
} as const satisfies Record<string, MessageAction>;

/** The source of a backup goes back: the volume to its previous status, or the snapshot to `available`. */
async function releaseSource(trx: Db, backupId: string, now: string): Promise<{ volumeId: string; projectId: string } | undefined> {
  const backup = await bq.getBackupAnyState(trx, backupId);
  if (!backup) return undefined;
  if (backup.snapshot_id) {
    await updateSnapshot(trx, backup.snapshot_id, { status: 'available', updated_at: now }, ['backing-up']);
  } else {
    const volume = await getVolume(trx, backup.volume_id);
    if (volume) await updateVolume(trx, volume.id, { status: volume.previous_status ?? 'available', previous_status: null, updated_at: now }, ['backing-up']);
  }
  return { volumeId: backup.volume_id, projectId: backup.project_id };
}

interface Made {
  objectCount: number | null;
  placed?: boolean;
}

export const createBackup: OperationHandler<Made> = {
  action: BACKUP_ACTIONS.BACKUP_CREATE,

  async execute(ctx, op) {
    const backup = await loadIfStatus(bq.getBackup, ctx.store.db, op.resource_id, 'creating');
    if (!backup) return { objectCount: null };
    const backend = ctx.backend;
    if (backup.snapshot_id) {
      const snapshot = await getSnapshot(ctx.store.db, backup.snapshot_id);
      if (!snapshot) throw new Error(`snapshot ${backup.snapshot_id} is gone`);
    }
    const sourceFile = backup.snapshot_id ? backend.snapshotPath(backup.snapshot_id) : backend.volumePath(backup.volume_id);
    const parent = backup.parent_id ? await bq.getBackupAnyState(ctx.store.db, backup.parent_id) : undefined;
    const made = await backupDriverOf(ctx).backup({
      backupId: bq.backupDataId(backup),
      parentId: parent ? bq.backupDataId(parent) : null,
      sourceFile,
      sizeGb: backup.size,
      volume: await volumeMetaOf(ctx.store.db, backup.volume_id),
    });
    return { objectCount: made.objectCount };
  },

  async complete(ctx, trx, op, result) {
    if (result.objectCount === null) return;
    const now = ctx.now();
    result.placed = await bq.updateBackup(trx, op.resource_id, { status: 'available', object_count: result.objectCount, updated_at: now }, ['creating']);
    await releaseSource(trx, op.resource_id, now);
  },

  async markFailed(ctx, trx, op, error) {
    const now = ctx.now();
    const failed = await bq.updateBackup(trx, op.resource_id, { status: 'error', fail_reason: detailFor(error).text, updated_at: now }, ['creating']);
    const source = await releaseSource(trx, op.resource_id, now);
    if (failed && source) {
      await recordMessage(trx, {
        projectId: source.projectId,
        requestId: op.request_id,
        resourceType: 'VOLUME',
        resourceId: source.volumeId,
        action: BACKUP_ACTIONS.BACKUP_CREATE,
        detail: detailFor(error),
      });
    }
  },

  async afterComplete(ctx, op, result) {
    // Deleted or reset while we were copying: leave no backup files without a live row.
    if (result.objectCount !== null && !result.placed && !(await bq.getBackup(ctx.store.db, op.resource_id))) {
      await backupDriverOf(ctx).delete(op.resource_id);
    }
  },
};

/** What a backup keeps of its volume (Cinder's get_metadata: the volume's name, description, metadata). */
async function volumeMetaOf(db: Db, volumeId: string): Promise<VolumeMeta> {
  const volume = await getVolume(db, volumeId);
  const metadata = (await metadataFor(db, [volumeId])).get(volumeId) ?? {};
  return { name: volume?.name ?? null, description: volume?.description ?? null, metadata };
}

/**
 * The restored volume gets what the backup kept of its source, as Cinder's BackupMetadataAPI.put does:
 * its metadata replaced by the source's (when the source had any), and the source's name and
 * description when the target has no name or was made for this restore (`restore_backup_<id>`).
 */
async function restoreVolumeMeta(trx: Db, volumeId: string, meta: VolumeMeta): Promise<void> {
  if (Object.keys(meta.metadata).length > 0) await volumeMetadata.replace(trx, volumeId, meta.metadata);
  const target = await getVolume(trx, volumeId);
  if (target && meta.name && (!target.name || target.name.startsWith('restore_backup_'))) {
    await updateVolume(trx, volumeId, { name: meta.name, description: meta.description });
  }
}

/** The id the backup's data is stored under (backupDataId), while the backup is in `status`; else undefined. */
async function dataIdWhileStatus(db: Db, backupId: string, status: string): Promise<string | undefined> {
  const backup = await loadIfStatus(bq.getBackup, db, backupId, status);
  return backup && bq.backupDataId(backup);
}

export const deleteBackup: OperationHandler<boolean> = {
  action: BACKUP_ACTIONS.BACKUP_DELETE,

  async execute(ctx, op) {
    const dataId = await dataIdWhileStatus(ctx.store.db, op.resource_id, 'deleting');
    if (dataId === undefined) return false;
    // Two rows on one data (an export imported under a new id, as Tempest does): the last one deleted
    // takes the data. Deleted together, both may keep it; worker-start reconciliation removes it then.
    if (!(await bq.dataSharedWithOthers(ctx.store.db, dataId, op.resource_id))) await backupDriverOf(ctx).delete(dataId);
    return true;
  },

  async complete(ctx, trx, op, done) {
    if (!done) return;
    const backup = await loadIfStatus(bq.getBackup, trx, op.resource_id, 'deleting');
    if (!backup) return;
    await bq.markBackupDeleted(trx, backup.id, ctx.now());
    await addUsage(trx, backup.project_id, 'backups', -1);
    await addUsage(trx, backup.project_id, 'backup_gigabytes', -backup.size);
  },

  async markFailed(ctx, trx, op) {
    await bq.updateBackup(trx, op.resource_id, { status: 'error_deleting', updated_at: ctx.now() }, ['deleting']);
  },
};

interface Restored {
  location: string;
  volume?: VolumeMeta;
}

export const restoreBackup: OperationHandler<Restored | null> = {
  action: BACKUP_ACTIONS.BACKUP_RESTORE,

  async execute(ctx, op) {
    const { backup_id } = payloadOf<RestoreBackupPayload>(op);
    const [volume, backup] = await Promise.all([
      loadIfStatus(getVolume, ctx.store.db, op.resource_id, 'restoring-backup', 'creating'),
      loadIfStatus(bq.getBackup, ctx.store.db, backup_id, 'restoring'),
    ]);
    if (!volume || !backup) return null;
    const file = ctx.backend.volumePath(volume.id);
    const restored = await backupDriverOf(ctx).restore({ backupId: bq.backupDataId(backup), targetFile: file, sizeGb: volume.size });
    return { location: path.basename(file), volume: restored.volume };
  },

  async complete(ctx, trx, op, result) {
    if (result === null) return;
    const { backup_id } = payloadOf<RestoreBackupPayload>(op);
    const now = ctx.now();
    const placed = await updateVolume(trx, op.resource_id, { status: 'available', host: ctx.host, provider_location: result.location, updated_at: now }, [
      'restoring-backup',
      'creating',
    ]);
    if (placed && result.volume) await restoreVolumeMeta(trx, op.resource_id, result.volume);
    await bq.updateBackup(trx, backup_id, { status: 'available', updated_at: now }, ['restoring']);
  },

  async markFailed(ctx, trx, op) {
    const { backup_id } = payloadOf<RestoreBackupPayload>(op);
    const now = ctx.now();
    await updateVolume(trx, op.resource_id, { status: 'error_restoring', updated_at: now }, ['restoring-backup']);
    await updateVolume(trx, op.resource_id, { status: 'error', updated_at: now }, ['creating']);
    await bq.updateBackup(trx, backup_id, { status: 'available', updated_at: now }, ['restoring']);
  },
};

/** Import found no such backup in backup storage: no retry can help. */
class BackupDataMissingError extends Error {
  readonly permanent = true;
}

export const importBackup: OperationHandler<boolean> = {
  action: BACKUP_ACTIONS.BACKUP_IMPORT,

  async execute(ctx, op) {
    const id = op.resource_id;
    const dataId = await dataIdWhileStatus(ctx.store.db, id, 'creating');
    if (dataId === undefined) return false;
    if (!(await backupDriverOf(ctx).exists(dataId))) {
      throw new BackupDataMissingError(dataId === id ? `backup ${id} is not in backup storage` : `backup ${id}: its data (${dataId}) is not in backup storage`);
    }
    return true;
  },

  async complete(ctx, trx, op, done) {
    if (done) await bq.updateBackup(trx, op.resource_id, { status: 'available', updated_at: ctx.now() }, ['creating']);
  },

  async markFailed(ctx, trx, op, error) {
    await bq.updateBackup(trx, op.resource_id, { status: 'error', fail_reason: error, updated_at: ctx.now() }, ['creating']);
  },
};
