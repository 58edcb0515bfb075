/*
 * Issue 19: whether the storage this service writes to is full, for the health check (issue 18) and the
 * operators' logs. Two signs, either one is enough:
 * - a directory the service writes (the data dir, the SQLite file's directory, every file backend's (issue 16)
 *   and the backup driver's directories) has less than MIN_FREE_BYTES left for unprivileged writers;
 * - the store's last transaction failed for space and none has committed since (Store.outOfSpaceSince),
 *   which is how a full PostgreSQL server shows from here.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { databaseEngine, sqlitePath, type Config } from '../config';
import type { Store } from '../db/store';

/** Below this much free space a directory counts as full: SQLite needs room for its WAL and journal. */
export const MIN_FREE_BYTES = 1024 * 1024;

export type StorageSpaceConfig = Pick<Config, 'data_dir' | 'database_url' | 'volume_backends' | 'backup'>;

export interface StorageSpace {
  full: boolean;
  /** What is full, for a log line or a health report: directories, or `database`. */
  full_at: string[];
}

/** The directories the service writes to (missing ones are skipped when checked). */
export function storageDirs(config: StorageSpaceConfig): string[] {
  const dirs = [config.data_dir, ...config.volume_backends.map((b) => b.path)];
  // The backup driver's rule (worker/backup-drivers backupPath): config backup.path, else <data_dir>/backups.
  dirs.push(config.backup.path ? path.resolve(config.backup.path) : path.join(config.data_dir, 'backups'));
  if (databaseEngine(config.database_url) === 'sqlite') dirs.push(path.dirname(path.resolve(sqlitePath(config.database_url))));
  return [...new Set(dirs)];
}

/** Whether the store's or the backends' disk is full (see the file head). Never throws. */
export async function storageSpace(store: Pick<Store, 'outOfSpaceSince'>, config: StorageSpaceConfig): Promise<StorageSpace> {
  const full_at: string[] = [];
  if (store.outOfSpaceSince !== undefined) full_at.push('database');
  for (const dir of storageDirs(config)) {
    const stats = await fs.statfs(dir).catch(() => undefined);
    if (stats && stats.bavail * stats.bsize < MIN_FREE_BYTES) full_at.push(dir);
  }
  return { full: full_at.length > 0, full_at };
}
