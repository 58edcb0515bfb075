/*
 * Issue 19: the driver errors that say "the store cannot do this now" become ApiErrors with status 503
 * at the one place every statement passes, the connection of each engine's dialect: the database is
 * down (DatabaseUnavailableError), out of space (StorageFullError), or locked by other writers
 * (StoreBusyError, which Store.transaction retries). Restify hands an error with a status to our
 * formatter as it is (a plain Error would reach it only as a 500), and code that catches errors can tell
 * these apart from a bad statement. `cause` keeps the driver's error for the log.
 */
import type { CompiledQuery, DatabaseConnection, QueryResult } from 'kysely';
import { DatabaseUnavailableError, isDatabaseUnavailable, isOutOfSpace, isStoreBusy, StorageFullError, StoreBusyError, ApiError } from '../errors';

export function asStoreError(err: unknown): never {
  if (err instanceof ApiError) throw err;
  if (isOutOfSpace(err)) throw new StorageFullError(err);
  if (isStoreBusy(err)) throw new StoreBusyError(err);
  if (isDatabaseUnavailable(err)) throw new DatabaseUnavailableError(err);
  throw err;
}

const WRAPPED = new WeakSet<DatabaseConnection>();

/** Makes `connection` raise the errors above (pooled connections are reused: each is wrapped once). */
export function raiseStoreErrors(connection: DatabaseConnection): DatabaseConnection {
  if (WRAPPED.has(connection)) return connection;
  WRAPPED.add(connection);
  const execute = connection.executeQuery.bind(connection);
  connection.executeQuery = async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
    try {
      // better-sqlite3 throws synchronously: await inside the try catches both kinds.
      return await execute<R>(query);
    } catch (err) {
      return asStoreError(err);
    }
  };
  return connection;
}
