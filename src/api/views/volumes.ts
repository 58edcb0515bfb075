/*
 * Volume views (cinder/api/v3/views/volumes.py). One detail builder serves show, detail lists, create and
 * update; `adminKeys` decides whether the os-vol-* keys appear (show and detail lists only), so the
 * shapes cannot drift apart.
 */
import { renderTimestamp } from '../../db/time';
import type { VolumeRecord } from '../../services/volume-service';
import { publicStatus } from '../../services/volume-states';
import { MV } from '../microversions';
import { type ViewContext, pagedLists, resourceLinks } from './view-context';

/** Admin metadata keys Cinder shows among `metadata`. */
const VISIBLE_ADMIN_METADATA = ['readonly', 'attached_mode'];

/** Attachments in state `attached` (cinder/api/v2/views/volumes.py _get_attachments); host only for admins. */
function attachmentsView(v: ViewContext, r: VolumeRecord): Record<string, unknown>[] {
  return (r.attachments ?? [])
    .filter((a) => a.attach_status === 'attached')
    .map((a) => ({
      id: a.volume_id,
      attachment_id: a.id,
      volume_id: a.volume_id,
      server_id: a.instance_uuid,
      host_name: v.isAdmin ? a.attached_host : null,
      device: a.mountpoint,
      attached_at: renderTimestamp(a.attach_time),
    }));
}

export function summary(v: ViewContext, r: VolumeRecord): Record<string, unknown> {
  return { id: r.row.id, name: r.row.name, links: resourceLinks(v, 'volumes', r.row.id) };
}

export function detail(v: ViewContext, r: VolumeRecord, opts: { adminKeys: boolean }): Record<string, unknown> {
  const row = r.row;
  const metadata: Record<string, string> = { ...r.metadata };
  for (const key of VISIBLE_ADMIN_METADATA) if (key in r.adminMetadata) metadata[key] = r.adminMetadata[key];
  const out: Record<string, unknown> = {
    id: row.id,
    status: publicStatus(row.status),
    size: row.size,
    availability_zone: row.availability_zone,
    created_at: renderTimestamp(row.created_at),
    updated_at: renderTimestamp(row.updated_at),
    name: row.name,
    description: row.description,
    volume_type: r.typeName,
    snapshot_id: row.snapshot_id,
    source_volid: row.source_volid,
    metadata,
    links: resourceLinks(v, 'volumes', row.id),
    user_id: row.user_id,
    bootable: row.bootable ? 'true' : 'false',
    encrypted: Boolean(row.encrypted),
    replication_status: row.replication_status,
    consistencygroup_id: null,
    multiattach: Boolean(row.multiattach),
    attachments: attachmentsView(v, r),
  };
  if (v.isAdmin) {
    out.migration_status = row.migration_status;
    if (opts.adminKeys) {
      out['os-vol-host-attr:host'] = row.host;
      out['os-vol-mig-status-attr:migstat'] = row.migration_status;
      out['os-vol-mig-status-attr:name_id'] = null;
    }
    if (v.version.atLeast(MV.VOLUME_DETAIL_PROVIDER_ID)) out.provider_id = null;
    if (v.version.atLeast(MV.VOLUME_CLUSTER_NAME)) out.cluster_name = null;
  }
  if (opts.adminKeys && (v.isAdmin || row.project_id === v.projectId)) out['os-vol-tenant-attr:tenant_id'] = row.project_id;
  if (v.version.atLeast(MV.GROUP_VOLUME)) out.group_id = row.group_id;
  if (v.version.atLeast(MV.VOLUME_SHARED_TARGETS_AND_SERVICE_FIELDS)) {
    // The file backend exports no shared targets, so false at every version (no null to translate).
    out.shared_targets = false;
    out.service_uuid = null;
  }
  if (v.version.atLeast(MV.VOLUME_TYPE_ID_IN_VOLUME_DETAIL)) out.volume_type_id = row.volume_type_id;
  if (v.version.atLeast(MV.USE_QUOTA)) out.consumes_quota = Boolean(row.consumes_quota);
  return out;
}

export const { summaryList, detailList } = pagedLists<VolumeRecord>('volumes', summary, (v, r) => detail(v, r, { adminKeys: true }));
