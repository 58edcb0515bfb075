/*
 * The store: one Kysely handle over the configured engine, migrations, transactions and a health probe.
 *
 * Design notes.
 * - All SQL lives under src/db. Services call the query modules in src/db/queries with a `Db` handle,
 *   which is either the store's root handle or a transaction, so one function serves both.
 * - Two engines, one schema, one set of queries and migrations: `sqlite:` (one host; sqlite.ts) and
 *   `postgres://` (several hosts; postgres.ts). Engine differences stay in those two files and in the
 *   few query functions that branch on `isPostgres` (quota row locks, the operation claim).
 * - Every write that must be consistent (status change + quota usage + operation row) runs in one
 *   `store.transaction`. On SQLite that is BEGIN IMMEDIATE: concurrent processes serialize on the write
 *   lock instead of failing. On PostgreSQL it is READ COMMITTED with guarded updates and quota row locks
 *   (postgres.ts explains the choice); a transaction PostgreSQL aborts to break a deadlock (or a
 *   serialization failure) is run again, a few times, from the start.
 * - Migrations run at open, so two processes starting together cannot both apply the same migration: on
 *   SQLite inside one BEGIN IMMEDIATE transaction (the second waits for the lock and then finds nothing
 *   to do); on PostgreSQL under a session advisory lock held on one dedicated connection for the whole
 *   run, with the migrations themselves in one transaction on that connection.
 * - If the database goes away, queries fail fast (connect timeout, statement timeout) and errors.ts maps
 *   those errors to 503; a failed transaction is rolled back by the server, so nothing is half-written.
 *   The pool opens new connections by itself when the server is back.
 * - No in-process cache decides anything: several API processes share this store.
 */
import { Kysely, Migrator, sql, type MigrationInfo, type Transaction } from 'kysely';
import { databaseEngine, sqlitePath, type Config } from '../config';
import { ImmediateSqliteDialect, openSqlite } from './sqlite';
import { StorageFullError, StoreBusyError } from '../errors';
import { createPostgresPool, PostgresStoreDialect, MIGRATION_LOCK_KEY, type PoolErrorSink, type DatabaseConfig } from './postgres';
import { MIGRATIONS } from './migrations';
import type { Database } from './schema';

export type Db = Kysely<Database> | Transaction<Database>;
export type Engine = 'sqlite' | 'postgres';

/**
 * Runs of a transaction that found the store busy (store-errors.ts StoreBusyError: PostgreSQL aborted it
 * with 40P01/40001, or SQLite's write lock stayed taken through the busy timeout) before the caller gets
 * the 503. SQLite has waited `sqlite_busy_timeout_ms` in each run already, so it runs fewer times.
 */
const TRANSACTION_ATTEMPTS: Record<Engine, number> = { postgres: 5, sqlite: 3 };

export class Store {
  constructor(
    readonly db: Kysely<Database>,
    readonly engine: Engine,
    // --- metrics (issue 18) ---
    /** PostgreSQL: the pool's connections now (the Prometheus pool gauge); SQLite has no pool. */
    readonly poolStats?: () => { total: number; idle: number; waiting: number },
  ) {}

  async transaction<T>(fn: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.db.transaction().execute(fn);
        this.outOfSpaceSince = undefined;
        return result;
      } catch (err) {
        if (err instanceof StorageFullError) this.outOfSpaceSince ??= Date.now();
        if (!(err instanceof StoreBusyError) || attempt >= TRANSACTION_ATTEMPTS[this.engine]) throw err;
        // Everything was rolled back; a random pause, growing with each run, lets the other side finish.
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  /**
   * Issue 19: when the last transaction failed for space (SQLITE_FULL, PostgreSQL 53100), since when;
   * undefined once one commits. The health check reads it through services/storage-space.ts.
   */
  outOfSpaceSince: number | undefined;

  /** Resolves when the database answers a query (used by /healthcheck). */
  async ping(): Promise<void> {
    await sql`select 1`.execute(this.db);
  }

  /** Applies pending migrations; returns the names applied by this call (empty when another host did). */
  async migrate(): Promise<string[]> {
    return this.withMigrationLock(async (db) => {
      const { error, results } = await migrator(db).migrateToLatest();
      if (error) throw error;
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    });
  }

  /** Names of the migrations not yet applied (`npm run migrate -- --dry-run`); writes nothing. */
  async pendingMigrations(): Promise<string[]> {
    const all: readonly MigrationInfo[] = await migrator(this.db).getMigrations();
    return all.filter((m) => m.executedAt === undefined).map((m) => m.name);
  }

  async close(): Promise<void> {
    await this.db.destroy();
  }

  private async withMigrationLock<T>(fn: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.engine === 'sqlite') return fn(this.db);
    // Session-level: held across Kysely's own setup (creating its bookkeeping tables, which is not
    // race-free between hosts) and the migration transaction, all on this one connection.
    return this.db.connection().execute(async (conn) => {
      // No statement_timeout here: waiting for another host's migration, or a migration rewriting a big
      // table, may take longer than a request should.
      await sql`set statement_timeout = 0`.execute(conn);
      await sql`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
      try {
        return await fn(conn);
      } finally {
        await sql`select pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
        await sql`reset statement_timeout`.execute(conn);
      }
    });
  }
}

function migrator(db: Kysely<Database>): Migrator {
  return new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
}

export interface OpenOptions {
  /** Apply pending migrations (default true; `npm run migrate -- --dry-run` opens without). */
  migrate?: boolean;
  /** Where PostgreSQL connection errors outside a query are reported (the process logger). */
  onPoolError?: PoolErrorSink;
}

/** The database keys, and SQLite's busy timeout where the caller has a whole configuration. */
export type StoreConfig = DatabaseConfig & Partial<Pick<Config, 'sqlite_busy_timeout_ms'>>;

export async function openStore(config: StoreConfig, opts: OpenOptions = {}): Promise<Store> {
  const store =
    databaseEngine(config.database_url) === 'postgres' ? openPostgres(config, opts) : openSqliteStore(config.database_url, config.sqlite_busy_timeout_ms);
  if (opts.migrate !== false) {
    try {
      await store.migrate();
    } catch (err) {
      await store.close().catch(() => undefined);
      throw err;
    }
  }
  return store;
}

function openSqliteStore(databaseUrl: string, busyTimeoutMs: number | undefined): Store {
  const file = sqlitePath(databaseUrl);
  return new Store(new Kysely<Database>({ dialect: new ImmediateSqliteDialect({ database: async () => openSqlite(file, busyTimeoutMs) }) }), 'sqlite');
}

function openPostgres(config: DatabaseConfig, opts: OpenOptions): Store {
  const pool = createPostgresPool(config, opts.onPoolError);
  return new Store(new Kysely<Database>({ dialect: new PostgresStoreDialect({ pool }) }), 'postgres', () => ({
    total: pool.totalCount,
    idle: pool.idleCount,
    waiting: pool.waitingCount,
  }));
}
