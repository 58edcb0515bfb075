/* Quota-set, quota-class-set and limits views (cinder/api/contrib/quotas.py, quota_classes.py, cinder/api/views/limits.py). */
import type { Usage } from '../../services/quota-service';

export function quotaSet(projectId: string | undefined, values: Record<string, number | Usage>): Record<string, unknown> {
  return { quota_set: projectId === undefined ? { ...values } : { ...values, id: projectId } };
}

/** A quota class's limits; show adds the class name as `id` (after the limits), update does not. */
export function quotaClassSet(className: string | undefined, values: Record<string, number>): Record<string, unknown> {
  return { quota_class_set: className === undefined ? { ...values } : { ...values, id: className } };
}

export function absoluteLimits(usage: Record<string, Usage>): Record<string, unknown> {
  const limit = (k: string) => usage[k]?.limit ?? -1;
  const used = (k: string) => usage[k]?.in_use ?? 0;
  return {
    limits: {
      rate: [],
      absolute: {
        maxTotalVolumes: limit('volumes'),
        maxTotalSnapshots: limit('snapshots'),
        maxTotalVolumeGigabytes: limit('gigabytes'),
        maxTotalBackups: limit('backups'),
        maxTotalBackupGigabytes: limit('backup_gigabytes'),
        totalVolumesUsed: used('volumes'),
        totalGigabytesUsed: used('gigabytes'),
        totalSnapshotsUsed: used('snapshots'),
        totalBackupsUsed: used('backups'),
        totalBackupGigabytesUsed: used('backup_gigabytes'),
      },
    },
  };
}
