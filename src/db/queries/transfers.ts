/*
 * Data access for volume transfers. A transfer is live while `deleted = 0` and its volume is live (a
 * force-deleted volume takes its offer with it, as Cinder's volume_destroy does).
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool, type Insertable, type Updateable } from 'kysely';
import type { Db } from '../store';
import { keysetPage, SortableTable, type ListQuery, type SortKey } from './keyset';
import type { Database, TransferRow, TransfersTable } from '../schema';

export async function getTransfer(db: Db, id: string): Promise<TransferRow | undefined> {
  return db
    .selectFrom('transfers')
    .selectAll('transfers')
    .innerJoin('volumes', 'volumes.id', 'transfers.volume_id')
    .where('transfers.id', '=', id)
    .where('transfers.deleted', '=', 0)
    .where('volumes.deleted', '=', 0)
    .executeTakeFirst();
}

export async function insertTransfer(db: Db, row: Insertable<TransfersTable>): Promise<void> {
  await db.insertInto('transfers').values(row).execute();
}

/** Soft-deletes a live transfer with extra changes (accept: accepted and destination). True if it changed. */
export async function markTransferDeleted(db: Db, id: string, at: string, changes: Updateable<TransfersTable> = {}): Promise<boolean> {
  const res = await db
    .updateTable('transfers')
    .set({ ...changes, deleted: 1, deleted_at: at, updated_at: at })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

// --- lists -------------------------------------------------------------------------------------

/** Columns a transfer list may be sorted or filtered by (API names; `name` is Cinder's display_name). */
export const TRANSFER_COLUMNS = [
  'id',
  'name',
  'volume_id',
  'source_project_id',
  'destination_project_id',
  'accepted',
  'no_snapshots',
  'created_at',
  'updated_at',
] as const;
export type TransferColumn = (typeof TRANSFER_COLUMNS)[number];

export type TransferSortKey = SortKey<TransferColumn>;

/** An equality filter on a transfer column (booleans as 0/1). */
export interface TransferFilter {
  column: TransferColumn;
  value: string | number;
}

export interface TransferListQuery extends ListQuery<TransferRow, TransferColumn, TransferFilter> {
  /** Only transfers of volumes in this project; undefined lists every project. */
  projectId?: string;
}

const SORTABLE = new SortableTable('transfers', new Set(['name', 'destination_project_id', 'updated_at']));

function transferConditions(eb: ExpressionBuilder<Database, 'transfers' | 'volumes'>, q: TransferListQuery): Expression<SqlBool>[] {
  const parts: Expression<SqlBool>[] = [eb('transfers.deleted', '=', 0), eb('volumes.deleted', '=', 0)];
  if (q.matchesNothing) parts.push(sql<SqlBool>`1 = 0`);
  if (q.projectId !== undefined) parts.push(eb('volumes.project_id', '=', q.projectId));
  for (const f of q.filters) parts.push(eb(eb.ref(`transfers.${f.column}` as 'transfers.id'), '=', f.value as string));
  return parts;
}

export async function listTransfers(db: Db, q: TransferListQuery): Promise<TransferRow[]> {
  const query = db.selectFrom('transfers').innerJoin('volumes', 'volumes.id', 'transfers.volume_id').selectAll('transfers');
  return keysetPage(query, SORTABLE, transferConditions, q);
}
