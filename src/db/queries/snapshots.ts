/*
 * Data access for snapshots and their metadata. Shared by the snapshot service, volume actions (revert,
 * cascade delete) and the worker's snapshot operations.
 */
import type { Db } from '../store';
import type { NewSnapshotRow, SnapshotRow, SnapshotsTable } from '../schema';
import type { Updateable } from 'kysely';

export async function getSnapshot(db: Db, id: string): Promise<SnapshotRow | undefined> {
  return db.selectFrom('snapshots').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

/** Live snapshots of a volume, newest first (the first is the one `revert` accepts). */
export async function snapshotsOfVolume(db: Db, volumeId: string): Promise<SnapshotRow[]> {
  return db.selectFrom('snapshots').selectAll().where('volume_id', '=', volumeId).where('deleted', '=', 0).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
}

export async function insertSnapshot(db: Db, row: NewSnapshotRow): Promise<void> {
  await db.insertInto('snapshots').values(row).execute();
}

/** Guarded update: only a live row, and only from `fromStatuses` when given. True if a row changed. */
export async function updateSnapshot(db: Db, id: string, changes: Updateable<SnapshotsTable>, fromStatuses?: readonly string[]): Promise<boolean> {
  let q = db.updateTable('snapshots').set(changes).where('id', '=', id).where('deleted', '=', 0);
  if (fromStatuses) q = q.where('status', 'in', fromStatuses);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

export async function markSnapshotDeleted(db: Db, id: string, at: string): Promise<boolean> {
  await db.deleteFrom('snapshot_metadata').where('snapshot_id', '=', id).execute();
  const res = await db.updateTable('snapshots').set({ deleted: 1, deleted_at: at, updated_at: at, status: 'deleted' }).where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function snapshotMetadataFor(db: Db, ids: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('snapshot_metadata').select(['snapshot_id', 'key', 'value']).where('snapshot_id', 'in', ids).orderBy('position').execute();
  for (const r of rows) out.get(r.snapshot_id)![r.key] = r.value;
  return out;
}

/** Replaces a snapshot's whole metadata set, keeping the order given. */
export async function replaceSnapshotMetadata(db: Db, snapshotId: string, metadata: Record<string, string>): Promise<void> {
  await db.deleteFrom('snapshot_metadata').where('snapshot_id', '=', snapshotId).execute();
  const rows = Object.entries(metadata).map(([key, value], position) => ({ snapshot_id: snapshotId, key, value, position }));
  if (rows.length > 0) await db.insertInto('snapshot_metadata').values(rows).execute();
}
