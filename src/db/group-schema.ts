/*
 * Row types of the generic-volume-group tables (migration 0007-groups). Kept beside schema.ts, which
 * lists them in `Database`.
 */
import type { Selectable } from 'kysely';
import type { KeyValueColumns, SoftDeleteColumns } from './row-columns';

export interface GroupTypesTable extends SoftDeleteColumns {
  id: string;
  name: string;
  description: string | null;
  is_public: number;
}
export type GroupTypeRow = Selectable<GroupTypesTable>;

export interface GroupTypeSpecsTable extends KeyValueColumns {
  group_type_id: string;
}

export interface GroupsTable extends SoftDeleteColumns {
  id: string;
  project_id: string;
  user_id: string;
  name: string | null;
  description: string | null;
  /** creating, available, updating, deleting, error, error_deleting, in-use (Cinder's GroupStatus). */
  status: string;
  availability_zone: string;
  group_type_id: string;
  /** The worker host (`host@backend#pool`) the group was placed on; null until then. */
  host: string | null;
  group_snapshot_id: string | null;
  source_group_id: string | null;
  replication_status: string | null;
}
export type GroupRow = Selectable<GroupsTable>;

/** The volume types a group allows, in the order the create named them. */
export interface GroupVolumeTypesTable {
  group_id: string;
  volume_type_id: string;
  position: number;
}

export interface GroupSnapshotsTable extends SoftDeleteColumns {
  id: string;
  project_id: string;
  user_id: string;
  group_id: string;
  group_type_id: string;
  name: string | null;
  description: string | null;
  status: string;
}
export type GroupSnapshotRow = Selectable<GroupSnapshotsTable>;
