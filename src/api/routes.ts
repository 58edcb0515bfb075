/*
 * The whole route table. Each route has a CamelCase name (audit records, metrics, docs/api.md), a
 * method, a path relative to /v3 (registered both with and without `{project_id}`, as Cinder does unless
 * `projectPath: false`), a minimum microversion when the route is gated, and its handler.
 */
import type { Request, Response } from 'restify';
import type { ApiDeps } from './deps';
import { MV, type ApiVersion } from './microversions';
import { attachmentController } from './controllers/attachments';
import { availabilityZoneController } from './controllers/availability-zones';
import { messageController } from './controllers/messages';
import { quotaController } from './controllers/quotas';
import { snapshotMetadataController } from './controllers/snapshot-metadata';
import { snapshotController } from './controllers/snapshots';
import { backupController } from './controllers/backups';
import { transferController } from './controllers/transfers';
import { volumeActionController } from './controllers/volume-actions';
import { volumeMetadataController } from './controllers/volume-metadata';
import { volumeTypeController } from './controllers/volume-types';
import { volumeController } from './controllers/volumes';

export type Method = 'get' | 'post' | 'put' | 'del';

export interface RouteDef {
  name: string;
  method: Method;
  /** Path under /v3 (or /v3/{project_id}), starting with '/'. */
  path: string;
  handler: (req: Request, res: Response) => Promise<void>;
  minVersion?: ApiVersion;
  /** False for routes Cinder serves only without a project id (default-types). */
  projectPath?: boolean;
}

