/*
 * 0005: which worker may run an operation (issue 8, several hosts). `host` is the owning worker's
 * `host@backend#pool` string (the volume's `host`) for work on existing storage; `backend` narrows an
 * untargeted operation (a create from nothing) to the workers serving that backend. NULL in both means
 * any worker, so rows written before this migration stay claimable by everyone, as they were.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  // One ALTER per column: SQLite adds a single column per statement.
  await db.schema.alterTable('operations').addColumn('host', 'text').execute();
  await db.schema.alterTable('operations').addColumn('backend', 'text').execute();
}
