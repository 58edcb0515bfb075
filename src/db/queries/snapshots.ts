/*
 * Data access for snapshots and their metadata. Shared by the snapshot service, volume actions (revert,
 * cascade delete) and the worker's snapshot operations.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool, type Updateable } from 'kysely';
import type { Db } from '../store';
import { containsLike, countRows, listRows, scopeConditions, SortableTable, type ListQuery, type SortKey } from './keyset';
import type { Database, NewSnapshotRow, SnapshotRow, SnapshotsTable } from '../schema';

export async function getSnapshot(db: Db, id: string): Promise<SnapshotRow | undefined> {
  return db.selectFrom('snapshots').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

/** Live snapshots of a volume, newest first (the first is the one `revert` accepts). */
export async function snapshotsOfVolume(db: Db, volumeId: string): Promise<SnapshotRow[]> {
  return db
    .selectFrom('snapshots')
    .selectAll()
    .where('volume_id', '=', volumeId)
    .where('deleted', '=', 0)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute();
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
  const res = await db
    .updateTable('snapshots')
    .set({ deleted: 1, deleted_at: at, updated_at: at, status: 'deleted' })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
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

/** Sets keys: existing keys keep their position, new ones go last. */
export async function mergeSnapshotMetadata(db: Db, snapshotId: string, metadata: Record<string, string>): Promise<void> {
  const current = (await snapshotMetadataFor(db, [snapshotId])).get(snapshotId)!;
  await replaceSnapshotMetadata(db, snapshotId, { ...current, ...metadata });
}

export async function deleteSnapshotMetadataKey(db: Db, snapshotId: string, key: string): Promise<boolean> {
  const res = await db.deleteFrom('snapshot_metadata').where('snapshot_id', '=', snapshotId).where('key', '=', key).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

// --- lists -------------------------------------------------------------------------------------

/** Columns a snapshot list may be sorted by (API names; `size` is Cinder's volume_size). */
export const SNAPSHOT_SORT_COLUMNS = [
  'id',
  'name',
  'description',
  'status',
  'size',
  'progress',
  'volume_id',
  'project_id',
  'user_id',
  'volume_type_id',
  'created_at',
  'updated_at',
] as const;
export type SnapshotSortColumn = (typeof SNAPSHOT_SORT_COLUMNS)[number];
export type SnapshotColumn = SnapshotSortColumn | 'consumes_quota' | 'provider_location';

const SNAPSHOT_TEXT_NULLABLE = new Set<string>(['name', 'description', 'updated_at', 'provider_location']);

export interface SnapshotFilter {
  column: SnapshotColumn;
  op: 'eq' | 'like';
  value: string | number;
}

export type SnapshotSortKey = SortKey<SnapshotSortColumn>;

export interface SnapshotListQuery extends ListQuery<SnapshotRow, SnapshotSortColumn, SnapshotFilter> {
  /** Only snapshots with all of these metadata items. */
  metadata: Record<string, string>;
  /** Only snapshots whose volume is in this zone. */
  availabilityZone?: string;
}

type SnapEb = ExpressionBuilder<Database, 'snapshots'>;

const SORTABLE = new SortableTable('snapshots', SNAPSHOT_TEXT_NULLABLE);

function snapshotConditions(eb: SnapEb, q: SnapshotListQuery): Expression<SqlBool>[] {
  const parts = scopeConditions(eb, 'snapshots', q);
  for (const f of q.filters) {
    const ref = eb.ref(`snapshots.${f.column}` as 'snapshots.id');
    if (f.op === 'like') parts.push(containsLike(ref, String(f.value)));
    else parts.push(eb(ref, '=', f.value as string));
  }
  for (const [key, value] of Object.entries(q.metadata)) {
    parts.push(
      eb.exists(
        eb
          .selectFrom('snapshot_metadata as m')
          .select(sql.lit(1).as('one'))
          .whereRef('m.snapshot_id', '=', 'snapshots.id')
          .where('m.key', '=', key)
          .where('m.value', '=', value),
      ),
    );
  }
  if (q.availabilityZone !== undefined) {
    const zone = q.availabilityZone;
    parts.push(
      eb.exists(
        eb.selectFrom('volumes as v').select(sql.lit(1).as('one')).whereRef('v.id', '=', 'snapshots.volume_id').where('v.availability_zone', '=', zone),
      ),
    );
  }
  return parts;
}

export async function listSnapshots(db: Db, q: SnapshotListQuery): Promise<SnapshotRow[]> {
  return listRows(db, SORTABLE, snapshotConditions, q);
}

export async function countSnapshots(db: Db, q: SnapshotListQuery): Promise<number> {
  return countRows(db, 'snapshots', snapshotConditions, q);
}
