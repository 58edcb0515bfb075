/*
 * 0004: volume transfers (cinder/db/sqlalchemy/models.py Transfer). The auth key itself is never stored:
 * only a random salt and the SHA-1 HMAC of the key (`crypt_hash`). An accepted or deleted transfer keeps
 * its row with `deleted = 1`.
 */
import type { Kysely } from 'kysely';
import { idColumn, softDeleteColumns } from './columns';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('transfers')
    .$call(idColumn)
    .addColumn('volume_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('salt', 'text', (c) => c.notNull())
    .addColumn('crypt_hash', 'text', (c) => c.notNull())
    .addColumn('source_project_id', 'text', (c) => c.notNull())
    .addColumn('destination_project_id', 'text')
    .addColumn('accepted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('no_snapshots', 'integer', (c) => c.notNull().defaultTo(0))
    .$call(softDeleteColumns)
    .execute();
  await db.schema.createIndex('transfers_volume_idx').on('transfers').columns(['volume_id', 'deleted']).execute();
}
