/* create_volume: a new backing file (empty, a clone of `source_volid`, or a copy of `snapshot_id`), then `creating` -> `available`. */
import { getVolume, updateVolume } from '../../db/queries/volumes';
import { ACTIONS } from '../../services/user-messages';
import { requireCapabilitiesFor } from '../../services/scheduler';
import { finishCreate } from './finish-create';
import { loadIfStatus, payloadOf, type OperationHandler, type Placed } from './types';
import type { CreateVolumePayload } from '../../services/operation-payloads';

export const createVolume: OperationHandler<Placed> = {
  action: ACTIONS.SCHEDULE_ALLOCATE_VOLUME,

  async execute(ctx, op) {
    const volume = await loadIfStatus(getVolume, ctx.store.db, op.resource_id, 'creating');
    // Reset or deleted meanwhile: nothing to create.
    if (!volume) return { location: null };
    await requireCapabilitiesFor(ctx.store.db, volume.volume_type_id, () => ctx.poolCapabilities());
    const ref = { id: volume.id, size: volume.size };
    const { source_volid, snapshot_id } = payloadOf<CreateVolumePayload>(op);
    const placed = source_volid
      ? await ctx.backend.cloneVolume(ref, { id: source_volid, size: volume.size })
      : snapshot_id
        ? await ctx.backend.createVolumeFromSnapshot(ref, { id: snapshot_id, volumeId: '', size: volume.size })
        : await ctx.backend.createVolume(ref);
    return { location: placed.providerLocation };
  },

  ...finishCreate({
    find: getVolume,
    update: updateVolume,
    available: (ctx, location) => ({ status: 'available', provider_location: location, host: ctx.host, updated_at: ctx.now() }),
    removeFile: (ctx, id) => ctx.backend.deleteVolume({ id, size: 0 }),
  }),
};
