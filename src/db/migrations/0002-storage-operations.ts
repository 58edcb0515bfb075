/*
 * 0002: snapshots and their metadata, attachments, user messages; the request id on operations (logs
 * follow a request into the worker); a volume's previous status (extend/retype of an in-use volume
 * return to it).
 */
import type { Kysely } from 'kysely';
import { idColumn, keyValueTable, ownedIdColumns, softDeleteColumns } from './columns';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('snapshots')
    .$call(ownedIdColumns)
    .addColumn('volume_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('description', 'text')
    .addColumn('size', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('progress', 'text', (c) => c.notNull().defaultTo('0%'))
    .addColumn('volume_type_id', 'text', (c) => c.notNull())
    .addColumn('provider_location', 'text')
    .addColumn('consumes_quota', 'integer', (c) => c.notNull().defaultTo(1))
    .$call(softDeleteColumns)
    .execute();
  await db.schema.createIndex('snapshots_volume_idx').on('snapshots').columns(['volume_id', 'deleted']).execute();
  await db.schema.createIndex('snapshots_project_idx').on('snapshots').columns(['project_id', 'deleted', 'created_at']).execute();

  await keyValueTable(db, 'snapshot_metadata', 'snapshot_id', 'snapshots.id', { ordered: true }).execute();

  await db.schema
    .createTable('attachments')
    .$call(idColumn)
    .addColumn('volume_id', 'text', (c) => c.notNull())
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('instance_uuid', 'text')
    .addColumn('attached_host', 'text')
    .addColumn('mountpoint', 'text')
    .addColumn('attach_status', 'text', (c) => c.notNull())
    .addColumn('attach_mode', 'text')
    .addColumn('connector', 'text')
    .addColumn('connection_info', 'text')
    .addColumn('attach_time', 'text')
    .addColumn('detach_time', 'text')
    .$call(softDeleteColumns)
    .execute();
  await db.schema.createIndex('attachments_volume_idx').on('attachments').columns(['volume_id', 'deleted']).execute();

  await db.schema
    .createTable('messages')
    .$call(idColumn)
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('resource_type', 'text', (c) => c.notNull())
    .addColumn('resource_uuid', 'text')
    .addColumn('event_id', 'text', (c) => c.notNull())
    .addColumn('message_level', 'text', (c) => c.notNull())
    .addColumn('user_message', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.createIndex('messages_project_idx').on('messages').columns(['project_id', 'deleted', 'created_at']).execute();

  await db.schema.alterTable('operations').addColumn('request_id', 'text').execute();
  await db.schema.alterTable('volumes').addColumn('previous_status', 'text').execute();
}
