/*
 * create_snapshot: copy the volume's backing file into the snapshot's (backend.createSnapshot), then
 * `creating` -> `available` with progress "100%" in the finishing transaction. On the last failed attempt
 * the snapshot goes to `error` (its quota stays until it is deleted, as in Cinder). Idempotent: a retry
 * rewrites the snapshot file, and a snapshot deleted or reset meanwhile is left as it is.
 */
import { getSnapshot, updateSnapshot } from '../../db/queries/snapshots';
import { ACTIONS } from '../../services/user-messages';
import { loadIfStatus, type OperationHandler, type Placed } from './types';

export const createSnapshot: OperationHandler<Placed> = {
  action: ACTIONS.SNAPSHOT_CREATE,

  async execute(ctx, op) {
    const snapshot = await loadIfStatus(getSnapshot, ctx.store.db, op.resource_id, 'creating');
    // Reset, force-deleted or gone meanwhile: nothing to create.
    if (!snapshot) return { location: null };
    const made = await ctx.backend.createSnapshot({ id: snapshot.id, volumeId: snapshot.volume_id, size: snapshot.size });
    return { location: made.providerLocation };
  },

  async complete(ctx, trx, op, result) {
    if (result.location === null) return;
    // Guarded: a snapshot reset or deleted meanwhile keeps the status it was given.
    result.placed = await updateSnapshot(
      trx,
      op.resource_id,
      { status: 'available', progress: '100%', provider_location: result.location, updated_at: ctx.now() },
      ['creating'],
    );
  },

  async markFailed(ctx, trx, op) {
    await updateSnapshot(trx, op.resource_id, { status: 'error', updated_at: ctx.now() }, ['creating']);
  },

  async afterComplete(ctx, op, result) {
    if (result.location !== null && !result.placed && !(await getSnapshot(ctx.store.db, op.resource_id))) {
      // Deleted while we were copying: leave no orphaned snapshot file behind.
      await ctx.backend.deleteSnapshot({ id: op.resource_id, volumeId: '', size: 0 });
    }
  },
};
