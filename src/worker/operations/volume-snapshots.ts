/*
 * The snapshots of a volume being deleted (volume delete with `cascade`). The delete_volume operation
 * handles them itself, as Cinder's volume manager does, so the volume is never gone while one of its
 * snapshots remains: `execute` removes every live snapshot's file before the volume's, and the finishing
 * transaction soft-deletes their rows and gives their quota back together with the volume's. Without
 * cascade the API refuses to delete a volume that has snapshots, so there is nothing to do here then.
 */
import type { Db } from '../../db/store';
import { markSnapshotDeleted, snapshotsOfVolume, updateSnapshot } from '../../db/queries/snapshots';
import { typeNameOf } from '../../db/queries/volume-types';
import type { OperationContext } from './types';

/** Outside any transaction, before the volume's file: remove every live snapshot file of the volume. */
export async function deleteSnapshotFilesOf(ctx: OperationContext, volumeId: string): Promise<void> {
  for (const s of await snapshotsOfVolume(ctx.store.db, volumeId)) {
    await ctx.backend.deleteSnapshot({ id: s.id, volumeId: s.volume_id, size: s.size });
  }
}

/** In the finishing transaction: soft-delete the volume's snapshots and release their quota (once each). */
export async function removeSnapshotRowsOf(ctx: OperationContext, trx: Db, volumeId: string): Promise<void> {
  const snapshots = await snapshotsOfVolume(trx, volumeId);
  if (snapshots.length === 0) return;
  for (const s of snapshots) {
    if (!(await markSnapshotDeleted(trx, s.id, ctx.now())) || !s.consumes_quota) continue;
    await ctx.quota.releaseSnapshot(trx, s.project_id, await typeNameOf(trx, s.volume_type_id), s.size);
  }
}

/** In the failing transaction: the cascaded snapshots (still `deleting`) go to `error_deleting` too. */
export async function failSnapshotsOf(ctx: OperationContext, trx: Db, volumeId: string): Promise<void> {
  for (const s of await snapshotsOfVolume(trx, volumeId)) {
    await updateSnapshot(trx, s.id, { status: 'error_deleting', updated_at: ctx.now() }, ['deleting']);
  }
}
