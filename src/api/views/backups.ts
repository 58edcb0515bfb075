/*
 * Backup views (cinder/api/views/backups.py, cinder/api/v3/views/backups.py). Summary (`id`, `name`,
 * `links`) is the whole body of create, update and import and the items of the summary list; detail
 * serves show and the detail list, with the microversion keys: project id (3.18, admin), metadata
 * (3.43), user id (3.56, admin).
 */
import { MV } from '../microversions';
import { renderTimestamp } from '../../db/time';
import type { BackupRecord } from '../../services/backup-service';
import { type ViewContext, pagedLists, resourceLinks } from './view-context';

export function summary(v: ViewContext, r: BackupRecord): Record<string, unknown> {
  return { id: r.row.id, name: r.row.name, links: resourceLinks(v, 'backups', r.row.id) };
}

export function detail(v: ViewContext, r: BackupRecord): Record<string, unknown> {
  const row = r.row;
  const out: Record<string, unknown> = {
    id: row.id,
    status: row.status,
    size: row.size,
    object_count: row.object_count,
    availability_zone: row.availability_zone,
    container: row.container,
    created_at: renderTimestamp(row.created_at),
    updated_at: renderTimestamp(row.updated_at),
    name: row.name,
    description: row.description,
    fail_reason: row.fail_reason,
    volume_id: row.volume_id,
    links: resourceLinks(v, 'backups', row.id),
    is_incremental: row.parent_id !== null,
    has_dependent_backups: r.hasDependents,
    snapshot_id: row.snapshot_id,
    data_timestamp: renderTimestamp(row.data_timestamp),
  };
  if (v.version.atLeast(MV.BACKUP_PROJECT) && v.isAdmin) out['os-backup-project-attr:project_id'] = row.project_id;
  if (v.version.atLeast(MV.BACKUP_METADATA)) out.metadata = { ...r.metadata };
  if (v.version.atLeast(MV.BACKUP_USER_ID) && v.isAdmin) out.user_id = row.user_id;
  return out;
}

export const { summaryList, detailList } = pagedLists<BackupRecord>('backups', summary, detail);
