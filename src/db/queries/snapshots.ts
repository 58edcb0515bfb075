/*
 * Data access for snapshots and their metadata. Shared by the snapshot service, volume actions (revert,
 * cascade delete) and the worker's snapshot operations.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool, type Updateable } from 'kysely';
import type { Db } from '../store';
import { containsLike, countRows, listRows, scopeConditions, SortableTable, type ListQuery, type SortKey } from './keyset';
import type { Database, NewSnapshotRow, SnapshotRow, SnapshotsTable } from '../schema';
import { hasMetadataItems, orderedMetadata } from './key-values';
import { markLiveRowDeleted, updateLiveRow } from './soft-delete';

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
  return updateLiveRow(db, 'snapshots', id, changes, fromStatuses);
}

export async function markSnapshotDeleted(db: Db, id: string, at: string): Promise<boolean> {
  await db.deleteFrom('snapshot_metadata').where('snapshot_id', '=', id).execute();
  return markLiveRowDeleted(db, 'snapshots', id, at);
}

/** A snapshot's metadata: read (many snapshots at once), replace (in the order given), merge (new keys last), delete a key. */
export const snapshotMetadata = orderedMetadata('snapshot_metadata');

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
  parts.push(...hasMetadataItems(eb, 'snapshot_metadata', 'snapshots.id', q.metadata));
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
