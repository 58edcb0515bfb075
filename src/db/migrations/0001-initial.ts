/*
 * 0001: volumes, metadata, types, quotas and the operations queue; the `__DEFAULT__` type that Cinder's
 * own migration creates.
 */
import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import { nowIso } from '../time';
import { idColumn, keyValueTable, ownedIdColumns, softDeleteColumns } from './columns';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('volumes')
    .$call(ownedIdColumns)
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attach_status', 'text', (c) => c.notNull().defaultTo('detached'))
    .addColumn('availability_zone', 'text', (c) => c.notNull())
    .addColumn('volume_type_id', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text')
    .addColumn('source_volid', 'text')
    .addColumn('bootable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('multiattach', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('encrypted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('replication_status', 'text')
    .addColumn('migration_status', 'text')
    .addColumn('host', 'text')
    .addColumn('provider_location', 'text')
    .addColumn('consumes_quota', 'integer', (c) => c.notNull().defaultTo(1))
    .$call(softDeleteColumns)
    .execute();
  await db.schema.createIndex('volumes_project_deleted_idx').on('volumes').columns(['project_id', 'deleted', 'created_at']).execute();

  await keyValueTable(db, 'volume_metadata', 'volume_id', 'volumes.id', { ordered: true }).execute();
  await keyValueTable(db, 'volume_admin_metadata', 'volume_id', 'volumes.id', { ordered: false }).execute();

  await db.schema
    .createTable('volume_types')
    .$call(idColumn)
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(1))
    .$call(softDeleteColumns)
    .execute();
  // Names are unique among live types only; a deleted type's name may be reused.
  await sql`create unique index volume_types_live_name_idx on volume_types (name) where deleted = 0`.execute(db);

  await keyValueTable(db, 'volume_type_extra_specs', 'volume_type_id', 'volume_types.id', { ordered: false }).execute();

  await db.schema
    .createTable('default_types')
    .addColumn('project_id', 'text', (c) => c.primaryKey())
    .addColumn('volume_type_id', 'text', (c) => c.notNull().references('volume_types.id'))
    .execute();

  await db.schema
    .createTable('quotas')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('quotas_pk', ['project_id', 'resource'])
    .execute();

  await db.schema
    .createTable('quota_usages')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('in_use', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('reserved', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('quota_usages_pk', ['project_id', 'resource'])
    .execute();

  await db.schema
    .createTable('operations')
    .$call(idColumn)
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_id', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('owner', 'text')
    .addColumn('lease_expires_at', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('payload', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('error', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('operations_state_idx').on('operations').columns(['state', 'created_at']).execute();

  await sql`insert into volume_types (id, name, description, is_public, created_at) values (${randomUUID()}, '__DEFAULT__', 'Default Volume Type', 1, ${nowIso()})`.execute(
    db,
  );
}
