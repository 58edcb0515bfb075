/*
 * The whole route table. Each route has a CamelCase name (audit records, metrics, docs/api.md), a
 * method, a path relative to /v3 (registered both with and without `{project_id}`, as Cinder does unless
 * `projectPath: false`), a minimum microversion when the route is gated, and its handler. Collections
 * and metadata, whose routes Cinder names and lays out alike, come from `collectionRoutes` and
 * `metadataRoutes`.
 */
import type { Request, Response } from 'restify';
import type { ApiDeps } from './deps';
import { MV, type ApiVersion } from './microversions';
import { attachmentController } from './controllers/attachments';
import { availabilityZoneController } from './controllers/availability-zones';
import { messageController } from './controllers/messages';
import { metadataController } from './controllers/metadata';
import { quotaController } from './controllers/quotas';
import { snapshotController } from './controllers/snapshots';
import { backupController } from './controllers/backups';
import { transferController } from './controllers/transfers';
import { volumeActionController } from './controllers/volume-actions';
import { volumeTypeController } from './controllers/volume-types';
import { qosSpecController } from './controllers/qos-specs';
import { encryptionTypeController } from './controllers/encryption-types';
import { volumeController } from './controllers/volumes';
import { extensionController } from './controllers/extensions';
import { quotaClassController } from './controllers/quota-classes';
import { resourceFilterController } from './controllers/resource-filters';
import { serviceController } from './controllers/services';
import { schedulerStatsController } from './controllers/scheduler-stats';
import { hostController } from './controllers/hosts';
import { clusterController } from './controllers/clusters';
import { groupTypeController } from './controllers/group-types';
import { groupController, groupSnapshotController } from './controllers/groups';

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

type Handler = RouteDef['handler'];

/** What a collection's controller serves; `update` where the resource has it. */
interface CollectionHandlers {
  listSummary: Handler;
  listDetail: Handler;
  create: Handler;
  show: Handler;
  update?: Handler;
  /** Absent for groups, which Cinder deletes by an action. */
  remove?: Handler;
}

/**
 * A collection's routes in Cinder's names: List<Many>, List<Many>Detail, Create<One>, Get<One>,
 * Update<One> (when served) and Delete<One>, each name ending in `suffix`. `minVersion` gates them all,
 * `updateSince` the update alone.
 */
function collectionRoutes(
  names: { one: string; many: string; suffix?: string },
  path: string,
  idParam: string,
  c: CollectionHandlers,
  gates: { minVersion?: ApiVersion; updateSince?: ApiVersion } = {},
): RouteDef[] {
  const { one, many, suffix = '' } = names;
  const item = `${path}/:${idParam}`;
  const gate = (since: ApiVersion | undefined) => (since ? { minVersion: since } : {});
  const all = gate(gates.minVersion);
  const update: RouteDef[] = c.update
    ? [{ name: `Update${one}${suffix}`, method: 'put', path: item, handler: c.update, ...gate(gates.updateSince ?? gates.minVersion) }]
    : [];
  const remove: RouteDef[] = c.remove ? [{ name: `Delete${one}${suffix}`, method: 'del', path: item, handler: c.remove, ...all }] : [];
  return [
    { name: `List${many}${suffix}`, method: 'get', path, handler: c.listSummary, ...all },
    { name: `List${many}Detail${suffix}`, method: 'get', path: `${path}/detail`, handler: c.listDetail, ...all },
    { name: `Create${one}${suffix}`, method: 'post', path, handler: c.create, ...all },
    { name: `Get${one}${suffix}`, method: 'get', path: item, handler: c.show, ...all },
    ...update,
    ...remove,
  ];
}

/** A resource's metadata routes under `item` (`/volumes/:volume_id`), named after `one` (`Volume`). */
function metadataRoutes(one: string, item: string, c: ReturnType<typeof metadataController>): RouteDef[] {
  return [
    { name: `List${one}Metadata`, method: 'get', path: `${item}/metadata`, handler: c.list },
    { name: `Create${one}Metadata`, method: 'post', path: `${item}/metadata`, handler: c.create },
    { name: `Replace${one}Metadata`, method: 'put', path: `${item}/metadata`, handler: c.replace },
    { name: `Get${one}MetadataKey`, method: 'get', path: `${item}/metadata/:key`, handler: c.showKey },
    { name: `Update${one}MetadataKey`, method: 'put', path: `${item}/metadata/:key`, handler: c.updateKey },
    { name: `Delete${one}MetadataKey`, method: 'del', path: `${item}/metadata/:key`, handler: c.deleteKey },
  ];
}

