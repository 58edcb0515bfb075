/* The handler of every operation kind (services/operation-payloads.ts): the worker dispatches here. */
import { createVolume } from './create-volume';
import { deleteVolume } from './delete-volume';
import { createSnapshot } from './create-snapshot';
import { deleteSnapshot } from './delete-snapshot';
import { revertVolume } from './revert-volume';
import { extendVolume } from './extend-volume';
import { retypeVolume } from './retype-volume';
import { migrateVolume } from './migrate-volume';
import { createBackup, deleteBackup, importBackup, restoreBackup } from './backups';
import { createGroup, createGroupFromSource, createGroupSnapshot, deleteGroup, deleteGroupSnapshot } from './groups';
import type { OperationKind } from '../../services/operation-payloads';
import type { OperationHandler } from './types';

export const OPERATION_HANDLERS: Record<OperationKind, OperationHandler> = {
  create_volume: createVolume,
  delete_volume: deleteVolume,
  create_snapshot: createSnapshot,
  delete_snapshot: deleteSnapshot,
  revert_volume: revertVolume,
  extend_volume: extendVolume,
  retype_volume: retypeVolume,
  migrate_volume: migrateVolume,
  create_backup: createBackup,
  delete_backup: deleteBackup,
  restore_backup: restoreBackup,
  import_backup: importBackup,
  // --- generic volume groups (issue 16) ---
  create_group: createGroup,
  create_group_from_src: createGroupFromSource,
  delete_group: deleteGroup,
  create_group_snapshot: createGroupSnapshot,
  delete_group_snapshot: deleteGroupSnapshot,
};
