/*
 * The volume status machine (a subset of Cinder's, docs/design.md), as data shared by the service and the
 * worker. A status change is always a guarded UPDATE ... WHERE status IN (allowed): this table is where
 * "allowed" comes from.
 */

/** Every status Cinder defines (cinder/objects/fields.py VolumeStatus), in Cinder's order. */
export const VOLUME_STATUSES = [
  'creating',
  'available',
  'deleting',
  'error',
  'error_deleting',
  'error_managing',
  'managing',
  'attaching',
  'in-use',
  'detaching',
  'maintenance',
  'restoring-backup',
  'error_restoring',
  'reserved',
  'awaiting-transfer',
  'backing-up',
  'error_backing-up',
  'error_extending',
  'downloading',
  'uploading',
  'retyping',
  'extending',
] as const;
export type VolumeStatus = (typeof VOLUME_STATUSES)[number] | 'reverting' | 'deleted';

/** Statuses from which an operation may start. */
export const ALLOWED_FROM = {
  delete: ['available', 'error', 'error_restoring', 'error_extending', 'error_managing'],
  update: VOLUME_STATUSES.filter((s) => s !== 'maintenance'),
  metadataWrite: VOLUME_STATUSES.filter((s) => s !== 'maintenance' && s !== 'uploading'),
  cloneSource: ['available', 'in-use'],
  // --- volume actions and attachments (cinder/volume/api.py) ---
  /** os-extend; `in-use` only from 3.42 (extendAttached). */
  extend: ['available'],
  extendAttached: ['in-use'],
  retype: ['available', 'in-use'],
  updateReadonly: ['available'],
  /** os-reserve (legacy attach): `in-use` too for multiattach volumes. */
  reserve: ['available'],
  reserveMultiattach: ['available', 'in-use'],
  unreserve: ['attaching'],
  /** os-attach: Cinder refuses only `maintenance`; we also refuse statuses with no usable backing file. */
  attach: ['available', 'attaching', 'reserved', 'in-use'],
  beginDetaching: ['in-use'],
  rollDetaching: ['detaching'],
  /** POST /attachments (a new reservation): `in-use` too for multiattach volumes. */
  attachmentReserve: ['available', 'downloading'],
  attachmentReserveMultiattach: ['available', 'in-use', 'downloading'],
  /** Statuses that follow the attachments when one is removed (others belong to a running operation). */
  followsAttachments: ['available', 'reserved', 'attaching', 'in-use', 'detaching'],
} as const satisfies Record<string, readonly string[]>;

/** Attach statuses `os-reset_status` accepts (cinder/api/validation/validators.py). */
export const RESETTABLE_ATTACH_STATUSES = ['attached', 'detached'] as const;
/** Cinder's VolumeMigrationStatus.ALL, in Cinder's order. */
export const MIGRATION_STATUSES = ['migrating', 'error', 'success', 'completing', 'none', 'starting'] as const;

/** Internal statuses are shown to clients under public names (cinder/api/v2/views/volumes.py). */
export function publicStatus(status: string): string {
  switch (status) {
    case 'managing':
      return 'creating';
    case 'error_managing':
      return 'error';
    case 'error_managing_deleting':
      return 'deleting';
    default:
      return status;
  }
}

/** Cinder's exact refusal text for DELETE (cinder/volume/api.py). */
export const DELETE_REFUSED_REASON =
  'Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.';

// --- snapshots (cinder/objects/fields.py SnapshotStatus; cinder/volume/api.py) ---

/** Every snapshot status Cinder defines, in Cinder's order (`os-reset_status` accepts these). */
export const SNAPSHOT_STATUSES = [
  'error',
  'available',
  'creating',
  'deleting',
  'deleted',
  'updating',
  'error_deleting',
  'unmanaging',
  'backing-up',
  'restoring',
] as const;
export type SnapshotStatus = (typeof SNAPSHOT_STATUSES)[number];

/** Statuses from which a snapshot operation (or a volume operation about snapshots) may start. */
export const SNAPSHOT_ALLOWED_FROM = {
  /** DELETE /snapshots/{id} (os-force_delete skips it). */
  delete: ['available', 'error'],
  /** A volume's status for POST /snapshots: in-use needs `force` (or 3.66+). */
  snapshotVolume: ['available'],
  snapshotVolumeInUse: ['available', 'in-use'],
  /** `snapshot_id` on volume create. */
  createVolumeFrom: ['available'],
  /** The snapshots of a volume deleted with `cascade` (without `force`). */
  cascadeDelete: ['available', 'error'],
  /** revert (3.40): the volume, and its latest snapshot. */
  revertVolume: ['available'],
  revertSnapshot: ['available'],
} as const satisfies Record<string, readonly string[]>;

/** os-update_snapshot_status: the transitions allowed from each current status (snapshot_actions.py). */
export const SNAPSHOT_STATUS_UPDATES: Record<string, readonly string[]> = {
  creating: ['creating', 'available', 'error'],
  deleting: ['deleting', 'error_deleting'],
};

/** A migration status that means "not migrating now" (cinder/volume/api.py AVAILABLE_MIGRATION_STATUS). */
export const NOT_MIGRATING: readonly (string | null)[] = [null, 'deleting', 'error', 'success'];
