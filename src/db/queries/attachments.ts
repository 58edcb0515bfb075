/*
 * Data access for volume attachments (the attachments API, 3.27+, and the legacy os-attach flow). A
 * detached attachment is soft-deleted (deleted = 1, attach_status 'detached', detach_time), as Cinder
 * does, so every query below filters on deleted = 0. Column names reach SQL only from the fixed sets here.
 */
import type { Expression, ExpressionBuilder, SqlBool, Updateable } from 'kysely';
import type { Db } from '../store';
import { listRows, scopeConditions, SortableTable, type ListQuery, type SortKey } from './keyset';
import type { AttachmentRow, AttachmentsTable, Database } from '../schema';

/** Columns an attachment list may be sorted by, and those an admin may filter on. */
export const ATTACHMENT_SORT_COLUMNS = [
  'id',
  'volume_id',
  'project_id',
  'instance_uuid',
  'attached_host',
  'mountpoint',
  'attach_status',
  'attach_mode',
  'attach_time',
  'detach_time',
  'created_at',
  'updated_at',
] as const;
export type AttachmentColumn = (typeof ATTACHMENT_SORT_COLUMNS)[number];

const TEXT_NULLABLE = new Set<string>(['instance_uuid', 'attached_host', 'mountpoint', 'attach_mode', 'attach_time', 'detach_time', 'updated_at']);

export interface AttachmentFilter {
  column: AttachmentColumn;
  value: string;
}

export type AttachmentSortKey = SortKey<AttachmentColumn>;

export type AttachmentListQuery = ListQuery<AttachmentRow, AttachmentColumn, AttachmentFilter>;

type Eb = ExpressionBuilder<Database, 'attachments'>;

const SORTABLE = new SortableTable('attachments', TEXT_NULLABLE);

function conditions(eb: Eb, q: AttachmentListQuery): Expression<SqlBool>[] {
  const parts = scopeConditions(eb, 'attachments', q);
  for (const f of q.filters) parts.push(eb(eb.ref(`attachments.${f.column}` as 'attachments.id'), '=', f.value));
  return parts;
}

export async function listAttachments(db: Db, q: AttachmentListQuery): Promise<AttachmentRow[]> {
  return listRows(db, SORTABLE, conditions, q);
}

/** A live attachment (any project). */
export async function getAttachment(db: Db, id: string): Promise<AttachmentRow | undefined> {
  return db.selectFrom('attachments').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

/** The live attachments of a volume, oldest first. */
export async function attachmentsOfVolume(db: Db, volumeId: string): Promise<AttachmentRow[]> {
  return db.selectFrom('attachments').selectAll().where('volume_id', '=', volumeId).where('deleted', '=', 0).orderBy('created_at').orderBy('id').execute();
}

/** Attachments in state `attached` of many volumes at once (what the volume view lists). */
export async function attachedFor(db: Db, volumeIds: readonly string[]): Promise<Map<string, AttachmentRow[]>> {
  const out = new Map<string, AttachmentRow[]>(volumeIds.map((id) => [id, []]));
  if (volumeIds.length === 0) return out;
  const rows = await db
    .selectFrom('attachments')
    .selectAll()
    .where('volume_id', 'in', volumeIds)
    .where('deleted', '=', 0)
    .where('attach_status', '=', 'attached')
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const r of rows) out.get(r.volume_id)?.push(r);
  return out;
}

export async function insertAttachment(db: Db, row: Omit<AttachmentRow, 'deleted'>): Promise<void> {
  await db.insertInto('attachments').values(row).execute();
}

/** Guarded update of a live attachment; true if a row changed. */
export async function updateAttachment(db: Db, id: string, changes: Updateable<AttachmentsTable>): Promise<boolean> {
  const res = await db.updateTable('attachments').set(changes).where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Detaches (soft-deletes) one attachment: attach_status 'detached', detach_time, deleted. */
export async function markAttachmentDetached(db: Db, id: string, at: string): Promise<boolean> {
  const res = await db
    .updateTable('attachments')
    .set({ deleted: 1, deleted_at: at, detach_time: at, updated_at: at, attach_status: 'detached' })
    .where('id', '=', id)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/**
 * The volume's status and attach_status implied by its live attachments (Cinder's
 * _get_statuses_from_attachments): errored attachments are ignored; otherwise the alphabetically first
 * attach status wins (attached > attaching > detaching > reserved); none means detached / available.
 */
export async function statusesFromAttachments(db: Db, volumeId: string): Promise<{ status: string; attachStatus: string }> {
  const row = await db
    .selectFrom('attachments')
    .select('attach_status')
    .where('volume_id', '=', volumeId)
    .where('deleted', '=', 0)
    .where('attach_status', 'not like', 'error_%')
    .orderBy('attach_status', 'asc')
    .limit(1)
    .executeTakeFirst();
  const attachStatus = row?.attach_status ?? 'detached';
  const status = attachStatus === 'attached' ? 'in-use' : attachStatus === 'detached' ? 'available' : attachStatus;
  return { status, attachStatus };
}
