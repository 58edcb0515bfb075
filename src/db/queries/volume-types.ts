/* Data access for volume types, their extra specs, private-type access lists and per-project default types. */
import type { ExpressionBuilder } from 'kysely';
import type { Db } from '../store';
import type { Database, VolumeTypeRow } from '../schema';
import { deleteKeyValue, keyValuesOf, upsertKeyValues } from './key-values';
import { insertNewRow } from './soft-delete';

/** The type is public, or `projectId` is on its access list. */
function usableBy(eb: ExpressionBuilder<Database, 'volume_types'>, projectId: string) {
  return eb.or([
    eb('volume_types.is_public', '=', 1),
    eb.exists(
      eb
        .selectFrom('volume_type_projects')
        .select('volume_type_projects.project_id')
        .whereRef('volume_type_projects.volume_type_id', '=', 'volume_types.id')
        .where('volume_type_projects.project_id', '=', projectId),
    ),
  ]);
}

/**
 * Live types: `isPublic` false lists private ones, undefined all; true lists public ones plus, with
 * `accessProject`, the private ones that project may use (Cinder's is_public=True filter).
 */
export async function listTypes(db: Db, isPublic: boolean | undefined, accessProject?: string): Promise<VolumeTypeRow[]> {
  let q = db.selectFrom('volume_types').selectAll().where('deleted', '=', 0);
  if (isPublic === true && accessProject !== undefined) q = q.where((eb) => usableBy(eb, accessProject));
  else if (isPublic !== undefined) q = q.where('is_public', '=', isPublic ? 1 : 0);
  return q.orderBy('created_at').orderBy('id').execute();
}

/** Whether `projectId` may use the type: it is public or the project is on its access list. */
export async function isUsableBy(db: Db, type: VolumeTypeRow, projectId: string): Promise<boolean> {
  if (type.is_public) return true;
  return (await getTypeAccess(db, type.id)).includes(projectId);
}

/** The projects on a type's access list, in the order they were added. */
export async function getTypeAccess(db: Db, typeId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('volume_type_projects')
    .select('project_id')
    .where('volume_type_id', '=', typeId)
    .orderBy('created_at')
    .orderBy('project_id')
    .execute();
  return rows.map((r) => r.project_id);
}

/** Adds a project to a type's access list; false when it is already there. */
export async function addTypeAccess(db: Db, typeId: string, projectId: string, at: string): Promise<boolean> {
  const res = await db
    .insertInto('volume_type_projects')
    .values({ volume_type_id: typeId, project_id: projectId, created_at: at })
    .onConflict((oc) => oc.columns(['volume_type_id', 'project_id']).doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

/** Removes a project from a type's access list; false when it was not there. */
export async function removeTypeAccess(db: Db, typeId: string, projectId: string): Promise<boolean> {
  const res = await db.deleteFrom('volume_type_projects').where('volume_type_id', '=', typeId).where('project_id', '=', projectId).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
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
  await insertNewRow(db, 'volume_types', row);
}

export async function updateType(
  db: Db,
  id: string,
  changes: Partial<Pick<VolumeTypeRow, 'name' | 'description' | 'is_public' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('volume_types').set(changes).where('id', '=', id).where('deleted', '=', 0).execute();
}

/** Deletes a type with what hangs on it: extra specs and access list go, its encryption is marked deleted. */
export async function markTypeDeleted(db: Db, id: string, at: string): Promise<void> {
  await db.deleteFrom('volume_type_extra_specs').where('volume_type_id', '=', id).execute();
  await db.deleteFrom('volume_type_projects').where('volume_type_id', '=', id).execute();
  await db.updateTable('encryption').set({ deleted: 1, deleted_at: at }).where('volume_type_id', '=', id).where('deleted', '=', 0).execute();
  await db.updateTable('volume_types').set({ deleted: 1, deleted_at: at }).where('id', '=', id).execute();
}

/** The extra specs of each type, in key order; `{}` for ids without specs. */
export async function extraSpecsFor(db: Db, typeIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  return keyValuesOf(db, 'volume_type_extra_specs', typeIds);
}

export async function setExtraSpecs(db: Db, typeId: string, specs: Record<string, string>): Promise<void> {
  await upsertKeyValues(db, 'volume_type_extra_specs', typeId, specs);
}

export async function deleteExtraSpec(db: Db, typeId: string, key: string): Promise<boolean> {
  return deleteKeyValue(db, 'volume_type_extra_specs', typeId, key);
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
