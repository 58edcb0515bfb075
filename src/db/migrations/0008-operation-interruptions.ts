/*
 * 0008 (issue 19): how many runs of an operation ended because the worker process died under it (or
 * lost its lease), apart from `attempts`, which now counts only the runs charged to the operation itself
 * (src/worker/worker-loop.ts explains the accounting).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('operations')
    .addColumn('interruptions', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}
