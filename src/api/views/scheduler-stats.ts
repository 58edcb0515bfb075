/*
 * Pools (cinder/api/views/scheduler_stats.py) and backend capabilities (cinder/api/views/capabilities.py).
 * Pools carry the storage protocol's canonical spelling only, as Cinder's views do.
 */
import type { BackendCapabilities } from '../../services/backend-capabilities';
import type { PoolRecord } from '../../services/scheduler';

export function pools(records: PoolRecord[], detail: boolean): Record<string, unknown> {
  return { pools: records.map((p) => (detail ? { name: p.name, capabilities: p.capabilities } : { name: p.name })) };
}

export function capabilities(topic: string, caps: BackendCapabilities | null): Record<string, unknown> {
  return {
    namespace: `OS::Storage::Capabilities::${topic}`,
    vendor_name: caps?.vendor_name ?? null,
    volume_backend_name: caps?.volume_backend_name ?? null,
    pool_name: null,
    driver_version: caps?.driver_version ?? null,
    storage_protocol: caps?.storage_protocol ?? null,
    display_name: null,
    description: null,
    visibility: null,
    replication_targets: [],
    properties: caps?.properties ?? {},
  };
}
