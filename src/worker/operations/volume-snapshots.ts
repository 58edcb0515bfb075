/*
 * The snapshots of a volume being deleted (volume delete with `cascade`). The delete_volume operation
 * handles them itself, as Cinder's volume manager does, so the volume is never gone while one of its
 * snapshots remains: `execute` removes every live snapshot's file before the volume's, and the finishing
 * transaction soft-deletes their rows and gives their quota back together with the volume's. Without
 * cascade the API refuses to delete a volume that has snapshots, so there is nothing to do here then.
 * `removeSnapshotRow` is also how delete_snapshot removes its one row.
 */
import type { Db } from '../../db/store';
import type { SnapshotRow } from '../../db/schema';
import { markSnapshotDeleted, snapshotsOfVolume, updateSnapshot } from '../../db/queries/snapshots';
import { typeNameOf } from '../../db/queries/volume-types';
import type { OperationContext } from './types';

/** Outside any transaction, before the volume's file: remove every live snapshot file of the volume. */
export async function deleteSnapshotFilesOf(ctx: OperationContext, volumeId: string): Promise<void> {
  for (const s of await snapshotsOfVolume(ctx.store.db, volumeId)) {
    await ctx.backend.deleteSnapshot({ id: s.id, volumeId: s.volume_id, size: s.size });
  }
}

/**
 * In a finishing transaction: soft-delete a snapshot's row and give its quota back. Only the call that
 * deletes the row releases, so a snapshot removed twice (its own delete and a cascade) counts once.
 */
export async function removeSnapshotRow(ctx: OperationContext, trx: Db, snapshot: SnapshotRow): Promise<void> {
  if (!(await markSnapshotDeleted(trx, snapshot.id, ctx.now())) || !snapshot.consumes_quota) return;
  await ctx.quota.releaseSnapshot(trx, snapshot.project_id, await typeNameOf(trx, snapshot.volume_type_id), snapshot.size);
}

/** In the finishing transaction: soft-delete the volume's snapshots and release their quota (once each). */
export async function removeSnapshotRowsOf(ctx: OperationContext, trx: Db, volumeId: string): Promise<void> {
  for (const s of await snapshotsOfVolume(trx, volumeId)) await removeSnapshotRow(ctx, trx, s);
}

/** In the failing transaction: the cascaded snapshots (still `deleting`) go to `error_deleting` too. */
export async function failSnapshotsOf(ctx: OperationContext, trx: Db, volumeId: string): Promise<void> {
  for (const s of await snapshotsOfVolume(trx, volumeId)) {
    await updateSnapshot(trx, s.id, { status: 'error_deleting', updated_at: ctx.now() }, ['deleting']);
  }
}
