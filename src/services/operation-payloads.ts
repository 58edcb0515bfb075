/*
 * The contract between the services that enqueue work and the worker that runs it: the operation kinds
 * and the payload each kind carries in its operations row.
 */
export type OperationKind =
  | 'create_volume'
  | 'delete_volume'
  | 'create_snapshot'
  | 'delete_snapshot'
  | 'revert_volume'
  | 'extend_volume'
  | 'retype_volume'
  | 'create_backup'
  | 'delete_backup'
  | 'restore_backup'
  | 'import_backup'
  // --- generic volume groups (issue 16): resource `group` or `group_snapshot`, no payload ---
  | 'create_group'
  | 'create_group_from_src'
  | 'delete_group'
  | 'create_group_snapshot'
  | 'delete_group_snapshot';

export interface CreateVolumePayload {
  source_volid?: string;
  snapshot_id?: string;
}

export interface ExtendVolumePayload {
  new_size: number;
  old_size: number;
  /** Whose quota and which per-type keys paid for the increase (the type cannot change while extending). */
  project_id: string;
  type_name: string;
  consumes_quota: boolean;
}

export interface RevertVolumePayload {
  snapshot_id: string;
}

export interface RetypeVolumePayload {
  new_type_id: string;
  new_type_name: string;
  old_type_name: string;
  /** The size the new type's keys were charged for. */
  size: number;
  multiattach: boolean;
  migration_policy: string | null;
  project_id: string;
  consumes_quota: boolean;
}

export interface RestoreBackupPayload {
  backup_id: string;
}
