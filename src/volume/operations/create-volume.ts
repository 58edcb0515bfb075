/* create_volume: a new backing file (empty, or a clone of `source_volid`), then `creating` -> `available`. */
import { finishOperation } from '../../db/queries/operations';
import { getVolume, updateVolume } from '../../db/queries/volumes';
import { LeaseLostError, type OperationHandler } from './types';

export interface CreateVolumePayload {
  source_volid?: string;
}

export const createVolume: OperationHandler = {
  async run(ctx, op) {
    const volume = await getVolume(ctx.store.db, op.resource_id);
    const payload = JSON.parse(op.payload) as CreateVolumePayload;
    let location: string | null = null;
    if (volume && volume.status === 'creating') {
      const ref = { id: volume.id, size: volume.size };
      const placed = payload.source_volid
        ? await ctx.backend.cloneVolume(ref, { id: payload.source_volid, size: volume.size })
        : await ctx.backend.createVolume(ref);
      location = placed.providerLocation;
    }
    const placed = await ctx.store.transaction(async (trx) => {
      const now = ctx.now();
      if (!(await finishOperation(trx, op.id, ctx.owner, 'succeeded', now))) throw new LeaseLostError(op.id);
      // Guarded: a volume reset or deleted meanwhile keeps the status an admin gave it.
      if (location === null) return false;
      return updateVolume(trx, op.resource_id, { status: 'available', provider_location: location, host: ctx.host, updated_at: now }, ['creating']);
    });
    if (location !== null && !placed && !(await getVolume(ctx.store.db, op.resource_id))) {
      // Deleted while we were creating it: leave no orphaned backing file behind.
      await ctx.backend.deleteVolume({ id: op.resource_id, size: 0 });
    }
  },

  async fail(ctx, op, error) {
    await ctx.store.transaction(async (trx) => {
      const now = ctx.now();
      if (!(await finishOperation(trx, op.id, ctx.owner, 'failed', now, error))) throw new LeaseLostError(op.id);
      await updateVolume(trx, op.resource_id, { status: 'error', updated_at: now }, ['creating']);
    });
  },
};
