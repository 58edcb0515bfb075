/*
 * 0006: the admin surface of issue 15 (cinder/db/sqlalchemy/models.py): QoS specs and their keys, the
 * QoS association of a volume type, private-type access lists, volume-type encryption, the services
 * table the workers heartbeat into and their clusters, quota classes (the `default` class drives the defaults), and where a
 * backup's data is (backups.service_metadata).
 */
import type { Kysely } from 'kysely';
import { compositeKeyTable, idColumn, notNullTextColumns, softDeleteColumns, timestampColumns } from './columns';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createTable('qos_specs').$call(idColumn).$call(notNullTextColumns('name', 'consumer')).$call(softDeleteColumns).execute();
  // Null is a value Cinder stores (a key set to null with PUT /qos-specs/{id}).
  await compositeKeyTable(db, 'qos_spec_keys', ['qos_specs_id', 'key']).addColumn('value', 'text').execute();
  await db.schema.alterTable('volume_types').addColumn('qos_specs_id', 'text').execute();

  await compositeKeyTable(db, 'volume_type_projects', ['volume_type_id', 'project_id'])
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('encryption')
    .addColumn('encryption_id', 'text', (c) => c.primaryKey())
    .$call(notNullTextColumns('volume_type_id', 'provider', 'control_location'))
    .addColumn('cipher', 'text')
    .addColumn('key_size', 'integer')
    .$call(softDeleteColumns)
    .execute();
  await db.schema.createIndex('encryption_type_idx').on('encryption').columns(['volume_type_id', 'deleted']).execute();

  // One row per (host, binary): a worker process reports as cinder-volume (host@backend) and, with a
  // backup driver, cinder-backup (host); the API processes as cinder-scheduler. updated_at is the heartbeat
  // (src/worker/heartbeat.ts). `id` is Cinder's integer service id (workers cleanup names services by it).
  // `capabilities`: what a cinder-volume worker last published about its backend (JSON, get_pools and
  // scheduling read it); `log_level`: the level set-log asked for, applied by the processes at their next
  // heartbeat; `reported_log_levels`: the levels they run with now (JSON), what get-log answers.
  await db.schema
    .createTable('services')
    .addColumn('id', 'integer', (c) => c.notNull().unique())
    .$call(notNullTextColumns('host', 'binary', 'topic', 'availability_zone'))
    .addColumn('cluster_name', 'text')
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'text')
    .addColumn('frozen', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('report_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('capabilities', 'text')
    .addColumn('log_level', 'text')
    .addColumn('reported_log_levels', 'text')
    .$call(timestampColumns)
    // Last enable/disable (Cinder's modified_at): the list shows it as updated_at when it is newer.
    .addColumn('modified_at', 'text')
    .addPrimaryKeyConstraint('services_pk', ['host', 'binary'])
    .execute();

  // Clusters (3.7): services that share a cluster_name (config worker.cluster) form one, per binary. Created
  // by the first heartbeat of a member; disabling it disables the scheduling of all its members.
  await db.schema
    .createTable('clusters')
    .addColumn('id', 'integer', (c) => c.notNull().unique())
    .$call(notNullTextColumns('name', 'binary'))
    .addColumn('disabled', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('disabled_reason', 'text')
    .$call(timestampColumns)
    .addPrimaryKeyConstraint('clusters_pk', ['name', 'binary'])
    .execute();

  // Where a backup's data is in backup storage (Cinder's service_metadata): the id the data was written
  // under. Null: the backup's own id. An imported record may carry another backup's id (services/backup-service.ts).
  await db.schema.alterTable('backups').addColumn('service_metadata', 'text').execute();

  await compositeKeyTable(db, 'quota_classes', ['class_name', 'resource'])
    .addColumn('hard_limit', 'integer', (c) => c.notNull())
    .execute();
}