export function apiRoutes(deps: ApiDeps): RouteDef[] {
  const volumes = volumeController(deps);
  const metadata = volumeMetadataController(deps);
  const types = volumeTypeController(deps);
  const quotas = quotaController(deps);
  const zones = availabilityZoneController(deps);
  const volumeActions = volumeActionController(deps);
  const attachments = attachmentController(deps);
  const snapshots = snapshotController(deps);
  const backups = backupController(deps);
  const snapshotMetadata = snapshotMetadataController(deps);
  const messages = messageController(deps);
  const transfers = transferController(deps, { legacy: false });
  const legacyTransfers = transferController(deps, { legacy: true });

  return [
    { name: 'ListVolumes', method: 'get', path: '/volumes', handler: volumes.listSummary },
    { name: 'ListVolumesDetail', method: 'get', path: '/volumes/detail', handler: volumes.listDetail },
    { name: 'GetVolumesSummary', method: 'get', path: '/volumes/summary', handler: volumes.summary, minVersion: MV.VOLUME_SUMMARY },
    { name: 'CreateVolume', method: 'post', path: '/volumes', handler: volumes.create },
    { name: 'GetVolume', method: 'get', path: '/volumes/:volume_id', handler: volumes.show },
    { name: 'UpdateVolume', method: 'put', path: '/volumes/:volume_id', handler: volumes.update },
    { name: 'DeleteVolume', method: 'del', path: '/volumes/:volume_id', handler: volumes.remove },

    { name: 'ListVolumeMetadata', method: 'get', path: '/volumes/:volume_id/metadata', handler: metadata.list },
    { name: 'CreateVolumeMetadata', method: 'post', path: '/volumes/:volume_id/metadata', handler: metadata.create },
    { name: 'ReplaceVolumeMetadata', method: 'put', path: '/volumes/:volume_id/metadata', handler: metadata.replace },
    { name: 'GetVolumeMetadataKey', method: 'get', path: '/volumes/:volume_id/metadata/:key', handler: metadata.showKey },
    { name: 'UpdateVolumeMetadataKey', method: 'put', path: '/volumes/:volume_id/metadata/:key', handler: metadata.updateKey },
    { name: 'DeleteVolumeMetadataKey', method: 'del', path: '/volumes/:volume_id/metadata/:key', handler: metadata.deleteKey },

    { name: 'ListVolumeTypes', method: 'get', path: '/types', handler: types.list },
    { name: 'CreateVolumeType', method: 'post', path: '/types', handler: types.create },
    { name: 'GetVolumeType', method: 'get', path: '/types/:type_id', handler: types.show },
    { name: 'UpdateVolumeType', method: 'put', path: '/types/:type_id', handler: types.update },
    { name: 'DeleteVolumeType', method: 'del', path: '/types/:type_id', handler: types.remove },
    { name: 'ListVolumeTypeExtraSpecs', method: 'get', path: '/types/:type_id/extra_specs', handler: types.listExtraSpecs },
    { name: 'CreateVolumeTypeExtraSpecs', method: 'post', path: '/types/:type_id/extra_specs', handler: types.createExtraSpecs },
    { name: 'GetVolumeTypeExtraSpec', method: 'get', path: '/types/:type_id/extra_specs/:key', handler: types.showExtraSpec },
    { name: 'UpdateVolumeTypeExtraSpec', method: 'put', path: '/types/:type_id/extra_specs/:key', handler: types.updateExtraSpec },
    { name: 'DeleteVolumeTypeExtraSpec', method: 'del', path: '/types/:type_id/extra_specs/:key', handler: types.deleteExtraSpec },

    {
      name: 'ListDefaultTypes',
      method: 'get',
      path: '/default-types',
      handler: types.listDefaults,
      minVersion: MV.VOLUME_TYPE_DEFAULT_OVERRIDES,
      projectPath: false,
    },
    {
      name: 'GetDefaultType',
      method: 'get',
      path: '/default-types/:target_project_id',
      handler: types.showDefault,
      minVersion: MV.VOLUME_TYPE_DEFAULT_OVERRIDES,
      projectPath: false,
    },
    {
      name: 'SetDefaultType',
      method: 'put',
      path: '/default-types/:target_project_id',
      handler: types.setDefault,
      minVersion: MV.VOLUME_TYPE_DEFAULT_OVERRIDES,
      projectPath: false,
    },
    {
      name: 'UnsetDefaultType',
      method: 'del',
      path: '/default-types/:target_project_id',
      handler: types.unsetDefault,
      minVersion: MV.VOLUME_TYPE_DEFAULT_OVERRIDES,
      projectPath: false,
    },

    // --- snapshots and snapshot metadata (issue 4) ---
    { name: 'ListSnapshots', method: 'get', path: '/snapshots', handler: snapshots.listSummary },
    { name: 'ListSnapshotsDetail', method: 'get', path: '/snapshots/detail', handler: snapshots.listDetail },
    { name: 'CreateSnapshot', method: 'post', path: '/snapshots', handler: snapshots.create },
    { name: 'GetSnapshot', method: 'get', path: '/snapshots/:snapshot_id', handler: snapshots.show },
    { name: 'UpdateSnapshot', method: 'put', path: '/snapshots/:snapshot_id', handler: snapshots.update },
    { name: 'DeleteSnapshot', method: 'del', path: '/snapshots/:snapshot_id', handler: snapshots.remove },
    { name: 'SnapshotAction', method: 'post', path: '/snapshots/:snapshot_id/action', handler: snapshots.action },
    { name: 'ListSnapshotMetadata', method: 'get', path: '/snapshots/:snapshot_id/metadata', handler: snapshotMetadata.list },
    { name: 'CreateSnapshotMetadata', method: 'post', path: '/snapshots/:snapshot_id/metadata', handler: snapshotMetadata.create },
    { name: 'ReplaceSnapshotMetadata', method: 'put', path: '/snapshots/:snapshot_id/metadata', handler: snapshotMetadata.replace },
    { name: 'GetSnapshotMetadataKey', method: 'get', path: '/snapshots/:snapshot_id/metadata/:key', handler: snapshotMetadata.showKey },
    { name: 'UpdateSnapshotMetadataKey', method: 'put', path: '/snapshots/:snapshot_id/metadata/:key', handler: snapshotMetadata.updateKey },
    { name: 'DeleteSnapshotMetadataKey', method: 'del', path: '/snapshots/:snapshot_id/metadata/:key', handler: snapshotMetadata.deleteKey },

    // --- backups ---
    { name: 'ListBackups', method: 'get', path: '/backups', handler: backups.listSummary },
    { name: 'ListBackupsDetail', method: 'get', path: '/backups/detail', handler: backups.listDetail },
    { name: 'CreateBackup', method: 'post', path: '/backups', handler: backups.create },
    { name: 'ImportBackupRecord', method: 'post', path: '/backups/import_record', handler: backups.importRecord },
    { name: 'GetBackup', method: 'get', path: '/backups/:backup_id', handler: backups.show },
    { name: 'UpdateBackup', method: 'put', path: '/backups/:backup_id', handler: backups.update, minVersion: MV.BACKUP_UPDATE },
    { name: 'DeleteBackup', method: 'del', path: '/backups/:backup_id', handler: backups.remove },
    { name: 'RestoreBackup', method: 'post', path: '/backups/:backup_id/restore', handler: backups.restore },
    { name: 'ExportBackupRecord', method: 'get', path: '/backups/:backup_id/export_record', handler: backups.exportRecord },
    { name: 'BackupAction', method: 'post', path: '/backups/:backup_id/action', handler: backups.action },

    // --- volume actions and attachments (issue 4) ---
    { name: 'VolumeAction', method: 'post', path: '/volumes/:volume_id/action', handler: volumeActions.action },
    { name: 'ListAttachments', method: 'get', path: '/attachments', handler: attachments.listSummary, minVersion: MV.NEW_ATTACH },
    { name: 'ListAttachmentsDetail', method: 'get', path: '/attachments/detail', handler: attachments.listDetail, minVersion: MV.NEW_ATTACH },
    { name: 'CreateAttachment', method: 'post', path: '/attachments', handler: attachments.create, minVersion: MV.NEW_ATTACH },
    { name: 'GetAttachment', method: 'get', path: '/attachments/:attachment_id', handler: attachments.show, minVersion: MV.NEW_ATTACH },
    { name: 'UpdateAttachment', method: 'put', path: '/attachments/:attachment_id', handler: attachments.update, minVersion: MV.NEW_ATTACH },
    { name: 'DeleteAttachment', method: 'del', path: '/attachments/:attachment_id', handler: attachments.remove, minVersion: MV.NEW_ATTACH },
    // Not gated here: an unknown action is 400 at any version; os-complete checks 3.44 itself.
    { name: 'AttachmentAction', method: 'post', path: '/attachments/:attachment_id/action', handler: attachments.action },

    // --- user messages (issue 4) ---
    { name: 'ListMessages', method: 'get', path: '/messages', handler: messages.list, minVersion: MV.MESSAGES },
    { name: 'GetMessage', method: 'get', path: '/messages/:message_id', handler: messages.show, minVersion: MV.MESSAGES },
    { name: 'DeleteMessage', method: 'del', path: '/messages/:message_id', handler: messages.remove, minVersion: MV.MESSAGES },

    // --- volume transfers: both paths at every microversion (no gate); links say os-volume-transfer ---
    { name: 'ListVolumeTransfersLegacy', method: 'get', path: '/os-volume-transfer', handler: legacyTransfers.listSummary },
    { name: 'ListVolumeTransfersDetailLegacy', method: 'get', path: '/os-volume-transfer/detail', handler: legacyTransfers.listDetail },
    { name: 'CreateVolumeTransferLegacy', method: 'post', path: '/os-volume-transfer', handler: legacyTransfers.create },
    { name: 'GetVolumeTransferLegacy', method: 'get', path: '/os-volume-transfer/:transfer_id', handler: legacyTransfers.show },
    { name: 'AcceptVolumeTransferLegacy', method: 'post', path: '/os-volume-transfer/:transfer_id/accept', handler: legacyTransfers.accept },
    { name: 'DeleteVolumeTransferLegacy', method: 'del', path: '/os-volume-transfer/:transfer_id', handler: legacyTransfers.remove },
    { name: 'ListVolumeTransfers', method: 'get', path: '/volume-transfers', handler: transfers.listSummary },
    { name: 'ListVolumeTransfersDetail', method: 'get', path: '/volume-transfers/detail', handler: transfers.listDetail },
    { name: 'CreateVolumeTransfer', method: 'post', path: '/volume-transfers', handler: transfers.create },
    { name: 'GetVolumeTransfer', method: 'get', path: '/volume-transfers/:transfer_id', handler: transfers.show },
    { name: 'AcceptVolumeTransfer', method: 'post', path: '/volume-transfers/:transfer_id/accept', handler: transfers.accept },
    { name: 'DeleteVolumeTransfer', method: 'del', path: '/volume-transfers/:transfer_id', handler: transfers.remove },

    { name: 'ListAvailabilityZones', method: 'get', path: '/os-availability-zone', handler: zones.list },
    { name: 'GetLimits', method: 'get', path: '/limits', handler: quotas.limits },
    { name: 'GetQuotaSet', method: 'get', path: '/os-quota-sets/:target_project_id', handler: quotas.show },
    { name: 'GetQuotaSetDefaults', method: 'get', path: '/os-quota-sets/:target_project_id/defaults', handler: quotas.defaults },
    { name: 'UpdateQuotaSet', method: 'put', path: '/os-quota-sets/:target_project_id', handler: quotas.update },
    { name: 'DeleteQuotaSet', method: 'del', path: '/os-quota-sets/:target_project_id', handler: quotas.reset },
  ];
}
