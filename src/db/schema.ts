/*
 * Row types of every table, as Kysely sees them. Column names use the API's names (not Cinder's
 * display_name/display_description), so views copy rather than translate. Timestamps are naive UTC
 * ISO-8601 text with microseconds (see time.ts), identical on every engine; booleans are 0/1 integers.
 * The column groups several tables share (timestamps, soft delete, key/value) are in row-columns.ts.
 */
import type { Generated, Insertable, Selectable, Updateable } from 'kysely';
import type {
  EncryptionTable,
  QosSpecKeysTable,
  QosSpecsTable,
  QuotaClassesTable,
  ServicesTable,
  ClustersTable,
  VolumeTypeProjectsTable,
} from './admin-schema';
import type { BackupMetadataTable, BackupsTable } from './backup-schema';
import type { GroupSnapshotsTable, GroupsTable, GroupTypeSpecsTable, GroupTypesTable, GroupVolumeTypesTable } from './group-schema';
import type { KeyValueColumns, OrderedKeyValueColumns, SoftDeleteColumns } from './row-columns';

export interface VolumesTable extends SoftDeleteColumns {
  id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  attach_status: string;
  availability_zone: string;
  volume_type_id: string;
  snapshot_id: string | null;
  source_volid: string | null;
  bootable: number;
  multiattach: number;
  encrypted: number;
  replication_status: string | null;
  migration_status: string | null;
  host: string | null;
  /** Where the backend keeps the data (the file backend: its file name). */
  provider_location: string | null;
  consumes_quota: number;
  /** The status to return to after a transitional one (extend or retype of an in-use volume). */
  previous_status: string | null;
  /** The generic volume group the volume is in (0007); null: none. */
  group_id: string | null;
}

export interface VolumeMetadataTable extends OrderedKeyValueColumns {
  volume_id: string;
}

export interface VolumeAdminMetadataTable extends KeyValueColumns {
  volume_id: string;
}

export interface VolumeTypesTable extends SoftDeleteColumns {
  id: string;
  name: string;
  description: string | null;
  is_public: number;
  /** The associated QoS specs (migration 0006). */
  qos_specs_id: string | null;
}

export interface VolumeTypeExtraSpecsTable extends KeyValueColumns {
  volume_type_id: string;
}

export interface DefaultTypesTable {
  project_id: string;
  volume_type_id: string;
}

export interface QuotasTable {
  project_id: string;
  resource: string;
  hard_limit: number;
}

export interface QuotaUsagesTable {
  project_id: string;
  resource: string;
  in_use: number;
  reserved: number;
}

/** The durable work queue: one row per storage operation (see src/worker/worker-loop.ts). */
export interface OperationsTable {
  id: string;
  kind: string;
  resource_type: string;
  resource_id: string;
  state: string;
  owner: string | null;
  lease_expires_at: string | null;
  attempts: number;
  payload: string;
  error: string | null;
  created_at: string;
  updated_at: string;
  /** The API request that caused the operation (worker log lines carry it). */
  request_id: string | null;
  /** Worker host (`host@backend#pool`) that must run it: the owner of the storage it touches; null = any (0005). */
  host: string | null;
  /** For an untargeted operation, the backend whose workers may run it; null = any backend (0005). */
  backend: string | null;
  /** Runs that ended with the worker dead under them (or its lease lost), not charged as attempts (0008). */
  interruptions: Generated<number>;
}

export interface SnapshotsTable extends SoftDeleteColumns {
  id: string;
  project_id: string;
  user_id: string;
  volume_id: string;
  name: string | null;
  description: string | null;
  size: number;
  status: string;
  progress: string;
  volume_type_id: string;
  provider_location: string | null;
  consumes_quota: number;
  /** The group snapshot the snapshot was taken in (0007); null: none. */
  group_snapshot_id: string | null;
}

export interface SnapshotMetadataTable extends OrderedKeyValueColumns {
  snapshot_id: string;
}

export interface AttachmentsTable extends SoftDeleteColumns {
  id: string;
  volume_id: string;
  project_id: string;
  instance_uuid: string | null;
  attached_host: string | null;
  mountpoint: string | null;
  /** reserved, attaching, attached, detached, error_attaching, error_detaching */
  attach_status: string;
  attach_mode: string | null;
  /** JSON text */
  connector: string | null;
  /** JSON text */
  connection_info: string | null;
  attach_time: string | null;
  detach_time: string | null;
}

/** User messages (GET /messages): what went wrong in asynchronous work, for the resource's owner. */
export interface MessagesTable {
  id: string;
  project_id: string;
  request_id: string | null;
  resource_type: string;
  resource_uuid: string | null;
  event_id: string;
  message_level: string;
  user_message: string;
  created_at: string;
  expires_at: string;
  deleted: Generated<number>;
}

/** Volume transfers (0004): an offer of a volume to another project, accepted with the auth key. */
export interface TransfersTable extends SoftDeleteColumns {
  id: string;
  volume_id: string;
  name: string | null;
  /** Random salt and SHA-1 HMAC (hex) of the auth key; the key itself is never stored. */
  salt: string;
  crypt_hash: string;
  source_project_id: string;
  destination_project_id: string | null;
  accepted: number;
  no_snapshots: number;
}

export interface Database {
  volumes: VolumesTable;
  volume_metadata: VolumeMetadataTable;
  volume_admin_metadata: VolumeAdminMetadataTable;
  volume_types: VolumeTypesTable;
  volume_type_extra_specs: VolumeTypeExtraSpecsTable;
  default_types: DefaultTypesTable;
  quotas: QuotasTable;
  quota_usages: QuotaUsagesTable;
  operations: OperationsTable;
  snapshots: SnapshotsTable;
  snapshot_metadata: SnapshotMetadataTable;
  attachments: AttachmentsTable;
  messages: MessagesTable;
  backups: BackupsTable;
  backup_metadata: BackupMetadataTable;
  transfers: TransfersTable;
  qos_specs: QosSpecsTable;
  qos_spec_keys: QosSpecKeysTable;
  volume_type_projects: VolumeTypeProjectsTable;
  encryption: EncryptionTable;
  services: ServicesTable;
  clusters: ClustersTable;
  quota_classes: QuotaClassesTable;
  // --- generic volume groups (issue 16) ---
  group_types: GroupTypesTable;
  group_type_specs: GroupTypeSpecsTable;
  groups: GroupsTable;
  group_volume_types: GroupVolumeTypesTable;
  group_snapshots: GroupSnapshotsTable;
}

export type VolumeRow = Selectable<VolumesTable>;
export type NewVolumeRow = Insertable<VolumesTable>;
export type VolumeUpdate = Updateable<VolumesTable>;
export type VolumeTypeRow = Selectable<VolumeTypesTable>;
export type OperationRow = Selectable<OperationsTable>;
export type SnapshotRow = Selectable<SnapshotsTable>;
export type NewSnapshotRow = Insertable<SnapshotsTable>;
export type AttachmentRow = Selectable<AttachmentsTable>;
export type MessageRow = Selectable<MessagesTable>;
export type TransferRow = Selectable<TransfersTable>;
