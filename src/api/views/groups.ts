/*
 * Group type, group and group snapshot views (cinder/api/v3/views/group_types.py, groups.py,
 * group_snapshots.py). Group lists link on with `group_links` and group snapshot lists with
 * `group_snapshot_links`, as Cinder names them.
 */
import { renderTimestamp } from '../../db/time';
import type { GroupRecord, GroupSnapshotRecord } from '../../services/group-service';
import type { GroupTypeWithSpecs } from '../../services/group-type-service';
import { MV } from '../microversions';
import { pagedList, type ListPage, type ViewContext } from './view-context';

/** A group type; `group_specs` for admins only (policy group:access_group_types_specs). */
export function groupType(v: ViewContext, t: GroupTypeWithSpecs): Record<string, unknown> {
  const out: Record<string, unknown> = { id: t.id, name: t.name, description: t.description, is_public: Boolean(t.is_public) };
  if (v.isAdmin) out.group_specs = t.group_specs;
  return out;
}

export function groupSummary(r: GroupRecord): Record<string, unknown> {
  return { id: r.row.id, name: r.row.name };
}

/** `listVolumes`: the request asked for `list_volume=true` (3.25). */
export function groupDetail(v: ViewContext, r: GroupRecord, listVolumes: boolean): Record<string, unknown> {
  const row = r.row;
  const out: Record<string, unknown> = {
    id: row.id,
    status: row.status,
    availability_zone: row.availability_zone,
    created_at: renderTimestamp(row.created_at),
    name: row.name,
    description: row.description,
    group_type: row.group_type_id,
    volume_types: r.volumeTypeIds,
  };
  if (v.version.atLeast(MV.GROUP_SNAPSHOTS)) {
    out.group_snapshot_id = row.group_snapshot_id;
    out.source_group_id = row.source_group_id;
  }
  if (v.version.atLeast(MV.GROUP_VOLUME_LIST) && listVolumes) out.volumes = r.volumeIds;
  if (v.version.atLeast(MV.GROUP_REPLICATION)) out.replication_status = row.replication_status;
  if (v.version.atLeast(MV.GROUP_GROUPSNAPSHOT_PROJECT_ID) && v.isAdmin) out.project_id = row.project_id;
  return out;
}

/** Create's answer, and the summary list's items before Cinder drops `group_type_id` from them. */
export function groupSnapshotSummary(r: GroupSnapshotRecord): Record<string, unknown> {
  return { id: r.row.id, name: r.row.name, group_type_id: r.row.group_type_id };
}

export function groupSnapshotDetail(v: ViewContext, r: GroupSnapshotRecord): Record<string, unknown> {
  const row = r.row;
  const out: Record<string, unknown> = {
    id: row.id,
    group_id: row.group_id,
    group_type_id: row.group_type_id,
    status: row.status,
    created_at: renderTimestamp(row.created_at),
    name: row.name,
    description: row.description,
  };
  if (v.version.atLeast(MV.GROUP_GROUPSNAPSHOT_PROJECT_ID) && v.isAdmin) out.project_id = row.project_id;
  return out;
}

export function groupList(v: ViewContext, page: ListPage<GroupRecord>, detail: boolean, listVolumes: boolean): Record<string, unknown> {
  return pagedList(v, 'groups', detail ? 'groups/detail' : 'groups', page, (r) => (detail ? groupDetail(v, r, listVolumes) : groupSummary(r)), 'group_links');
}

export function groupSnapshotList(v: ViewContext, page: ListPage<GroupSnapshotRecord>, detail: boolean): Record<string, unknown> {
  const item = (r: GroupSnapshotRecord) => (detail ? groupSnapshotDetail(v, r) : { id: r.row.id, name: r.row.name });
  return pagedList(v, 'group_snapshots', detail ? 'group_snapshots/detail' : 'group_snapshots', page, item, 'group_snapshot_links');
}
