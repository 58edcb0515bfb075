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
} as const satisfies Record<string, readonly string[]>;

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
