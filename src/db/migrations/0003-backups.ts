/* 0003: volume backups and their metadata (docs/api.md, Backups). */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backups')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull())
    .addColumn('volume_id', 'text', (c) => c.notNull())
    .addColumn('snapshot_id', 'text')
    .addColumn('parent_id', 'text')
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('container', 'text')
    .addColumn('availability_zone', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('object_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('fail_reason', 'text')
    .addColumn('data_timestamp', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'text')
    .addColumn('deleted_at', 'text')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('backups_project_idx').on('backups').columns(['project_id', 'deleted', 'created_at']).execute();
  await db.schema.createIndex('backups_volume_idx').on('backups').columns(['volume_id', 'deleted']).execute();
  await db.schema.createIndex('backups_parent_idx').on('backups').columns(['parent_id', 'deleted']).execute();

  await db.schema
    .createTable('backup_metadata')
    .addColumn('backup_id', 'text', (c) => c.notNull().references('backups.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('backup_metadata_pk', ['backup_id', 'key'])
    .execute();
}
