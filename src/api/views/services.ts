/*
 * Views of the services API (cinder/api/v3/services.py index and update, api-ref samples), os-hosts
 * (cinder/api/contrib/hosts.py), clusters (cinder/api/v3/views/clusters.py) and the workers cleanup
 * (cinder/api/v3/views/workers.py). Tempest's schemas (tempest/lib/api_schema/response/volume/services.py,
 * hosts.py, v3_7/services.py) allow no other keys.
 */
import type { ServiceRow } from '../../db/admin-schema';
import { renderTimestamp } from '../../db/time';
import type { ClusterRecord, HostUsageRecord, LogLevelsRecord, ServiceRecord } from '../../services/service-registry';
import { MV } from '../microversions';
import type { ViewContext } from './view-context';

/** What the list shows as updated_at: the heartbeat, or the last enable/disable when that is newer. */
function lastUpdate(row: ServiceRow): string | null {
  const at = row.modified_at !== null && (row.updated_at === null || row.modified_at > row.updated_at) ? row.modified_at : row.updated_at;
  return renderTimestamp(at);
}

export function serviceList(v: ViewContext, records: ServiceRecord[]): Record<string, unknown> {
  return {
    services: records.map(({ row, up, backendState }) => {
      const out: Record<string, unknown> = {
        binary: row.binary,
        host: row.host,
        zone: row.availability_zone,
        status: row.disabled ? 'disabled' : 'enabled',
        state: up ? 'up' : 'down',
        updated_at: lastUpdate(row),
      };
      if (v.version.atLeast(MV.BACKEND_STATE_REPORT) && row.binary === 'cinder-volume') out.backend_state = backendState;
      if (v.version.atLeast(MV.CLUSTER_SUPPORT)) out.cluster = row.cluster_name;
      out.disabled_reason = row.disabled_reason;
      if (row.binary === 'cinder-volume') {
        out.replication_status = 'disabled';
        out.active_backend_id = null;
        out.frozen = row.frozen === 1;
      }
      return out;
    }),
  };
}

/**
 * The answer of enable, disable and disable-log-reason: the request's host, `service` and `binary` as
 * sent (empty when absent); `disabled_reason` for enable (null) and disable-log-reason, not for disable.
 */
export function serviceUpdate(
  input: { host: string; service?: string; binary?: string },
  disabled: boolean,
  reason?: { disabled_reason: string | null },
): Record<string, unknown> {
  return {
    disabled,
    status: disabled ? 'disabled' : 'enabled',
    host: input.host,
    service: input.service ?? '',
    binary: input.binary ?? '',
    ...(reason ?? {}),
  };
}

export function logLevels(records: LogLevelsRecord[]): Record<string, unknown> {
  return { log_levels: records.map((r) => ({ binary: r.binary, host: r.host, levels: r.levels })) };
}

// --- os-hosts ------------------------------------------------------------------------------------------

export function hostList(records: ServiceRecord[]): Record<string, unknown> {
  return {
    hosts: records.map(({ row, up }) => ({
      host_name: row.host,
      service: row.topic,
      zone: row.availability_zone,
      'service-status': up ? 'available' : 'unavailable',
      'service-state': row.disabled ? 'disabled' : 'enabled',
      'last-update': renderTimestamp(row.updated_at),
    })),
  };
}

/** Counts and sizes as strings, as Cinder's show host renders them. */
export function hostDetail(host: string, records: HostUsageRecord[]): Record<string, unknown> {
  return {
    host: records.map((r) => ({
      resource: {
        host,
        project: r.project,
        volume_count: String(r.volumeCount),
        total_volume_gb: String(r.totalVolumeGb),
        snapshot_count: String(r.snapshotCount),
        total_snapshot_gb: String(r.totalSnapshotGb),
      },
    })),
  };
}

// --- clusters --------------------------------------------------------------------------------------------

export function clusterSummary(v: ViewContext, c: ClusterRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: c.row.name,
    binary: c.row.binary,
    state: c.up ? 'up' : 'down',
    status: c.row.disabled ? 'disabled' : 'enabled',
  };
  if (v.version.atLeast(MV.REPLICATION_CLUSTER)) out.replication_status = 'disabled';
  return out;
}

export function clusterDetail(v: ViewContext, c: ClusterRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ...clusterSummary(v, c),
    num_hosts: c.numHosts,
    num_down_hosts: c.numDownHosts,
    // Cinder's view renders a missing time as ''.
    last_heartbeat: renderTimestamp(c.lastHeartbeat) ?? '',
    created_at: renderTimestamp(c.row.created_at) ?? '',
    updated_at: renderTimestamp(c.row.updated_at) ?? '',
    disabled_reason: c.row.disabled_reason,
  };
  if (v.version.atLeast(MV.REPLICATION_CLUSTER)) Object.assign(out, { frozen: false, active_backend_id: null });
  return out;
}

export function clusterList(v: ViewContext, records: ClusterRecord[], detail: boolean): Record<string, unknown> {
  return { clusters: records.map((c) => (detail ? clusterDetail(v, c) : clusterSummary(v, c))) };
}

// --- workers cleanup -------------------------------------------------------------------------------------

export function cleanup(result: { cleaning: ServiceRow[]; unavailable: ServiceRow[] }): Record<string, unknown> {
  const refs = (rows: ServiceRow[]) => rows.map((s) => ({ id: s.id, host: s.host, binary: s.binary, cluster_name: s.cluster_name }));
  return { cleaning: refs(result.cleaning), unavailable: refs(result.unavailable) };
}
