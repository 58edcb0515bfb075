/*
 * Data access for generic volume groups (issue 16): group types and their specs, groups with the volume
 * types they allow, group snapshots, and the volumes and snapshots that belong to them. Lists use the
 * keyset helpers every list shares.
 */
import type { Expression, Insertable, SqlBool, Updateable } from 'kysely';
import type { Db } from '../store';
import type { GroupRow, GroupSnapshotRow, GroupSnapshotsTable, GroupsTable, GroupTypeRow } from '../group-schema';
import type { SnapshotRow, VolumeRow } from '../schema';
import { containsLike, countRows, listRows, scopeConditions, SortableTable, type AnyEb, type ListQuery } from './keyset';
import { deleteKeyValue, keyValuesOf, upsertKeyValues } from './key-values';
import { insertNewRow, markLiveRowDeleted, updateLiveRow } from './soft-delete';

// --- group types ---------------------------------------------------------------------------------

/** Columns a group type list may be sorted by. */
export const GROUP_TYPE_SORT_COLUMNS = ['id', 'name', 'description', 'is_public', 'created_at', 'updated_at'] as const;
export type GroupTypeSortColumn = (typeof GROUP_TYPE_SORT_COLUMNS)[number];

/** Live group types; `isPublic` true/false lists public/private ones, undefined all. */
export async function listGroupTypes(
  db: Db,
  isPublic: boolean | undefined,
  sort: { column: GroupTypeSortColumn; dir: 'asc' | 'desc' }[],
): Promise<GroupTypeRow[]> {
  let q = db.selectFrom('group_types').selectAll().where('deleted', '=', 0);
  if (isPublic !== undefined) q = q.where('is_public', '=', isPublic ? 1 : 0);
  for (const s of sort) q = q.orderBy(s.column, s.dir);
  return q.execute();
}

