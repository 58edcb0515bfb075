/*
 * Snapshot views (cinder/api/views/snapshots.py, cinder/api/v3/views/snapshots.py and the
 * extended_snapshot_attributes extension). One builder: `detail` serves create, show, update and the
 * detail list; `extended` adds the os-extended-snapshot-attributes keys (show and detail list only, for
 * the owner or an admin). The summary list uses the base keys only, at every version.
 */
import { renderTimestamp } from '../../db/time';
import type { SnapshotRecord } from '../../services/snapshot-service';
import { MV } from '../microversions';
import { type ViewContext, pagedLists } from './view-context';

function base(r: SnapshotRecord): Record<string, unknown> {
  const row = r.row;
  return {
    id: row.id,
    created_at: renderTimestamp(row.created_at),
    updated_at: renderTimestamp(row.updated_at),
    name: row.name,
    description: row.description,
    volume_id: row.volume_id,
    status: row.status,
    size: row.size,
    metadata: { ...r.metadata },
  };
}

export function summary(_v: ViewContext, r: SnapshotRecord): Record<string, unknown> {
  return base(r);
}

export function detail(v: ViewContext, r: SnapshotRecord, opts: { extended: boolean }): Record<string, unknown> {
  const out = base(r);
  if (opts.extended && (v.isAdmin || r.row.project_id === v.projectId)) {
    out['os-extended-snapshot-attributes:project_id'] = r.row.project_id;
    out['os-extended-snapshot-attributes:progress'] = r.row.progress;
  }
  if (v.version.atLeast(MV.GROUP_SNAPSHOTS)) out.group_snapshot_id = r.row.group_snapshot_id;
  if (v.version.atLeast(MV.SNAPSHOT_LIST_USER_ID)) out.user_id = r.row.user_id;
  if (v.version.atLeast(MV.USE_QUOTA)) out.consumes_quota = Boolean(r.row.consumes_quota);
  return out;
}

export const { summaryList, detailList } = pagedLists<SnapshotRecord>('snapshots', summary, (v, r) => detail(v, r, { extended: true }));
