/* Backup drivers by name (config `backup.driver`): today only the posix (directory) driver. */
import path from 'node:path';
import type { Config } from '../../config';
import type { BackupDriver } from './backup-driver';
import { PosixBackupDriver } from './posix-driver';

export function backupPath(config: Pick<Config, 'data_dir'> & { backup?: { path?: string } }): string {
  return config.backup?.path ? path.resolve(config.backup.path) : path.join(config.data_dir, 'backups');
}

export function createBackupDriver(config: Pick<Config, 'data_dir' | 'backup'>): BackupDriver {
  return new PosixBackupDriver(backupPath(config), config.backup.chunk_size_mb * 1024 * 1024, config.backup.compression);
}

export type { BackupDriver } from './backup-driver';
export { BackupCorruptError } from './backup-driver';
