/*
 * Row types of the admin-surface tables (migration 0006-admin-surface). Kept beside schema.ts, which
 * lists them in `Database`.
 */
import type { Generated, Selectable } from 'kysely';
import type { SoftDeleteColumns, Timestamps } from './row-columns';

export interface QosSpecsTable extends SoftDeleteColumns {
  id: string;
  name: string;
  /** `front-end`, `back-end` or `both`: who enforces the limits. */
  consumer: string;
}
export type QosSpecsRow = Selectable<QosSpecsTable>;

export interface QosSpecKeysTable {
  qos_specs_id: string;
  key: string;
  value: string | null;
}

/** The projects that may use a private volume type. */
export interface VolumeTypeProjectsTable {
  volume_type_id: string;
  project_id: string;
  created_at: string;
}

export interface EncryptionTable extends SoftDeleteColumns {
  encryption_id: string;
  volume_type_id: string;
  provider: string;
  control_location: string;
  cipher: string | null;
  key_size: number | null;
}
export type EncryptionRow = Selectable<EncryptionTable>;

export interface ServicesTable extends Timestamps {
  /** Cinder's integer service id (workers cleanup); assigned at the first heartbeat. */
  id: number;
  host: string;
  binary: string;
  topic: string;
  availability_zone: string;
  cluster_name: string | null;
  disabled: Generated<number>;
  disabled_reason: string | null;
  frozen: Generated<number>;
  report_count: Generated<number>;
  /** cinder-volume: the backend's published capabilities (JSON of BackendCapabilities). */
  capabilities: string | null;
  /** The log level set-log asked for (DEBUG, INFO, WARNING, ERROR); null: the configured one. */
  log_level: string | null;
  /** The levels the reporting process runs with (JSON {logger: LEVEL}). */
  reported_log_levels: string | null;
  /** The last enable/disable (updated_at is the last heartbeat). */
  modified_at: string | null;
}
export type ServiceRow = Selectable<ServicesTable>;

/** A cluster (3.7): the services of one binary that share a cluster_name. */
export interface ClustersTable extends Timestamps {
  id: number;
  name: string;
  binary: string;
  disabled: Generated<number>;
  disabled_reason: string | null;
}
export type ClusterRow = Selectable<ClustersTable>;

export interface QuotaClassesTable {
  class_name: string;
  resource: string;
  hard_limit: number;
}
