/*
 * 0007: generic volume groups (issue 16; cinder/db/sqlalchemy/models.py GroupType, GroupTypeSpecs, Group,
 * GroupVolumeTypeMapping, GroupSnapshot): group types and their specs, groups with the volume types they
 * allow (in the order given), group snapshots, and the links of volumes to their group and of snapshots
 * to their group snapshot.
 */
import type { Kysely } from 'kysely';
import { compositeKeyTable, idColumn, keyValueTable, notNullTextColumns, ownedIdColumns, softDeleteColumns } from './columns';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('group_types')
    .$call(idColumn)
    .$call(notNullTextColumns('name'))
    .addColumn('description', 'text')
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
    .$call(softDeleteColumns)
    .execute();
  await keyValueTable(db, 'group_type_specs', 'group_type_id', 'group_types.id', { ordered: false }).execute();

  // `host`: the worker host (`host@backend#pool`) that took the group; its volumes are created there.
  // `group_snapshot_id` / `source_group_id`: what a group made by create-from-src was made from.
  await db.schema
    .createTable('groups')
    .$call(ownedIdColumns)
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .$call(notNullTextColumns('status', 'availability_zone', 'group_type_id'))
    .addColumn('host', 'text')
    .addColumn('group_snapshot_id', 'text')
    .addColumn('source_group_id', 'text')
    .addColumn('replication_status', 'text')
    .$call(softDeleteColumns)
    .execute();
  await compositeKeyTable(db, 'group_volume_types', ['group_id', 'volume_type_id'])
    .addColumn('position', 'integer', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('group_snapshots')
    .$call(ownedIdColumns)
    .$call(notNullTextColumns('group_id', 'group_type_id'))
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .$call(notNullTextColumns('status'))
    .$call(softDeleteColumns)
    .execute();

  await db.schema.alterTable('volumes').addColumn('group_id', 'text').execute();
  await db.schema.createIndex('volumes_group_id_idx').on('volumes').column('group_id').execute();
  await db.schema.alterTable('snapshots').addColumn('group_snapshot_id', 'text').execute();
  await db.schema.createIndex('snapshots_group_snapshot_id_idx').on('snapshots').column('group_snapshot_id').execute();
}
