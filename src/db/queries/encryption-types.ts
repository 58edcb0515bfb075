/*
 * Data access for volume-type encryption (the `encryption` table): at most one live row per type. A
 * deleted row stays, marked deleted.
 */
import type { Db } from '../store';
import type { EncryptionRow } from '../admin-schema';
import { insertNewRow } from './soft-delete';

/** What a caller may set: Cinder's encryption columns. */
export type EncryptionSpecs = Partial<Pick<EncryptionRow, 'provider' | 'control_location' | 'cipher' | 'key_size'>>;

export async function getEncryption(db: Db, typeId: string): Promise<EncryptionRow | undefined> {
  return db.selectFrom('encryption').selectAll().where('volume_type_id', '=', typeId).where('deleted', '=', 0).executeTakeFirst();
}

export async function insertEncryption(db: Db, row: Omit<EncryptionRow, 'deleted' | 'deleted_at' | 'updated_at'>): Promise<void> {
  await insertNewRow(db, 'encryption', row);
}

/** Updates the type's live row; false when it has none. */
export async function updateEncryption(db: Db, typeId: string, changes: EncryptionSpecs & { updated_at: string }): Promise<boolean> {
  const res = await db.updateTable('encryption').set(changes).where('volume_type_id', '=', typeId).where('deleted', '=', 0).executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Marks the type's live row deleted; false when it has none. */
export async function markEncryptionDeleted(db: Db, typeId: string, at: string): Promise<boolean> {
  const res = await db
    .updateTable('encryption')
    .set({ deleted: 1, deleted_at: at })
    .where('volume_type_id', '=', typeId)
    .where('deleted', '=', 0)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
