/*
 * create_snapshot: copy the volume's backing file into the snapshot's (backend.createSnapshot), then
 * `creating` -> `available` with progress "100%" in the finishing transaction. On the last failed attempt
 * the snapshot goes to `error` (its quota stays until it is deleted, as in Cinder). Idempotent: a retry
 * rewrites the snapshot file, and a snapshot deleted or reset meanwhile is left as it is.
 */
import { getSnapshot, updateSnapshot } from '../../db/queries/snapshots';
import { ACTIONS } from '../../services/user-messages';
import { finishCreate } from './finish-create';
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

  ...finishCreate({
    find: getSnapshot,
    update: updateSnapshot,
    available: (ctx, location) => ({ status: 'available', progress: '100%', provider_location: location, updated_at: ctx.now() }),
    removeFile: (ctx, id) => ctx.backend.deleteSnapshot({ id, volumeId: '', size: 0 }),
  }),
};
