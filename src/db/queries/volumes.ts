/*
 * Data access for volumes and their metadata. Listing builds filters, sorting and keyset pagination
 * (marker) from a validated VolumeListQuery; column names reach SQL only from the fixed sets below.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db } from '../store';
import { containsLike, countRows, listRows, scopeConditions, SortableTable, type ListQuery, type SortKey as ColumnSortKey } from './keyset';
import type { Database, NewVolumeRow, VolumeRow, VolumeUpdate } from '../schema';
import { hasMetadataItems, keyValuesOf, orderedMetadata } from './key-values';
import { markLiveRowDeleted, updateLiveRow } from './soft-delete';

/** Columns a list may be sorted by, and those a filter may compare. */
export const VOLUME_SORT_COLUMNS = [
  'id',
  'name',
  'description',
  'status',
  'size',
  'availability_zone',
  'bootable',
  'volume_type_id',
  'project_id',
  'user_id',
  'attach_status',
  'migration_status',
  'created_at',
  'updated_at',
] as const;
export type VolumeSortColumn = (typeof VOLUME_SORT_COLUMNS)[number];
export type VolumeColumn =
  VolumeSortColumn | 'snapshot_id' | 'source_volid' | 'consumes_quota' | 'multiattach' | 'encrypted' | 'replication_status' | 'host' | 'group_id';

const TEXT_NULLABLE = new Set<string>(['name', 'description', 'migration_status', 'updated_at', 'snapshot_id', 'source_volid', 'replication_status', 'host']);

export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'like';

export interface VolumeFilter {
  column: VolumeColumn;
  op: FilterOp;
  value: string | number | null;
}

export type SortKey = ColumnSortKey<VolumeSortColumn>;

export interface VolumeListQuery extends ListQuery<VolumeRow, VolumeSortColumn, VolumeFilter> {
  /** Only volumes with all of these metadata items. */
  metadata: Record<string, string>;
}

type Eb = ExpressionBuilder<Database, 'volumes'>;

const SORTABLE = new SortableTable('volumes', TEXT_NULLABLE);

const SQL_OPS: Record<Exclude<FilterOp, 'like'>, '=' | '<>' | '>' | '>=' | '<' | '<='> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

function conditions(eb: Eb, q: VolumeListQuery): Expression<SqlBool>[] {
  const parts = scopeConditions(eb, 'volumes', q);
  for (const f of q.filters) {
    const ref = eb.ref(`volumes.${f.column}` as 'volumes.id');
    if (f.op === 'like') parts.push(containsLike(ref, String(f.value)));
    else if (f.value === null) parts.push(f.op === 'neq' ? eb(ref, 'is not', null) : eb(ref, 'is', null));
    else parts.push(eb(ref, SQL_OPS[f.op], f.value as string));
  }
  parts.push(...hasMetadataItems(eb, 'volume_metadata', 'volumes.id', q.metadata));
  return parts;
}

export async function listVolumes(db: Db, q: VolumeListQuery): Promise<VolumeRow[]> {
  return listRows(db, SORTABLE, conditions, q);
}

export async function countVolumes(db: Db, q: VolumeListQuery): Promise<number> {
  return countRows(db, 'volumes', conditions, q);
}

export async function summarizeVolumes(db: Db, projectId: string | undefined): Promise<{ total_count: number; total_size: number }> {
  let query = db
    .selectFrom('volumes')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.coalesce(eb.fn.sum<number>('size'), sql.lit(0)).as('total')])
    .where('deleted', '=', 0);
  if (projectId !== undefined) query = query.where('project_id', '=', projectId);
  const row = await query.executeTakeFirstOrThrow();
  return { total_count: Number(row.n), total_size: Number(row.total) };
}

export async function distinctMetadata(db: Db, projectId: string | undefined): Promise<Record<string, string[]>> {
  let query = db
    .selectFrom('volume_metadata as m')
    .innerJoin('volumes as v', 'v.id', 'm.volume_id')
    .select(['m.key', 'm.value'])
    .distinct()
    .where('v.deleted', '=', 0)
    .orderBy('m.key')
    .orderBy('m.value');
  if (projectId !== undefined) query = query.where('v.project_id', '=', projectId);
  const out: Record<string, string[]> = {};
  for (const r of await query.execute()) (out[r.key] ??= []).push(r.value);
  return out;
}

export async function getVolume(db: Db, id: string): Promise<VolumeRow | undefined> {
  return db.selectFrom('volumes').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

export async function insertVolume(db: Db, row: NewVolumeRow): Promise<void> {
  await db.insertInto('volumes').values(row).execute();
}

/**
 * Guarded update: changes the row only if it is live and (when given) in one of `fromStatuses`.
 * Returns whether a row changed, so callers turn a lost race into the right error.
 */
export async function updateVolume(db: Db, id: string, changes: VolumeUpdate, fromStatuses?: readonly string[]): Promise<boolean> {
  return updateLiveRow(db, 'volumes', id, changes, fromStatuses);
}

export async function countVolumesOfType(db: Db, typeId: string): Promise<number> {
  const row = await db
    .selectFrom('volumes')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('volume_type_id', '=', typeId)
    .where('deleted', '=', 0)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Metadata of many volumes at once: user metadata in insertion order, admin metadata in key order. */
export async function metadataFor(
  db: Db,
  ids: readonly string[],
  table: 'volume_metadata' | 'volume_admin_metadata' = 'volume_metadata',
): Promise<Map<string, Record<string, string>>> {
  return keyValuesOf(db, table, ids);
}

/** A volume's user metadata: read, replace (in the order given), merge (new keys last), delete a key. */
export const volumeMetadata = orderedMetadata('volume_metadata');

/** Soft delete: the row stays for audit with deleted = 1; its metadata goes. */
export async function markVolumeDeleted(db: Db, id: string, at: string): Promise<boolean> {
  await db.deleteFrom('volume_metadata').where('volume_id', '=', id).execute();
  await db.deleteFrom('volume_admin_metadata').where('volume_id', '=', id).execute();
  // Its attachments go with it (Cinder's volume_destroy soft-deletes the dependent rows).
  await db.updateTable('attachments').set({ deleted: 1, deleted_at: at, updated_at: at }).where('volume_id', '=', id).where('deleted', '=', 0).execute();
  return markLiveRowDeleted(db, 'volumes', id, at);
}
