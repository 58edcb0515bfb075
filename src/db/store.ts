/*
 * The store: one Kysely handle over the configured engine, migrations, transactions and a health probe.
 *
 * Design notes.
 * - All SQL lives under src/db. Services call the query modules in src/db/queries with a `Db` handle,
 *   which is either the store's root handle or a transaction, so one function serves both.
 * - Every write that must be consistent (status change + quota usage + operation row) runs in one
 *   `store.transaction`, which on SQLite is BEGIN IMMEDIATE (see sqlite.ts): concurrent processes
 *   serialize on the write lock instead of failing.
 * - Migrations run at open, inside one transaction, so two processes starting together cannot both apply
 *   the same migration: the second waits for the lock and then finds nothing to do.
 * - No in-process cache decides anything: several API processes share this store.
 */
import { Kysely, Migrator, sql, type Transaction } from 'kysely';
import type { Config } from '../config';
import { sqlitePath } from '../config';
import { ImmediateSqliteDialect, openSqlite } from './sqlite';
import { MIGRATIONS } from './migrations';
import type { Database } from './schema';

export type Db = Kysely<Database> | Transaction<Database>;

export class Store {
  constructor(
    readonly db: Kysely<Database>,
    readonly engine: 'sqlite',
  ) {}

  transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Resolves when the database answers a query (used by /healthcheck). */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  async migrate(): Promise<string[]> {
    const migrator = new Migrator({ db: this.db, provider: { getMigrations: async () => MIGRATIONS } });
    const { error, results } = await migrator.migrateToLatest();
    if (error) throw error;
    return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }
}

export async function openStore(config: Pick<Config, 'database_url'>): Promise<Store> {
  const file = sqlitePath(config.database_url);
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: async () => openSqlite(file) }) });
  const store = new Store(db, 'sqlite');
  await store.migrate();
  return store;
}
