/*
 * SQLite engine specifics: WAL, a busy timeout, and BEGIN IMMEDIATE for every transaction.
 *
 * Why IMMEDIATE: several processes (PM2 cluster workers, the volume worker) share one file. A deferred
 * transaction that reads and then writes fails at once with SQLITE_BUSY when another process wrote in
 * between; busy_timeout does not cover that lock upgrade. Taking the write lock up front makes writers
 * queue on busy_timeout instead. The adapter also reports transactional DDL, so Kysely's Migrator runs
 * all pending migrations inside one such transaction: that is the cross-process migration lock.
 */
import fs from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { cacheStatements } from './sqlite-statements';
import { raiseStoreErrors } from './store-errors';
import { CompiledQuery, SqliteAdapter, SqliteDialect, type DatabaseConnection, type Driver } from 'kysely';

class ImmediateSqliteAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

export class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = async (): Promise<DatabaseConnection> => raiseStoreErrors(await acquire());
    driver.beginTransaction = async (connection: DatabaseConnection): Promise<void> => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    // After SQLITE_FULL (and some I/O errors) SQLite has rolled the transaction back itself: Kysely's
    // rollback would then fail with "cannot rollback - no transaction is active" and hide the cause.
    const rollback = driver.rollbackTransaction.bind(driver);
    driver.rollbackTransaction = async (connection: DatabaseConnection): Promise<void> => {
      await rollback(connection).catch((err: Error) => {
        if (!/no transaction is active/.test(err.message)) throw err;
      });
    };
    return driver;
  }

  override createAdapter(): SqliteAdapter {
    return new ImmediateSqliteAdapter();
  }
}

/** How long a writer waits for another process's write lock before SQLITE_BUSY (config sqlite_busy_timeout_ms). */
export const DEFAULT_BUSY_TIMEOUT_MS = 10000;

export function openSqlite(file: string, busyTimeoutMs = DEFAULT_BUSY_TIMEOUT_MS): SQLite.Database {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const db = new SQLite(file, { timeout: busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  return cacheStatements(db);
}
