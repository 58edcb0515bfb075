/*
 * PostgreSQL engine specifics (issue 8): the connection pool, how values come back, the migration lock
 * and the row locks that stand in for SQLite's single writer.
 *
 * Design notes.
 * - One `pg` pool per process (config database_pool_size). Every connection sets the server-side
 *   statement_timeout, so a stuck query ends as an error (503) instead of holding a request forever;
 *   database_connect_timeout_ms bounds both opening a connection and waiting for a free one.
 * - Row shapes are the same as on SQLite: the schema stores timestamps as ISO text and booleans as 0/1
 *   integers, and the type parsers below return int8 (count(*), sum()) and numeric as JS numbers rather
 *   than strings. Our values (sizes in GB, row counts) stay far below 2^53.
 * - A dead server must not kill the process: `pg` emits 'error' on idle pooled clients (and on a client
 *   between two queries) when the server goes away; without a listener that is an uncaught exception.
 *   The listeners below only log; the broken client is dropped by the pool, the query in flight fails
 *   (503 via errors.ts toFault), and the next request opens a fresh connection once the server is back.
 * - Isolation stays READ COMMITTED. Status changes are guarded UPDATEs (`... where status in (...)`),
 *   which PostgreSQL re-evaluates on the newest row version after waiting for a concurrent writer, so
 *   exactly one of two racing requests wins, as on SQLite. The one read-check-write that a guard cannot
 *   express, quota (read usage, compare with the limit, add), takes row locks: see queries/quotas.ts.
 *   We chose locks over SERIALIZABLE because quota is a hot spot by design (many creates in one project
 *   at once): with locks they queue and all succeed or get a clean 413, while SERIALIZABLE would abort
 *   all but one per round and need retries whose number grows with the concurrency.
 */
import fs from 'node:fs';
import { Pool, types as pgTypes, type PoolConfig } from 'pg';
import { PostgresAdapter, PostgresDialect, type DatabaseConnection, type Driver, type Kysely } from 'kysely';
import type { Config } from '../config';
import { ConfigError } from '../config';
import { asStoreError, raiseStoreErrors } from './store-errors';

/** The database keys of the configuration (the store needs no other). */
export type DatabaseConfig = Pick<
  Config,
  'database_url' | 'database_pool_size' | 'database_statement_timeout_ms' | 'database_connect_timeout_ms' | 'database_ssl_mode' | 'database_ssl_ca_file'
>;

/** Where the pool reports connection trouble (the process logger; tests may pass nothing). */
export type PoolErrorSink = (err: Error, where: 'idle client' | 'client') => void;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

/** Type parsers for this pool only (never pg's global table, which other code may rely on). */
const TYPE_PARSERS = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return (value: string) => Number(value);
    return format === 'binary' ? pgTypes.getTypeParser(oid, 'binary') : pgTypes.getTypeParser(oid, 'text');
  },
};

function sslOptions(config: DatabaseConfig): PoolConfig['ssl'] {
  const ca = config.database_ssl_ca_file ? readCa(config.database_ssl_ca_file) : undefined;
  switch (config.database_ssl_mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      // The chain must lead to a trusted CA; the name in the certificate is not compared with the host.
      return { rejectUnauthorized: true, ca, checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ca };
  }
}

function readCa(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`database_ssl_ca_file = ${JSON.stringify(file)}: ${(err as Error).message}`);
  }
}

export function createPostgresPool(config: DatabaseConfig, onError: PoolErrorSink = () => undefined): Pool {
  // TLS comes from database_ssl_mode only: pg lets URL parameters override the options object, so an
  // `sslmode` in the URL would silently win over the configured mode.
  if (/[?&](sslmode|sslrootcert|sslcert|sslkey)=/i.test(config.database_url)) {
    throw new ConfigError('database_url: give TLS settings in database_ssl_mode and database_ssl_ca_file, not as URL parameters');
  }
  const pool = new Pool({
    connectionString: config.database_url,
    max: config.database_pool_size,
    connectionTimeoutMillis: config.database_connect_timeout_ms,
    statement_timeout: config.database_statement_timeout_ms || undefined,
    // A transaction left open by a stuck process must not hold quota row locks for ever.
    idle_in_transaction_session_timeout: Math.max(config.database_statement_timeout_ms * 3, 30000),
    idleTimeoutMillis: 30000,
    keepAlive: true,
    application_name: 'volume-api',
    ssl: sslOptions(config),
    types: TYPE_PARSERS,
  });
  pool.on('error', (err) => onError(err, 'idle client'));
  pool.on('connect', (client) => client.on('error', (err) => onError(err, 'client')));
  return pool;
}

/**
 * Kysely's PostgreSQL dialect, with the driver's errors that mean "the store cannot serve now" raised
 * as 503 ApiErrors (store-errors.ts): an outage (errors.ts isDatabaseUnavailable), a full disk, a
 * serialization failure or deadlock (retried by Store.transaction first).
 */
export class PostgresStoreDialect extends PostgresDialect {
  override createDriver(): Driver {
    const driver = super.createDriver();
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = async (): Promise<DatabaseConnection> => raiseStoreErrors(await acquire().catch(asStoreError));
    return driver;
  }
}

/** True when `db` runs on PostgreSQL (query modules branch on this for the few engine differences). */
export function isPostgres(db: Pick<Kysely<unknown>, 'getExecutor'>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** The advisory lock key migrations run under: any stable 64-bit number unique to this application. */
export const MIGRATION_LOCK_KEY = 8776_0008;
