/*
 * Copies a whole store into another one: how an SQLite deployment moves to PostgreSQL (issue 8,
 * `npm run migrate -- --from sqlite:PATH`, docs/scaling.md). Works between any two engines.
 *
 * The rules that keep it safe:
 * - Both stores are at the same, latest migration (openStore migrates them), so the tables and columns
 *   match exactly; rows are copied as they are (ISO text times, 0/1 booleans: the same on both engines).
 * - The target must be empty: no rows except the `__DEFAULT__` volume type that its first migration
 *   created, which is replaced by the source's own (other rows point at the source's type ids).
 * - Everything is written in one target transaction, parents before children (foreign keys), and the
 *   row counts are compared afterwards. A failure leaves the target as empty as it was.
 * - The source must not change meanwhile: stop the services (API and workers) before the copy.
 */
import type { Store } from './store';
import type { Database } from './schema';

/** Every table, parents before the tables whose rows point at them. */
const TABLES = [
  'volume_types',
  'volume_type_extra_specs',
  'default_types',
  'volumes',
  'volume_metadata',
  'volume_admin_metadata',
  'quotas',
  'quota_usages',
  'operations',
  'snapshots',
  'snapshot_metadata',
  'attachments',
  'messages',
  'backups',
  'backup_metadata',
  'transfers',
  'qos_specs',
  'qos_spec_keys',
  'volume_type_projects',
  'encryption',
  'services',
  'clusters',
  'quota_classes',
  // --- generic volume groups (issue 16) ---
  'group_types',
  'group_type_specs',
  'groups',
  'group_volume_types',
  'group_snapshots',
] as const satisfies readonly (keyof Database)[];

// A table added to the schema but not to TABLES would silently not be copied: make that a type error.
type Uncopied = Exclude<keyof Database, (typeof TABLES)[number]>;
const EVERY_TABLE_LISTED: [Uncopied] extends [never] ? true : Uncopied = true;
void EVERY_TABLE_LISTED;

/** Rows per INSERT: well under PostgreSQL's 65535 parameters for our widest table. */
const BATCH = 500;

export class CopyRefusedError extends Error {
  override name = 'CopyRefusedError';
}

async function count(store: Store, table: keyof Database): Promise<number> {
  const row = await store.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Copies every row of `from` into the empty `to`; returns the row count per table. */
export async function copyStore(from: Store, to: Store): Promise<Record<string, number>> {
  for (const [store, role] of [
    [from, 'source'],
    [to, 'target'],
  ] as const) {
    const pending = await store.pendingMigrations();
    if (pending.length > 0) throw new CopyRefusedError(`the ${role} has pending migrations (${pending.join(', ')})`);
  }
  for (const table of TABLES) {
    const n = await count(to, table);
    const onlyDefaultType =
      table === 'volume_types' && n === 1 && (await to.db.selectFrom('volume_types').select('name').executeTakeFirstOrThrow()).name === '__DEFAULT__';
    if (n > 0 && !onlyDefaultType) throw new CopyRefusedError(`the target is not empty: table ${table} has ${n} rows`);
  }
  const copied: Record<string, number> = {};
  await to.transaction(async (trx) => {
    await trx.deleteFrom('volume_types').execute();
    for (const table of TABLES) {
      const rows = (await from.db.selectFrom(table).selectAll().execute()) as Record<string, unknown>[];
      for (let i = 0; i < rows.length; i += BATCH) {
        // The row types of one table are the same on both sides; Kysely cannot see that through `table`.
        await trx
          .insertInto(table)
          .values(rows.slice(i, i + BATCH) as never)
          .execute();
      }
      copied[table] = rows.length;
    }
  });
  for (const table of TABLES) {
    const n = await count(to, table);
    if (n !== copied[table]) throw new Error(`copy check failed: ${table} has ${n} rows in the target, ${copied[table]} in the source`);
  }
  return copied;
}