export function apiRoutes(deps: ApiDeps): RouteDef[] {
  const volumes = volumeController(deps);
  const types = volumeTypeController(deps);
  const qos = qosSpecController(deps);
  const encryption = encryptionTypeController(deps);
  const quotas = quotaController(deps);
  const zones = availabilityZoneController(deps);
  const volumeActions = volumeActionController(deps);
  const attachments = attachmentController(deps);
  const snapshots = snapshotController(deps);
  const backups = backupController(deps);
  const messages = messageController(deps);
  const transfers = transferController(deps, { legacy: false });
  const legacyTransfers = transferController(deps, { legacy: true });
  const quotaClasses = quotaClassController(deps);
  const filters = resourceFilterController();
  const services = serviceController(deps);
  const schedulerStats = schedulerStatsController(deps);
  const hosts = hostController(deps);
  const clusters = clusterController(deps);
  const groupTypes = groupTypeController(deps);
  const groups = groupController(deps);
  const groupSnapshots = groupSnapshotController(deps);
  // The extension list says which of Cinder's extensions this table serves.
  const extensions = extensionController(() => routes);

  const routes: RouteDef[] = [
    ...collectionRoutes({ one: 'Volume', many: 'Volumes' }, '/volumes', 'volume_id', volumes),
    { name: 'GetVolumesSummary', method: 'get', path: '/volumes/summary', handler: volumes.summary, minVersion: MV.VOLUME_SUMMARY },
    ...metadataRoutes('Volume', '/volumes/:volume_id', metadataController(deps.volumes.metadata, 'volume_id', { etag: true })),

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

    // --- volume type access, QoS specs, encryption types (issue 15): extensions, every microversion, admin ---
    { name: 'ListVolumeTypeAccess', method: 'get', path: '/types/:type_id/os-volume-type-access', handler: types.listAccess },
    { name: 'VolumeTypeAction', method: 'post', path: '/types/:type_id/action', handler: types.action },
    { name: 'GetVolumeTypeEncryption', method: 'get', path: '/types/:type_id/encryption', handler: encryption.show },
    { name: 'CreateVolumeTypeEncryption', method: 'post', path: '/types/:type_id/encryption', handler: encryption.create },
    { name: 'GetVolumeTypeEncryptionKey', method: 'get', path: '/types/:type_id/encryption/:key', handler: encryption.showKey },
    { name: 'UpdateVolumeTypeEncryption', method: 'put', path: '/types/:type_id/encryption/:key', handler: encryption.update },
    { name: 'DeleteVolumeTypeEncryption', method: 'del', path: '/types/:type_id/encryption/:key', handler: encryption.remove },
    { name: 'ListQosSpecs', method: 'get', path: '/qos-specs', handler: qos.list },
    { name: 'CreateQosSpecs', method: 'post', path: '/qos-specs', handler: qos.create },
    { name: 'GetQosSpecs', method: 'get', path: '/qos-specs/:qos_id', handler: qos.show },
    { name: 'SetQosSpecsKeys', method: 'put', path: '/qos-specs/:qos_id', handler: qos.update },
    { name: 'DeleteQosSpecs', method: 'del', path: '/qos-specs/:qos_id', handler: qos.remove },
    { name: 'DeleteQosSpecsKeys', method: 'put', path: '/qos-specs/:qos_id/delete_keys', handler: qos.deleteKeys },
    { name: 'ListQosSpecsAssociations', method: 'get', path: '/qos-specs/:qos_id/associations', handler: qos.associations },
    { name: 'AssociateQosSpecs', method: 'get', path: '/qos-specs/:qos_id/associate', handler: qos.associate },
    { name: 'DisassociateQosSpecs', method: 'get', path: '/qos-specs/:qos_id/disassociate', handler: qos.disassociate },
    { name: 'DisassociateAllQosSpecs', method: 'get', path: '/qos-specs/:qos_id/disassociate_all', handler: qos.disassociateAll },

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
    ...collectionRoutes({ one: 'Snapshot', many: 'Snapshots' }, '/snapshots', 'snapshot_id', snapshots),
    { name: 'SnapshotAction', method: 'post', path: '/snapshots/:snapshot_id/action', handler: snapshots.action },
    // No ETag or If-Match: Cinder's snapshot metadata API has neither.
    ...metadataRoutes('Snapshot', '/snapshots/:snapshot_id', metadataController(deps.snapshots.metadata, 'snapshot_id', { etag: false })),

    // --- backups ---
    ...collectionRoutes({ one: 'Backup', many: 'Backups' }, '/backups', 'backup_id', backups, { updateSince: MV.BACKUP_UPDATE }),
    { name: 'ImportBackupRecord', method: 'post', path: '/backups/import_record', handler: backups.importRecord },
    { name: 'RestoreBackup', method: 'post', path: '/backups/:backup_id/restore', handler: backups.restore },
    { name: 'ExportBackupRecord', method: 'get', path: '/backups/:backup_id/export_record', handler: backups.exportRecord },
    { name: 'BackupAction', method: 'post', path: '/backups/:backup_id/action', handler: backups.action },

    // --- volume actions and attachments (issue 4) ---
    { name: 'VolumeAction', method: 'post', path: '/volumes/:volume_id/action', handler: volumeActions.action },
    ...collectionRoutes({ one: 'Attachment', many: 'Attachments' }, '/attachments', 'attachment_id', attachments, { minVersion: MV.NEW_ATTACH }),
    // Not gated here: an unknown action is 400 at any version; os-complete checks 3.44 itself.
    { name: 'AttachmentAction', method: 'post', path: '/attachments/:attachment_id/action', handler: attachments.action },

    // --- user messages (issue 4) ---
    { name: 'ListMessages', method: 'get', path: '/messages', handler: messages.list, minVersion: MV.MESSAGES },
    { name: 'GetMessage', method: 'get', path: '/messages/:message_id', handler: messages.show, minVersion: MV.MESSAGES },
    { name: 'DeleteMessage', method: 'del', path: '/messages/:message_id', handler: messages.remove, minVersion: MV.MESSAGES },

    // --- volume transfers: both paths at every microversion (no gate); links say os-volume-transfer ---
    ...collectionRoutes({ one: 'VolumeTransfer', many: 'VolumeTransfers', suffix: 'Legacy' }, '/os-volume-transfer', 'transfer_id', legacyTransfers),
    { name: 'AcceptVolumeTransferLegacy', method: 'post', path: '/os-volume-transfer/:transfer_id/accept', handler: legacyTransfers.accept },
    ...collectionRoutes({ one: 'VolumeTransfer', many: 'VolumeTransfers' }, '/volume-transfers', 'transfer_id', transfers),
    { name: 'AcceptVolumeTransfer', method: 'post', path: '/volume-transfers/:transfer_id/accept', handler: transfers.accept },

    { name: 'ListAvailabilityZones', method: 'get', path: '/os-availability-zone', handler: zones.list },
    { name: 'GetLimits', method: 'get', path: '/limits', handler: quotas.limits },
    { name: 'GetQuotaSet', method: 'get', path: '/os-quota-sets/:target_project_id', handler: quotas.show },
    { name: 'GetQuotaSetDefaults', method: 'get', path: '/os-quota-sets/:target_project_id/defaults', handler: quotas.defaults },
    { name: 'UpdateQuotaSet', method: 'put', path: '/os-quota-sets/:target_project_id', handler: quotas.update },
    { name: 'DeleteQuotaSet', method: 'del', path: '/os-quota-sets/:target_project_id', handler: quotas.reset },

    // --- extensions, resource filters, quota classes (issue 15) ---
    { name: 'ListExtensions', method: 'get', path: '/extensions', handler: extensions.list },
    { name: 'GetExtension', method: 'get', path: '/extensions/:alias', handler: extensions.show },
    { name: 'ListResourceFilters', method: 'get', path: '/resource_filters', handler: filters.list, minVersion: MV.RESOURCE_FILTER_CONFIG },
    { name: 'GetQuotaClassSet', method: 'get', path: '/os-quota-class-sets/:class_name', handler: quotaClasses.show },
    { name: 'UpdateQuotaClassSet', method: 'put', path: '/os-quota-class-sets/:class_name', handler: quotaClasses.update },

    // --- services, pools, capabilities, hosts, clusters, workers cleanup (issue 15): admin ---
    { name: 'ListServices', method: 'get', path: '/os-services', handler: services.list },
    { name: 'UpdateService', method: 'put', path: '/os-services/:action', handler: services.update },
    { name: 'GetPools', method: 'get', path: '/scheduler-stats/get_pools', handler: schedulerStats.getPools },
    { name: 'GetBackendCapabilities', method: 'get', path: '/capabilities/:host', handler: schedulerStats.showCapabilities },
    { name: 'ListHosts', method: 'get', path: '/os-hosts', handler: hosts.list },
    { name: 'GetHost', method: 'get', path: '/os-hosts/:host', handler: hosts.show },
    { name: 'ListClusters', method: 'get', path: '/clusters', handler: clusters.listSummary, minVersion: MV.CLUSTER_SUPPORT },
    { name: 'ListClustersDetail', method: 'get', path: '/clusters/detail', handler: clusters.listDetail, minVersion: MV.CLUSTER_SUPPORT },
    { name: 'GetCluster', method: 'get', path: '/clusters/:cluster_name', handler: clusters.show, minVersion: MV.CLUSTER_SUPPORT },
    { name: 'UpdateCluster', method: 'put', path: '/clusters/:action', handler: clusters.update, minVersion: MV.CLUSTER_SUPPORT },
    { name: 'CleanupWorkers', method: 'post', path: '/workers/cleanup', handler: clusters.cleanup, minVersion: MV.WORKERS_CLEANUP },

    // --- generic volume groups (issue 16): group types 3.11, groups 3.13, group snapshots 3.14 ---
    { name: 'ListGroupTypes', method: 'get', path: '/group_types', handler: groupTypes.list, minVersion: MV.GROUP_TYPE },
    { name: 'CreateGroupType', method: 'post', path: '/group_types', handler: groupTypes.create, minVersion: MV.GROUP_TYPE },
    { name: 'GetGroupType', method: 'get', path: '/group_types/:group_type_id', handler: groupTypes.show, minVersion: MV.GROUP_TYPE },
    { name: 'UpdateGroupType', method: 'put', path: '/group_types/:group_type_id', handler: groupTypes.update, minVersion: MV.GROUP_TYPE },
    { name: 'DeleteGroupType', method: 'del', path: '/group_types/:group_type_id', handler: groupTypes.remove, minVersion: MV.GROUP_TYPE },
    { name: 'ListGroupTypeSpecs', method: 'get', path: '/group_types/:group_type_id/group_specs', handler: groupTypes.specs.list, minVersion: MV.GROUP_TYPE },
    {
      name: 'CreateGroupTypeSpecs',
      method: 'post',
      path: '/group_types/:group_type_id/group_specs',
      handler: groupTypes.specs.create,
      minVersion: MV.GROUP_TYPE,
    },
    {
      name: 'GetGroupTypeSpec',
      method: 'get',
      path: '/group_types/:group_type_id/group_specs/:key',
      handler: groupTypes.specs.show,
      minVersion: MV.GROUP_TYPE,
    },
    {
      name: 'UpdateGroupTypeSpec',
      method: 'put',
      path: '/group_types/:group_type_id/group_specs/:key',
      handler: groupTypes.specs.update,
      minVersion: MV.GROUP_TYPE,
    },
    {
      name: 'DeleteGroupTypeSpec',
      method: 'del',
      path: '/group_types/:group_type_id/group_specs/:key',
      handler: groupTypes.specs.remove,
      minVersion: MV.GROUP_TYPE,
    },
    { name: 'CreateGroupFromSource', method: 'post', path: '/groups/action', handler: groups.createFromSource, minVersion: MV.GROUP_SNAPSHOTS },
    ...collectionRoutes({ one: 'Group', many: 'Groups' }, '/groups', 'group_id', groups, { minVersion: MV.GROUP_VOLUME }),
    { name: 'GroupAction', method: 'post', path: '/groups/:group_id/action', handler: groups.action, minVersion: MV.GROUP_VOLUME },
    ...collectionRoutes({ one: 'GroupSnapshot', many: 'GroupSnapshots' }, '/group_snapshots', 'group_snapshot_id', groupSnapshots, {
      minVersion: MV.GROUP_SNAPSHOTS,
    }),
    {
      name: 'GroupSnapshotAction',
      method: 'post',
      path: '/group_snapshots/:group_snapshot_id/action',
      handler: groupSnapshots.action,
      minVersion: MV.GROUP_SNAPSHOTS,
    },
  ];
  return routes;
}
