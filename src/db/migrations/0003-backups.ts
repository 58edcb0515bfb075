/* 0003: volume backups and their metadata (docs/api.md, Backups). */
import type { Kysely } from 'kysely';
import { keyValueTable, ownedIdColumns, softDeleteColumns } from './columns';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('backups')
    .$call(ownedIdColumns)
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
    .$call(softDeleteColumns)
    .execute();
  await db.schema.createIndex('backups_project_idx').on('backups').columns(['project_id', 'deleted', 'created_at']).execute();
  await db.schema.createIndex('backups_volume_idx').on('backups').columns(['volume_id', 'deleted']).execute();
  await db.schema.createIndex('backups_parent_idx').on('backups').columns(['parent_id', 'deleted']).execute();

  await keyValueTable(db, 'backup_metadata', 'backup_id', 'backups.id', { ordered: true }).execute();
}
