/*
 * extend_volume: grow the backing file, then (one transaction) the new size and the status the volume's
 * attachments imply (`in-use` with live attachments, else `available`), as Cinder's manager does. The
 * quota for the increase was consumed when the request was accepted; a failure gives it back and leaves
 * the volume in `error_extending`. The new size is recorded even if an admin reset the status meanwhile,
 * so size, file and quota always agree.
 */
import { attachmentsOfVolume } from '../../db/queries/attachments';
import { getVolume, updateVolume } from '../../db/queries/volumes';
import { ACTIONS } from '../../services/user-messages';
import { payloadOf, type OperationHandler } from './types';
import type { ExtendVolumePayload } from '../../services/operation-payloads';

interface Extended {
  /** The volume was gone when the worker looked. */
  gone: boolean;
}

export const extendVolume: OperationHandler<Extended> = {
  action: ACTIONS.EXTEND_VOLUME,

  async execute(ctx, op) {
    const volume = await getVolume(ctx.store.db, op.resource_id);
    if (!volume) return { gone: true };
    const { new_size } = payloadOf<ExtendVolumePayload>(op);
    // Idempotent: the file backend only ever grows, so a retry finds the file already grown.
    await ctx.backend.extendVolume({ id: volume.id, size: volume.size }, new_size);
    return { gone: false };
  },

  async complete(ctx, trx, op) {
    const p = payloadOf<ExtendVolumePayload>(op);
    const volume = await getVolume(trx, op.resource_id);
    if (!volume) {
      // Deleted meanwhile: its deletion gave back the old size; the increase goes back here.
      if (p.consumes_quota) await ctx.quota.releaseExtend(trx, p.project_id, p.type_name, p.new_size - p.old_size);
      return;
    }
    const now = ctx.now();
    await updateVolume(trx, volume.id, { size: p.new_size, updated_at: now });
    const status = (await attachmentsOfVolume(trx, volume.id)).length > 0 ? 'in-use' : 'available';
    await updateVolume(trx, volume.id, { status, updated_at: now }, ['extending']);
  },

  async markFailed(ctx, trx, op) {
    const p = payloadOf<ExtendVolumePayload>(op);
    await updateVolume(trx, op.resource_id, { status: 'error_extending', updated_at: ctx.now() }, ['extending']);
    if (p.consumes_quota) await ctx.quota.releaseExtend(trx, p.project_id, p.type_name, p.new_size - p.old_size);
  },
};
