/* Backup drivers by name (config `backup.driver`): today only the posix (directory) driver. */
import path from 'node:path';
import type { Config } from '../../config';
import type { BackupDriver } from './driver';
import { PosixBackupDriver } from './posix';

export function backupPath(config: Pick<Config, 'data_dir'> & { backup?: { path?: string } }): string {
  return config.backup?.path ? path.resolve(config.backup.path) : path.join(config.data_dir, 'backups');
}

export function createBackupDriver(config: Pick<Config, 'data_dir' | 'backup'>): BackupDriver {
  return new PosixBackupDriver(backupPath(config), config.backup.chunk_size_mb * 1024 * 1024, config.backup.compression);
}

export type { BackupDriver } from './driver';
export { BackupCorruptError } from './driver';

/**
 * The backup driver of a store's deployment. buildServices registers it; the worker's backup operations
 * and the reconciliation at worker start look it up by the store they run against.
 */
const DRIVERS = new WeakMap<object, BackupDriver>();

export function registerBackupDriver(store: object, driver: BackupDriver): void {
  DRIVERS.set(store, driver);
}

export function backupDriverFor(store: object): BackupDriver {
  const driver = DRIVERS.get(store);
  if (!driver) throw new Error('no backup driver configured');
  return driver;
}

export function maybeBackupDriverFor(store: object): BackupDriver | undefined {
  return DRIVERS.get(store);
}
