/*
 * Lookups about the resource behind an operation or a backing file: which worker host holds its storage
 * (services/operation-queue.ts), whose project a failure message goes to (worker-loop.ts), which rows
 * are still live (worker/reconcile-backend.ts). Host and project lookups see deleted rows too: an
 * operation may outlive its resource's row.
 */
import type { Db } from '../store';

/** The `host@backend#pool` a volume was placed on, or null while unplaced. */
export async function volumeHost(db: Db, id: string | undefined): Promise<string | null> {
  if (!id) return null;
  const row = await db.selectFrom('volumes').select('host').where('id', '=', id).executeTakeFirst();
  return row?.host ?? null;
}

/** A snapshot lives beside its volume: the volume's host. */
export async function snapshotHost(db: Db, id: string | undefined): Promise<string | null> {
  if (!id) return null;
  const row = await db.selectFrom('snapshots').select('volume_id').where('id', '=', id).executeTakeFirst();
  return volumeHost(db, row?.volume_id);
}

/** The host of the volume a backup was taken from. */
export async function backupSourceHost(db: Db, backupId: string): Promise<string | null> {
  const row = await db.selectFrom('backups').select('volume_id').where('id', '=', backupId).executeTakeFirst();
  return volumeHost(db, row?.volume_id);
}

/** The project owning an operation's resource, for its user message. */
export async function resourceProject(db: Db, resourceType: string, id: string): Promise<string | undefined> {
  const table = resourceType === 'snapshot' ? 'snapshots' : resourceType === 'attachment' ? 'attachments' : 'volumes';
  const row = await db.selectFrom(table).select('project_id').where('id', '=', id).executeTakeFirst();
  return row?.project_id;
}

/** Which of `ids` have a live (not deleted) row: reconciliation quarantines the backend's other files. */
export async function liveIds(db: Db, table: 'volumes' | 'snapshots', ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectFrom(table)
    .select('id')
    .where('id', 'in', [...ids])
    .where('deleted', '=', 0)
    .execute();
  return new Set(rows.map((r) => r.id));
}
