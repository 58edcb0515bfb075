/*
 * Data access for user messages (GET /messages). Rows are written by the worker loop
 * (src/services/user-messages.ts recordMessage); here they are listed, read and soft-deleted. A message whose
 * `expires_at` has passed is treated as gone everywhere (Cinder reaps them periodically; we simply never
 * show them). Column names reach SQL only from the fixed sets below.
 */
import type { Expression, ExpressionBuilder, Insertable, SqlBool } from 'kysely';
import type { Db } from '../store';
import { containsLike, listRows, scopeConditions, SortableTable, type ListQuery, type SortKey } from './keyset';
import type { Database, MessageRow, MessagesTable } from '../schema';

/** Columns a message list may be sorted by (the model's attributes, as Cinder allows). */
export const MESSAGE_SORT_COLUMNS = [
  'id',
  'project_id',
  'request_id',
  'resource_type',
  'resource_uuid',
  'event_id',
  'message_level',
  'created_at',
  'expires_at',
] as const;
export type MessageColumn = (typeof MESSAGE_SORT_COLUMNS)[number];

const TEXT_NULLABLE = new Set<string>(['request_id', 'resource_uuid']);

export interface MessageFilter {
  column: MessageColumn;
  /** `like`: substring (the `key~` filters of 3.34+). */
  op: 'eq' | 'like';
  value: string;
}

export type MessageSortKey = SortKey<MessageColumn>;

export interface MessageListQuery extends ListQuery<MessageRow, MessageColumn, MessageFilter> {
  /** Stored-form timestamp: messages that expired before it are not listed. */
  now: string;
}

type Eb = ExpressionBuilder<Database, 'messages'>;

const SORTABLE = new SortableTable('messages', TEXT_NULLABLE);

function conditions(eb: Eb, q: MessageListQuery): Expression<SqlBool>[] {
  const parts = [...scopeConditions(eb, 'messages', q), eb('messages.expires_at', '>', q.now)];
  for (const f of q.filters) {
    const ref = eb.ref(`messages.${f.column}` as 'messages.id');
    if (f.op === 'like') parts.push(containsLike(ref, f.value));
    else parts.push(eb(ref, '=', f.value));
  }
  return parts;
}

export async function listMessages(db: Db, q: MessageListQuery): Promise<MessageRow[]> {
  return listRows(db, SORTABLE, conditions, q);
}

/** A live, unexpired message by id (any project: callers check visibility). */
export async function getMessage(db: Db, id: string, now: string): Promise<MessageRow | undefined> {
  return db.selectFrom('messages').selectAll().where('id', '=', id).where('deleted', '=', 0).where('expires_at', '>', now).executeTakeFirst();
}

/** Soft delete, as Cinder's message_destroy. Returns whether a live row changed. */
export async function deleteMessage(db: Db, id: string): Promise<boolean> {
  const res = await db.updateTable('messages').set({ deleted: 1 }).where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A new user message (services/user-messages.ts recordMessage builds it). */
export async function insertMessage(db: Db, row: Insertable<MessagesTable>): Promise<void> {
  await db.insertInto('messages').values(row).execute();
}
