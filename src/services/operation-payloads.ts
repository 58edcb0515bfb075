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
  | 'migrate_volume'
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
  /** Issue 16: the pool the volume moves to because its own cannot serve the new type (`on-demand`). */
  migrate_to?: string | null;
  /** Why the retype cannot be done (it needs a migration that is not allowed, or no pool can take it). */
  refused?: string | null;
}

/**
 * migrate_volume (issue 16), in phases, each its own operation on the worker that can do it:
 * - `copy` (source host): copies the volume's data to the destination backend when it is on this host,
 *   else into the staging area of the shared backup storage;
 * - `receive` (destination host): copies the staged data into the destination backend;
 * - after a verified copy, one transaction moves the volume (host, and the new type of a retype) and
 *   queues `cleanup` (source host), which deletes the source data;
 * - `discard` (destination host): a failed migration's copy is deleted there.
 */
export interface MigrateVolumePayload {
  phase: 'copy' | 'receive' | 'cleanup' | 'discard';
  source_host: string;
  dest_host: string;
  /** Staged copy (file name in the staging area) for a move between hosts. */
  staged?: string | null;
  /** The retype this migration carries out, if any. */
  retype?: RetypeVolumePayload | null;
}

export interface RestoreBackupPayload {
  backup_id: string;
}
