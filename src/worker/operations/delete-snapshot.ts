/*
 * delete_snapshot: remove the snapshot's file (backend.deleteSnapshot), then soft-delete the row and give
 * its quota back (snapshots -1, gigabytes -size, and the per-type keys) in the finishing transaction. On
 * the last failed attempt the snapshot goes to `error_deleting`. Idempotent: deleting a missing file
 * succeeds, and a row already gone (deleted with its volume by a cascade) is not released twice.
 */
import { getSnapshot, updateSnapshot } from '../../db/queries/snapshots';
import { ACTIONS } from '../../services/user-messages';
import { loadIfStatus, type OperationHandler } from './types';
import { removeSnapshotRow } from './volume-snapshots';

interface Deleted {
  /** False when the snapshot was no longer `deleting` (reset by an admin meanwhile): nothing was done. */
  deleted: boolean;
}

export const deleteSnapshot: OperationHandler<Deleted> = {
  action: ACTIONS.SNAPSHOT_DELETE,

  async execute(ctx, op) {
    const snapshot = await loadIfStatus(getSnapshot, ctx.store.db, op.resource_id, 'deleting');
    if (!snapshot) return { deleted: false };
    await ctx.backend.deleteSnapshot({ id: snapshot.id, volumeId: snapshot.volume_id, size: snapshot.size });
    return { deleted: true };
  },

  async complete(ctx, trx, op, result) {
    if (!result.deleted) return;
    const snapshot = await loadIfStatus(getSnapshot, trx, op.resource_id, 'deleting');
    if (snapshot) await removeSnapshotRow(ctx, trx, snapshot);
  },

  async markFailed(ctx, trx, op) {
    await updateSnapshot(trx, op.resource_id, { status: 'error_deleting', updated_at: ctx.now() }, ['deleting']);
  },
};
