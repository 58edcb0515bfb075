/* Data access for volume types, their extra specs and per-project default types. */
import type { Db } from '../store';
import type { VolumeTypeRow } from '../schema';

export async function listTypes(db: Db, isPublic: boolean | undefined): Promise<VolumeTypeRow[]> {
  let q = db.selectFrom('volume_types').selectAll().where('deleted', '=', 0);
  if (isPublic !== undefined) q = q.where('is_public', '=', isPublic ? 1 : 0);
  return q.orderBy('created_at').orderBy('id').execute();
}

export async function getType(db: Db, id: string): Promise<VolumeTypeRow | undefined> {
  return db.selectFrom('volume_types').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

export async function getTypeByName(db: Db, name: string): Promise<VolumeTypeRow | undefined> {
  return db.selectFrom('volume_types').selectAll().where('name', '=', name).where('deleted', '=', 0).executeTakeFirst();
}

export async function getTypesByIds(db: Db, ids: readonly string[]): Promise<Map<string, VolumeTypeRow>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom('volume_types')
    .selectAll()
    .where('id', 'in', [...new Set(ids)])
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** A volume type's name, deleted types included; '' when there is no such type (as the quota keys expect). */
export async function typeNameOf(db: Db, id: string): Promise<string> {
  const row = await db.selectFrom('volume_types').select('name').where('id', '=', id).executeTakeFirst();
  return row?.name ?? '';
}

export async function insertType(db: Db, row: Omit<VolumeTypeRow, 'deleted' | 'deleted_at' | 'updated_at'>): Promise<void> {
  await db
    .insertInto('volume_types')
    .values({ ...row, updated_at: null, deleted_at: null })
    .execute();
}

export async function updateType(
  db: Db,
  id: string,
  changes: Partial<Pick<VolumeTypeRow, 'name' | 'description' | 'is_public' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('volume_types').set(changes).where('id', '=', id).where('deleted', '=', 0).execute();
}

export async function markTypeDeleted(db: Db, id: string, at: string): Promise<void> {
  await db.deleteFrom('volume_type_extra_specs').where('volume_type_id', '=', id).execute();
  await db.updateTable('volume_types').set({ deleted: 1, deleted_at: at }).where('id', '=', id).execute();
}

export async function extraSpecsFor(db: Db, typeIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const out = new Map<string, Record<string, string>>(typeIds.map((id) => [id, {}]));
  if (typeIds.length === 0) return out;
  const rows = await db
    .selectFrom('volume_type_extra_specs')
    .selectAll()
    .where('volume_type_id', 'in', [...new Set(typeIds)])
    .orderBy('key')
    .execute();
  for (const r of rows) out.get(r.volume_type_id)![r.key] = r.value;
  return out;
}

export async function setExtraSpecs(db: Db, typeId: string, specs: Record<string, string>): Promise<void> {
  for (const [key, value] of Object.entries(specs)) {
    await db
      .insertInto('volume_type_extra_specs')
      .values({ volume_type_id: typeId, key, value })
      .onConflict((oc) => oc.columns(['volume_type_id', 'key']).doUpdateSet({ value }))
      .execute();
  }
}

export async function deleteExtraSpec(db: Db, typeId: string, key: string): Promise<boolean> {
  const res = await db.deleteFrom('volume_type_extra_specs').where('volume_type_id', '=', typeId).where('key', '=', key).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function getDefaultTypeId(db: Db, projectId: string): Promise<string | undefined> {
  const row = await db.selectFrom('default_types').select('volume_type_id').where('project_id', '=', projectId).executeTakeFirst();
  return row?.volume_type_id;
}

export async function listDefaultTypes(db: Db): Promise<{ project_id: string; volume_type_id: string }[]> {
  return db.selectFrom('default_types').selectAll().orderBy('project_id').execute();
}

export async function setDefaultType(db: Db, projectId: string, typeId: string): Promise<void> {
  await db
    .insertInto('default_types')
    .values({ project_id: projectId, volume_type_id: typeId })
    .onConflict((oc) => oc.column('project_id').doUpdateSet({ volume_type_id: typeId }))
    .execute();
}

export async function deleteDefaultType(db: Db, projectId: string): Promise<boolean> {
  const res = await db.deleteFrom('default_types').where('project_id', '=', projectId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}

export async function isProjectDefault(db: Db, typeId: string): Promise<boolean> {
  return (await db.selectFrom('default_types').select('project_id').where('volume_type_id', '=', typeId).executeTakeFirst()) !== undefined;
}
