/*
 * The writes the soft-deleted tables (row-columns.ts SoftDeleteColumns) share: a new row, and for the
 * resources with a status (volumes, snapshots, backups, groups, group snapshots) the guarded update and the soft delete. The
 * queries run on the loose handle (keyset.ts looseDb); each table's module exports them with its types.
 */
import type { Insertable, Updateable } from 'kysely';
import type { Database } from '../schema';
import type { Db } from '../store';
import { looseDb } from './keyset';

/** The soft-deleted tables whose rows have a status. */
type StatusTable = 'volumes' | 'snapshots' | 'backups' | 'groups' | 'group_snapshots';

/** Inserts `row` as new: never updated, not deleted (`deleted` takes its default). */
export async function insertNewRow<T extends 'volume_types' | 'qos_specs' | 'encryption' | 'group_types'>(
  db: Db,
  table: T,
  row: Omit<Insertable<Database[T]>, 'deleted' | 'deleted_at' | 'updated_at'>,
): Promise<void> {
  await looseDb(db)
    .insertInto(table as string)
    .values({ ...row, updated_at: null, deleted_at: null })
    .execute();
}

/** Guarded update: only a live row, and only from `fromStatuses` when given. True if a row changed. */
export async function updateLiveRow<T extends StatusTable>(
  db: Db,
  table: T,
  id: string,
  changes: Updateable<Database[T]>,
  fromStatuses?: readonly string[],
): Promise<boolean> {
  let query = looseDb(db)
    .updateTable(table as string)
    .set(changes)
    .where('id', '=', id)
    .where('deleted', '=', 0);
  if (fromStatuses) query = query.where('status', 'in', fromStatuses);
  return Number((await query.executeTakeFirst()).numUpdatedRows) > 0;
}

/** Soft delete of a live row: `deleted` at `at`, status `deleted`. True if a row changed. */
export async function markLiveRowDeleted(db: Db, table: StatusTable, id: string, at: string): Promise<boolean> {
  const res = await looseDb(db)
    .updateTable(table)
    .set({ deleted: 1, deleted_at: at, updated_at: at, status: 'deleted' })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
