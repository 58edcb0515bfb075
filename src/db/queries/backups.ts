/* Data access for backups and their metadata (backup service, backup operations, reconciliation). */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
import type { Db } from '../store';
import type { Database } from '../schema';
import type { BackupRow, BackupUpdate, NewBackupRow } from '../backup-schema';
import { keyValuesOf, replaceOrderedKeyValues } from './key-values';
import { countRows, listRows, scopeConditions, SortableTable, type ListQuery } from './keyset';
import { markLiveRowDeleted, updateLiveRow } from './soft-delete';

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
  return updateLiveRow(db, 'backups', id, changes, fromStatuses);
}

export async function markBackupDeleted(db: Db, id: string, at: string): Promise<boolean> {
  await db.deleteFrom('backup_metadata').where('backup_id', '=', id).execute();
  return markLiveRowDeleted(db, 'backups', id, at);
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

/** The id a backup's data is stored under: service_metadata for an imported record of other data, else its own. */
export function backupDataId(row: Pick<BackupRow, 'id' | 'service_metadata'>): string {
  return row.service_metadata ?? row.id;
}

/** Data ids among `ids` that a live backup's data is stored under (reconciliation keeps those). */
export async function liveBackupDataIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom('backups')
    .select((eb) => eb.fn.coalesce('service_metadata', 'id').as('data_id'))
    .where((eb) => eb(eb.fn.coalesce('service_metadata', 'id'), 'in', ids))
    .where('deleted', '=', 0)
    .execute();
  return new Set(rows.map((r) => r.data_id));
}

/** Whether a live backup other than `exceptId` has its data under `dataId` (an export imported as a second row). */
export async function dataSharedWithOthers(db: Db, dataId: string, exceptId: string): Promise<boolean> {
  const row = await db
    .selectFrom('backups')
    .select('id')
    .where((eb) => eb(eb.fn.coalesce('service_metadata', 'id'), '=', dataId))
    .where('id', '!=', exceptId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return row !== undefined;
}

/** Metadata of many backups at once, each in insertion order. */
export async function backupMetadataFor(db: Db, ids: readonly string[]): Promise<Map<string, Record<string, string>>> {
  return keyValuesOf(db, 'backup_metadata', ids);
}

/** Replaces a backup's whole metadata set, keeping the order given; values are stored as text. */
export async function replaceBackupMetadata(db: Db, backupId: string, metadata: Record<string, string>): Promise<void> {
  const text = Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, String(value)]));
  await replaceOrderedKeyValues(db, 'backup_metadata', backupId, text);
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

export type BackupListQuery = ListQuery<BackupRow, BackupSortColumn, BackupFilter>;

function conditions(eb: ExpressionBuilder<Database, 'backups'>, q: BackupListQuery): Expression<SqlBool>[] {
  const parts = scopeConditions(eb, 'backups', q);
  for (const f of q.filters) parts.push(eb(eb.ref(`backups.${f.column}` as 'backups.id'), '=', f.value));
  return parts;
}

export async function listBackups(db: Db, q: BackupListQuery): Promise<BackupRow[]> {
  return listRows(db, SORTABLE, conditions, q);
}

export async function countBackups(db: Db, q: BackupListQuery): Promise<number> {
  return countRows(db, 'backups', conditions, q);
}
