/*
 * revert_volume (3.40 `revert` action): put the snapshot's data back into its volume
 * (backend.revertToSnapshot; the file backend replaces the volume file atomically, at the volume's
 * size), then volume `reverting` -> `available` and snapshot `restoring` -> `available` in the finishing
 * transaction. On the last failed attempt the volume goes to `error` and the snapshot back to
 * `available` (Cinder's manager does the same). Idempotent: reverting twice gives the same data.
 */
import { getSnapshot, updateSnapshot } from '../../db/queries/snapshots';
import { getVolume, updateVolume } from '../../db/queries/volumes';
import { ACTIONS } from '../../services/user-messages';
import { loadIfStatus, payloadOf, type OperationHandler } from './types';
import type { RevertVolumePayload } from '../../services/operation-payloads';

export const revertVolume: OperationHandler<void> = {
  action: ACTIONS.REVERT_VOLUME,

  async execute(ctx, op) {
    const { snapshot_id } = payloadOf<RevertVolumePayload>(op);
    const [volume, snapshot] = await Promise.all([
      loadIfStatus(getVolume, ctx.store.db, op.resource_id, 'reverting'),
      loadIfStatus(getSnapshot, ctx.store.db, snapshot_id, 'restoring'),
    ]);
    // Reset by an admin meanwhile: leave the data alone.
    if (!volume || !snapshot) return;
    await ctx.backend.revertToSnapshot({ id: volume.id, size: volume.size }, { id: snapshot.id, volumeId: volume.id, size: snapshot.size });
  },

  async complete(ctx, trx, op) {
    const { snapshot_id } = payloadOf<RevertVolumePayload>(op);
    const now = ctx.now();
    await updateVolume(trx, op.resource_id, { status: 'available', updated_at: now }, ['reverting']);
    await updateSnapshot(trx, snapshot_id, { status: 'available', updated_at: now }, ['restoring']);
  },

  async markFailed(ctx, trx, op) {
    const { snapshot_id } = payloadOf<RevertVolumePayload>(op);
    const now = ctx.now();
    await updateVolume(trx, op.resource_id, { status: 'error', updated_at: now }, ['reverting']);
    await updateSnapshot(trx, snapshot_id, { status: 'available', updated_at: now }, ['restoring']);
  },
};
