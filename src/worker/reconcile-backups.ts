/*
 * Backup reconciliation at worker start (beside reconcile-backend.ts for volume files): backup storage and the
 * store must agree. Removed, not quarantined, since a backup's files are only ever a copy:
 * - partial backups (`.tmp-<id>-<pid>`) whose writer is dead (a crash mid-backup; the operation's retry
 *   starts over in its own temporary folder);
 * - complete backups that no live row's data is stored under (a crash between the files and the row);
 * - complete backups whose row is still `creating` with no pending or running operation (cannot happen
 *   in normal operation, kept for safety) are left alone: their operation will finish or fail them.
 * Partial restores (`volume-<id>.tmp-<pid>` in the volume backend) are quarantined by reconcile-backend.ts.
 */
import type { Store } from '../db/store';
import type { Logger } from '../log';
import { processAlive } from './process-alive';
import { liveBackupDataIds } from '../db/queries/backups';
import type { BackupDriver } from './backup-drivers';

export async function reconcileBackups(store: Store, driver: BackupDriver | undefined, log: Logger): Promise<string[]> {
  if (!driver) return [];
  await driver.init();
  const entries = await driver.inventory();
  const live = await liveBackupDataIds(
    store.db,
    entries.filter((e) => e.kind === 'backup').map((e) => e.id),
  );
  const removed: string[] = [];
  for (const entry of entries) {
    const stray = entry.kind === 'partial' ? entry.pid !== undefined && !processAlive(entry.pid) : !live.has(entry.id);
    if (!stray) continue;
    await driver.remove(entry);
    removed.push(entry.name);
    log.warn({ backup_entry: entry.name, kind: entry.kind, backup_id: entry.id }, 'removed backup data that has no live backup row');
  }
  log.info({ checked: entries.length, removed: removed.length }, 'backup storage reconciled with the store');
  return removed;
}
