/*
 * delete_volume: remove the backing file, then soft-delete the row and give its quota back, in one
 * transaction. With `cascade` the volume's snapshots go first, in the same operation: their files before
 * the volume's file, their rows in the same finishing transaction (volume-snapshots.ts).
 */
import { getVolume, markVolumeDeleted, updateVolume } from '../../db/queries/volumes';
import { typeNameOf } from '../../db/queries/volume-types';
import { ACTIONS } from '../../services/user-messages';
import type { OperationHandler } from './types';
import { deleteSnapshotFilesOf, failSnapshotsOf, removeSnapshotRowsOf } from './volume-snapshots';

export const deleteVolume: OperationHandler<void> = {
  action: ACTIONS.DELETE_VOLUME,

  async execute(ctx, op) {
    const volume = await getVolume(ctx.store.db, op.resource_id);
    if (!volume) return;
    await deleteSnapshotFilesOf(ctx, volume.id);
    await ctx.backend.deleteVolume({ id: volume.id, size: volume.size });
  },

  async complete(ctx, trx, op) {
    const volume = await getVolume(trx, op.resource_id);
    if (volume) await removeSnapshotRowsOf(ctx, trx, volume.id);
    if (!volume || !(await markVolumeDeleted(trx, volume.id, ctx.now()))) return;
    if (volume.consumes_quota) {
      const typeName = await typeNameOf(trx, volume.volume_type_id);
      await ctx.quota.releaseVolume(trx, volume.project_id, typeName, volume.size);
    }
  },

  async markFailed(ctx, trx, op) {
    await updateVolume(trx, op.resource_id, { status: 'error_deleting', updated_at: ctx.now() }, ['deleting']);
    await failSnapshotsOf(ctx, trx, op.resource_id);
  },
};
