/* Data access for backups and their metadata (backup service, backup operations, reconciliation). */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db } from '../store';
import type { Database } from '../schema';
import type { BackupRow, BackupUpdate, NewBackupRow } from '../backup-schema';
import { SortableTable } from './keyset';

export async function getBackup(db: Db, id: string): Promise<BackupRow | undefined> {
  return db.selectFrom('backups').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

/** Any row with this id, deleted ones included (import_record reuses the id). */
export async function getBackupAnyState(db: Db, id: string): Promise<BackupRow | undefined> {
  return db.selectFrom('backups').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function insertBackup(db: Db, row: NewBackupRow): Promise<void> {
  await db.insertInto('backups').values(row).execute();
}

/** Removes a deleted row for good (import_record of a backup deleted here before). */
export async function purgeDeletedBackup(db: Db, id: string): Promise<void> {
  await db.deleteFrom('backup_metadata').where('backup_id', '=', id).execute();
  await db.deleteFrom('backups').where('id', '=', id).where('deleted', '=', 1).execute();
}

/** Guarded update: only a live row, and only from `fromStatuses` when given. True if a row changed. */
export async function updateBackup(db: Db, id: string, changes: BackupUpdate, fromStatuses?: readonly string[]): Promise<boolean> {
  let q = db.updateTable('backups').set(changes).where('id', '=', id).where('deleted', '=', 0);
  if (fromStatuses) q = q.where('status', 'in', fromStatuses);
  return Number((await q.executeTakeFirst()).numUpdatedRows) > 0;
}

export async function markBackupDeleted(db: Db, id: string, at: string): Promise<boolean> {
  await db.deleteFrom('backup_metadata').where('backup_id', '=', id).execute();
  const res = await db
    .updateTable('backups')
    .set({ deleted: 1, deleted_at: at, updated_at: at, status: 'deleted' })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** The newest live backup of a volume in a project (the parent of an incremental backup). */
export async function latestBackupOfVolume(db: Db, volumeId: string, projectId: string): Promise<BackupRow | undefined> {
  return db
    .selectFrom('backups')
    .selectAll()
    .where('volume_id', '=', volumeId)
    .where('project_id', '=', projectId)
    .where('deleted', '=', 0)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
}

/** Ids among `ids` that have live incremental children. */
export async function withDependents(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('backups').select('parent_id').distinct().where('parent_id', 'in', ids).where('deleted', '=', 0).execute();
  return new Set(rows.map((r) => r.parent_id!));
}

export async function liveBackupIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db.selectFrom('backups').select('id').where('id', 'in', ids).where('deleted', '=', 0).execute();
  return new Set(rows.map((r) => r.id));
}

export async function backupMetadataFor(db: Db, ids: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>(ids.map((id) => [id, {}]));
  if (ids.length === 0) return out;
  const rows = await db.selectFrom('backup_metadata').select(['backup_id', 'key', 'value']).where('backup_id', 'in', ids).orderBy('position').execute();
  for (const r of rows) out.get(r.backup_id)![r.key] = r.value;
  return out;
}

export async function replaceBackupMetadata(db: Db, backupId: string, metadata: Record<string, string>): Promise<void> {
  await db.deleteFrom('backup_metadata').where('backup_id', '=', backupId).execute();
  const rows = Object.entries(metadata).map(([key, value], position) => ({ backup_id: backupId, key, value: String(value), position }));
  if (rows.length > 0) await db.insertInto('backup_metadata').values(rows).execute();
}

// --- lists -------------------------------------------------------------------------------------

export const BACKUP_SORT_COLUMNS = [
  'id',
  'name',
  'description',
  'status',
  'size',
  'volume_id',
  'snapshot_id',
  'project_id',
  'user_id',
  'container',
  'availability_zone',
  'object_count',
  'created_at',
  'updated_at',
  'data_timestamp',
] as const;
export type BackupSortColumn = (typeof BACKUP_SORT_COLUMNS)[number];
/** Columns an admin may filter on (anything else matches nothing, as in Cinder). */
export const BACKUP_FILTER_COLUMNS: readonly string[] = [...BACKUP_SORT_COLUMNS, 'parent_id', 'fail_reason'];

const TEXT_NULLABLE = new Set<string>(['name', 'description', 'updated_at', 'snapshot_id', 'container', 'availability_zone']);
const SORTABLE = new SortableTable('backups', TEXT_NULLABLE);

/** An equality filter on one of BACKUP_FILTER_COLUMNS. */
export interface BackupFilter {
  column: string;
  value: string;
}

export interface BackupListQuery {
  projectId?: string;
  filters: BackupFilter[];
  matchesNothing: boolean;
  sort: { column: BackupSortColumn; dir: 'asc' | 'desc' }[];
  marker?: BackupRow;
  limit: number;
  offset: number;
}

function where(eb: ExpressionBuilder<Database, 'backups'>, q: BackupListQuery): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [eb('backups.deleted', '=', 0)];
  if (q.matchesNothing) parts.push(sql<SqlBool>`1 = 0`);
  if (q.projectId !== undefined) parts.push(eb('backups.project_id', '=', q.projectId));
  for (const f of q.filters) parts.push(eb(eb.ref(`backups.${f.column}` as 'backups.id'), '=', f.value));
  if (q.marker) parts.push(SORTABLE.after(eb, q.sort, q.marker));
  return eb.and(parts);
}

export async function listBackups(db: Db, q: BackupListQuery): Promise<BackupRow[]> {
  let query = db
    .selectFrom('backups')
    .selectAll()
    .where((eb) => where(eb, q));
  for (const key of q.sort) query = query.orderBy((eb) => SORTABLE.column(eb, key.column), key.dir);
  return query.limit(q.limit).offset(q.offset).execute();
}

export async function countBackups(db: Db, q: BackupListQuery): Promise<number> {
  const row = await db
    .selectFrom('backups')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb) => where(eb, { ...q, marker: undefined }))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
