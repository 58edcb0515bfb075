/*
 * Reconciliation at worker start: the backend and the store must agree. A backing file with no live
 * volume or snapshot row (left by a crash between the file and the row, or by hand) is quarantined:
 * moved aside into the backend's quarantine folder and logged, never deleted, so an operator can look.
 * A partial file (`*.tmp-<pid>`) whose writer is dead is quarantined too. Operations whose lease has
 * expired need nothing here: the loop claims them again.
 *
 * Safe against concurrent work: a volume's row is always written (by the API) before any file exists
 * for it, and partial files of live processes are left alone.
 */
import os from 'node:os';
import type { Store } from '../db/store';
import { liveIds } from '../db/queries/resource-lookups';
import type { Logger } from '../log';
import { processAlive } from './process-alive';
import type { VolumeBackend } from './backends';

export interface ReconcileReport {
  checked: number;
  quarantined: string[];
}

export async function reconcileBackend(store: Store, backend: VolumeBackend, log: Logger): Promise<ReconcileReport> {
  const entries = await backend.inventory();
  const ids = (kind: 'volume' | 'snapshot') => entries.filter((e) => e.kind === kind).map((e) => e.id);
  const volumeIds = ids('volume');
  const snapshotIds = ids('snapshot');
  const [liveVolumes, liveSnapshots] = await Promise.all([liveIds(store.db, 'volumes', volumeIds), liveIds(store.db, 'snapshots', snapshotIds)]);
  const report: ReconcileReport = { checked: entries.length, quarantined: [] };
  for (const entry of entries) {
    const orphan =
      (entry.kind === 'volume' && !liveVolumes.has(entry.id)) ||
      (entry.kind === 'snapshot' && !liveSnapshots.has(entry.id)) ||
      (entry.kind === 'partial' && entry.pid !== undefined && !processAlive(entry.pid));
    if (!orphan) continue;
    const target = await backend.quarantine(entry);
    report.quarantined.push(entry.name);
    log.warn(
      { backend_entry: entry.name, kind: entry.kind, resource_id: entry.id, moved_to: target, host: os.hostname() },
      'quarantined a backing file that has no row in the store',
    );
  }
  log.info({ checked: report.checked, quarantined: report.quarantined.length }, 'backend reconciled with the store');
  return report;
}
