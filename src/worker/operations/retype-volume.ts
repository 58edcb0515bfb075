/*
 * retype_volume. When the volume's pool serves the new type, nothing moves on storage (Cinder's driver
 * retype on the same host): the finishing transaction sets the new volume_type_id (and multiattach),
 * returns the status to `previous_status`, and moves the per-type quota: the new type's keys were
 * consumed when the request was accepted, the old type's are given back now. When it does not (issue 16),
 * the API chose a pool (`migrate_to`, policy `on-demand`) and the retype hands over to a migration
 * (migrate-volume.ts), which sets the type when the data has moved; or it refused (`refused`: policy
 * `never`, no pool, snapshots) and the retype fails. A failure gives the new type's keys back and
 * returns the volume to its previous status, as Cinder does.
 */
import { getVolume, updateVolume } from '../../db/queries/volumes';
import { ACTIONS } from '../../services/user-messages';
import { payloadOf, type OperationHandler } from './types';
import type { RetypeVolumePayload } from '../../services/operation-payloads';
import { queueMigrationPhase } from './migrate-volume';

export const retypeVolume: OperationHandler<void> = {
  action: ACTIONS.RETYPE_VOLUME,

  async execute(_ctx, op) {
    // The pool serves the new type: no data moves here (a migration moves it, in its own operations).
    const refused = payloadOf<RetypeVolumePayload>(op).refused;
    if (refused) throw Object.assign(new Error(refused), { permanent: true });
  },

  async complete(ctx, trx, op) {
    const p = payloadOf<RetypeVolumePayload>(op);
    const volume = await getVolume(trx, op.resource_id);
    if (volume && p.migrate_to && volume.host) {
      // The status stays `retyping` until the migration is over.
      await updateVolume(trx, volume.id, { migration_status: 'starting', updated_at: ctx.now() });
      await queueMigrationPhase(ctx, trx, op, { phase: 'copy', source_host: volume.host, dest_host: p.migrate_to, retype: p }, volume.host);
      return;
    }
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
