/* delete_volume: remove the backing file, then soft-delete the row and give its quota back, in one transaction. */
import { finishOperation } from '../../db/queries/operations';
import { getVolume, markVolumeDeleted, updateVolume } from '../../db/queries/volumes';
import { getType } from '../../db/queries/volume-types';
import { LeaseLostError, type OperationHandler } from './types';

export const deleteVolume: OperationHandler = {
  async run(ctx, op) {
    const volume = await getVolume(ctx.store.db, op.resource_id);
    if (volume) await ctx.backend.deleteVolume({ id: volume.id, size: volume.size });
    await ctx.store.transaction(async (trx) => {
      const now = ctx.now();
      if (!(await finishOperation(trx, op.id, ctx.owner, 'succeeded', now))) throw new LeaseLostError(op.id);
      if (!volume) return;
      if (await markVolumeDeleted(trx, volume.id, now)) {
        const type = await getType(trx, volume.volume_type_id).then((t) => t ?? { name: '' });
        if (volume.consumes_quota) await ctx.quota.releaseVolume(trx, volume.project_id, type.name, volume.size);
      }
    });
  },

  async fail(ctx, op, error) {
    await ctx.store.transaction(async (trx) => {
      const now = ctx.now();
      if (!(await finishOperation(trx, op.id, ctx.owner, 'failed', now, error))) throw new LeaseLostError(op.id);
      await updateVolume(trx, op.resource_id, { status: 'error_deleting', updated_at: now }, ['deleting']);
    });
  },
};