export async function getGroupType(db: Db, id: string): Promise<GroupTypeRow | undefined> {
  return db.selectFrom('group_types').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

export async function getGroupTypeByName(db: Db, name: string): Promise<GroupTypeRow | undefined> {
  return db.selectFrom('group_types').selectAll().where('name', '=', name).where('deleted', '=', 0).executeTakeFirst();
}

export async function insertGroupType(
  db: Db,
  row: { id: string; name: string; description: string | null; is_public: number; created_at: string },
): Promise<void> {
  await insertNewRow(db, 'group_types', row);
}

export async function updateGroupType(
  db: Db,
  id: string,
  changes: Partial<Pick<GroupTypeRow, 'name' | 'description' | 'is_public' | 'updated_at'>>,
): Promise<void> {
  await db.updateTable('group_types').set(changes).where('id', '=', id).where('deleted', '=', 0).execute();
}

/** Soft-deletes a group type; its specs go. */
export async function markGroupTypeDeleted(db: Db, id: string, at: string): Promise<void> {
  await db.deleteFrom('group_type_specs').where('group_type_id', '=', id).execute();
  await db.updateTable('group_types').set({ deleted: 1, deleted_at: at }).where('id', '=', id).execute();
}

/** Whether a live group has the group type (it cannot be deleted then). */
export async function groupTypeInUse(db: Db, id: string): Promise<boolean> {
  const row = await db.selectFrom('groups').select('id').where('group_type_id', '=', id).where('deleted', '=', 0).executeTakeFirst();
  return row !== undefined;
}

export async function groupSpecsFor(db: Db, typeIds: readonly string[]): Promise<Map<string, Record<string, string>>> {
  return keyValuesOf(db, 'group_type_specs', typeIds);
}

export async function setGroupSpecs(db: Db, typeId: string, specs: Record<string, string>): Promise<void> {
  await upsertKeyValues(db, 'group_type_specs', typeId, specs);
}

export async function deleteGroupSpec(db: Db, typeId: string, key: string): Promise<boolean> {
  return deleteKeyValue(db, 'group_type_specs', typeId, key);
}

// --- groups --------------------------------------------------------------------------------------

export async function getGroup(db: Db, id: string): Promise<GroupRow | undefined> {
  return db.selectFrom('groups').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

export async function insertGroup(db: Db, row: Insertable<GroupsTable>, volumeTypeIds: readonly string[]): Promise<void> {
  await db.insertInto('groups').values(row).execute();
  const mappings = volumeTypeIds.map((volume_type_id, position) => ({ group_id: row.id, volume_type_id, position }));
  if (mappings.length > 0) await db.insertInto('group_volume_types').values(mappings).execute();
}

/** Guarded update: only a live group, and only from `fromStatuses` when given. True if it changed. */
export async function updateGroup(db: Db, id: string, changes: Updateable<GroupsTable>, fromStatuses?: readonly string[]): Promise<boolean> {
  return updateLiveRow(db, 'groups', id, changes, fromStatuses);
}

export async function markGroupDeleted(db: Db, id: string, at: string): Promise<boolean> {
  return markLiveRowDeleted(db, 'groups', id, at);
}

/** The volume types each group allows, in the order its create named them. */
export async function volumeTypesOfGroups(db: Db, groupIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = await db
    .selectFrom('group_volume_types')
    .select(['group_id', 'volume_type_id'])
    .where('group_id', 'in', [...new Set(groupIds)])
    .orderBy('position')
    .execute();
  for (const r of rows) out.get(r.group_id)!.push(r.volume_type_id);
  return out;
}

/** Whether a live group allows the volume type (it cannot be deleted then, as Cinder's VolumeTypeInUse). */
export async function volumeTypeUsedByGroups(db: Db, volumeTypeId: string): Promise<boolean> {
  const row = await db
    .selectFrom('group_volume_types as m')
    .innerJoin('groups as g', 'g.id', 'm.group_id')
    .select('g.id')
    .where('m.volume_type_id', '=', volumeTypeId)
    .where('g.deleted', '=', 0)
    .executeTakeFirst();
  return row !== undefined;
}

/** The live volumes of a group, oldest first (create-from-src clones them in this order). */
export async function volumesOfGroup(db: Db, groupId: string): Promise<VolumeRow[]> {
  return db.selectFrom('volumes').selectAll().where('group_id', '=', groupId).where('deleted', '=', 0).orderBy('created_at').orderBy('id').execute();
}

/** The live volumes of many groups (the group view's `volumes`, 3.25). */
export async function volumeIdsOfGroups(db: Db, groupIds: readonly string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(groupIds.map((id) => [id, []]));
  if (groupIds.length === 0) return out;
  const rows = await db
    .selectFrom('volumes')
    .select(['id', 'group_id'])
    .where('group_id', 'in', [...new Set(groupIds)])
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  for (const r of rows) out.get(r.group_id!)!.push(r.id);
  return out;
}

/** Moves volumes into (`groupId`) or out of (null) a group. */
export async function setVolumesGroup(db: Db, volumeIds: readonly string[], groupId: string | null, at: string): Promise<void> {
  if (volumeIds.length === 0) return;
  await db
    .updateTable('volumes')
    .set({ group_id: groupId, updated_at: at })
    .where('id', 'in', [...volumeIds])
    .where('deleted', '=', 0)
    .execute();
}

/** The host of a group, null while it is unplaced (or gone). */
export async function groupHost(db: Db, id: string | null | undefined): Promise<string | null> {
  if (!id) return null;
  const row = await db.selectFrom('groups').select('host').where('id', '=', id).executeTakeFirst();
  return row?.host ?? null;
}

/** Whether a live group is being created from this group or group snapshot (neither may be deleted then). */
export async function isSourceOfCreatingGroup(db: Db, source: { groupId?: string; groupSnapshotId?: string }): Promise<boolean> {
  let q = db.selectFrom('groups').select('id').where('deleted', '=', 0).where('status', '=', 'creating');
  q = source.groupId ? q.where('source_group_id', '=', source.groupId) : q.where('group_snapshot_id', '=', source.groupSnapshotId ?? '');
  return (await q.executeTakeFirst()) !== undefined;
}

/** Columns a group list may be sorted by. */
export const GROUP_SORT_COLUMNS = [
  'id',
  'name',
  'description',
  'status',
  'availability_zone',
  'group_type_id',
  'project_id',
  'user_id',
  'host',
  'created_at',
  'updated_at',
] as const;
export type GroupSortColumn = (typeof GROUP_SORT_COLUMNS)[number];
export type GroupColumn = GroupSortColumn | 'group_snapshot_id' | 'source_group_id' | 'replication_status';
/** Every group column an admin may filter on. */
export const GROUP_FILTER_COLUMNS: readonly GroupColumn[] = [...GROUP_SORT_COLUMNS, 'group_snapshot_id', 'source_group_id', 'replication_status'];

const GROUP_NULLABLE = new Set<string>(['name', 'description', 'host', 'updated_at', 'group_snapshot_id', 'source_group_id', 'replication_status']);

export interface GroupFilter {
  column: GroupColumn;
  op: 'eq' | 'like';
  value: string;
}

export type GroupListQuery = ListQuery<GroupRow, GroupSortColumn, GroupFilter>;

const GROUPS = new SortableTable('groups', GROUP_NULLABLE);

/** A group or group snapshot list's conditions: the scope, then each filter as equality or `like` on its column. */
function textFilterConditions(table: 'groups' | 'group_snapshots') {
  return (eb: AnyEb, q: ListQuery<object, string, { column: string; op: 'eq' | 'like'; value: string }>): Expression<SqlBool>[] => {
    const parts = scopeConditions(eb, table, q);
    for (const f of q.filters) {
      const ref = eb.ref(`${table}.${f.column}`);
      parts.push(f.op === 'like' ? containsLike(ref, f.value) : eb(ref, '=', f.value));
    }
    return parts;
  };
}

const groupConditions = textFilterConditions('groups');

export async function listGroups(db: Db, q: GroupListQuery): Promise<GroupRow[]> {
  return listRows(db, GROUPS, groupConditions, q);
}

export async function countGroups(db: Db, q: GroupListQuery): Promise<number> {
  return countRows(db, 'groups', groupConditions, q);
}

// --- group snapshots -----------------------------------------------------------------------------

export async function getGroupSnapshot(db: Db, id: string): Promise<GroupSnapshotRow | undefined> {
  return db.selectFrom('group_snapshots').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

export async function insertGroupSnapshot(db: Db, row: Insertable<GroupSnapshotsTable>): Promise<void> {
  await db.insertInto('group_snapshots').values(row).execute();
}

export async function updateGroupSnapshot(db: Db, id: string, changes: Updateable<GroupSnapshotsTable>, fromStatuses?: readonly string[]): Promise<boolean> {
  return updateLiveRow(db, 'group_snapshots', id, changes, fromStatuses);
}

export async function markGroupSnapshotDeleted(db: Db, id: string, at: string): Promise<boolean> {
  return markLiveRowDeleted(db, 'group_snapshots', id, at);
}

/** Whether the group has live group snapshots (it cannot be deleted then). */
export async function groupHasSnapshots(db: Db, groupId: string): Promise<boolean> {
  const row = await db.selectFrom('group_snapshots').select('id').where('group_id', '=', groupId).where('deleted', '=', 0).executeTakeFirst();
  return row !== undefined;
}

/** The live snapshots taken in a group snapshot, oldest first. */
export async function snapshotsOfGroupSnapshot(db: Db, groupSnapshotId: string): Promise<SnapshotRow[]> {
  return db
    .selectFrom('snapshots')
    .selectAll()
    .where('group_snapshot_id', '=', groupSnapshotId)
    .where('deleted', '=', 0)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

/** Columns a group snapshot list may be sorted by (3.29). */
export const GROUP_SNAPSHOT_SORT_COLUMNS = [
  'id',
  'name',
  'description',
  'status',
  'group_id',
  'group_type_id',
  'project_id',
  'user_id',
  'created_at',
  'updated_at',
] as const;
export type GroupSnapshotSortColumn = (typeof GROUP_SNAPSHOT_SORT_COLUMNS)[number];

export interface GroupSnapshotFilter {
  column: GroupSnapshotSortColumn;
  op: 'eq' | 'like';
  value: string;
}

export type GroupSnapshotListQuery = ListQuery<GroupSnapshotRow, GroupSnapshotSortColumn, GroupSnapshotFilter>;

const GROUP_SNAPSHOTS = new SortableTable('group_snapshots', new Set(['name', 'description', 'updated_at']));

const groupSnapshotConditions = textFilterConditions('group_snapshots');

export async function listGroupSnapshots(db: Db, q: GroupSnapshotListQuery): Promise<GroupSnapshotRow[]> {
  return listRows(db, GROUP_SNAPSHOTS, groupSnapshotConditions, q);
}

export async function countGroupSnapshots(db: Db, q: GroupSnapshotListQuery): Promise<number> {
  return countRows(db, 'group_snapshots', groupSnapshotConditions, q);
}
