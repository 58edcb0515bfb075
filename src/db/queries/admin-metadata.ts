/*
 * Data access for a volume's admin metadata (`volume_admin_metadata`): keys only the service and admins
 * write, such as `readonly` (os-update_readonly_flag) and `attached_mode` (the legacy attach flow).
 * Reading many volumes at once is `metadataFor(db, ids, 'volume_admin_metadata')` in volumes.ts.
 */
import type { Db } from '../store';

export async function getAdminMetadata(db: Db, volumeId: string): Promise<Record<string, string>> {
  const rows = await db.selectFrom('volume_admin_metadata').select(['key', 'value']).where('volume_id', '=', volumeId).execute();
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Sets one key. With `overwrite: false` an existing value is kept (Cinder's `update=False`). */
export async function setAdminMetadata(db: Db, volumeId: string, key: string, value: string, opts: { overwrite?: boolean } = {}): Promise<void> {
  const insert = db.insertInto('volume_admin_metadata').values({ volume_id: volumeId, key, value });
  await (
    opts.overwrite === false
      ? insert.onConflict((oc) => oc.columns(['volume_id', 'key']).doNothing())
      : insert.onConflict((oc) => oc.columns(['volume_id', 'key']).doUpdateSet({ value }))
  ).execute();
}

export async function deleteAdminMetadata(db: Db, volumeId: string, key: string): Promise<void> {
  await db.deleteFrom('volume_admin_metadata').where('volume_id', '=', volumeId).where('key', '=', key).execute();
}
