/*
 * retype_volume: one backend serves every type, so nothing moves on storage (Cinder's driver retype on
 * the same host). The finishing transaction sets the new volume_type_id (and multiattach), returns the
 * status to `previous_status`, and moves the per-type quota: the new type's keys were consumed when the
 * request was accepted, the old type's are given back now. A failure gives the new type's keys back and
 * returns the volume to its previous status, as Cinder does.
 */
import { getVolume, updateVolume } from '../../db/queries/volumes';
import { ACTIONS } from '../../services/user-messages';
import { payloadOf, type OperationHandler } from './types';
import type { RetypeVolumePayload } from '../../services/operation-payloads';

export const retypeVolume: OperationHandler<void> = {
  action: ACTIONS.RETYPE_VOLUME,

  async execute() {
    // Same backend for every type: no data moves.
  },

  async complete(ctx, trx, op) {
    const p = payloadOf<RetypeVolumePayload>(op);
    const volume = await getVolume(trx, op.resource_id);
    if (!volume) {
      // Deleted meanwhile: its deletion gave back the old type's keys; the new type's go back here.
      if (p.consumes_quota) await ctx.quota.releaseVolumeType(trx, p.project_id, p.new_type_name, p.size);
      return;
    }
    const now = ctx.now();
    await updateVolume(trx, volume.id, { volume_type_id: p.new_type_id, multiattach: p.multiattach ? 1 : 0, updated_at: now });
    await updateVolume(trx, volume.id, { status: volume.previous_status ?? 'available', updated_at: now }, ['retyping']);
    if (p.consumes_quota) await ctx.quota.releaseVolumeType(trx, p.project_id, p.old_type_name, volume.size);
  },

  async markFailed(ctx, trx, op) {
    const p = payloadOf<RetypeVolumePayload>(op);
    const volume = await getVolume(trx, op.resource_id);
    if (volume) await updateVolume(trx, volume.id, { status: volume.previous_status ?? 'available', updated_at: ctx.now() }, ['retyping']);
    if (p.consumes_quota) await ctx.quota.releaseVolumeType(trx, p.project_id, p.new_type_name, p.size);
  },
};
