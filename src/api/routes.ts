/*
 * The whole route table. Each route has a CamelCase name (audit records, metrics, docs/api.md), a
 * method, a path relative to /v3 (registered both with and without `{project_id}`, as Cinder does unless
 * `projectPath: false`), a minimum microversion when the route is gated, and its handler.
 */
import type { Request, Response } from 'restify';
import type { ApiDeps } from './deps';
import { MV, type ApiVersion } from './microversions';
import { availabilityZoneController } from './controllers/availability-zones';
import { quotaController } from './controllers/quotas';
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

    { name: 'ListDefaultTypes', method: 'get', path: '/default-types', handler: types.listDefaults, minVersion: MV.VOLUME_TYPE_DEFAULT_OVERRIDES, projectPath: false },
    { name: 'GetDefaultType', method: 'get', path: '/default-types/:target_project_id', handler: types.showDefault, minVersion: MV.VOLUME_TYPE_DEFAULT_OVERRIDES, projectPath: false },
    { name: 'SetDefaultType', method: 'put', path: '/default-types/:target_project_id', handler: types.setDefault, minVersion: MV.VOLUME_TYPE_DEFAULT_OVERRIDES, projectPath: false },
    { name: 'UnsetDefaultType', method: 'del', path: '/default-types/:target_project_id', handler: types.unsetDefault, minVersion: MV.VOLUME_TYPE_DEFAULT_OVERRIDES, projectPath: false },

    // --- snapshots and snapshot metadata (issue 4) ---

    // --- volume actions and attachments (issue 4) ---

    // --- user messages (issue 4) ---

    { name: 'ListAvailabilityZones', method: 'get', path: '/os-availability-zone', handler: zones.list },
    { name: 'GetLimits', method: 'get', path: '/limits', handler: quotas.limits },
    { name: 'GetQuotaSet', method: 'get', path: '/os-quota-sets/:target_project_id', handler: quotas.show },
    { name: 'GetQuotaSetDefaults', method: 'get', path: '/os-quota-sets/:target_project_id/defaults', handler: quotas.defaults },
    { name: 'UpdateQuotaSet', method: 'put', path: '/os-quota-sets/:target_project_id', handler: quotas.update },
    { name: 'DeleteQuotaSet', method: 'del', path: '/os-quota-sets/:target_project_id', handler: quotas.reset },
  ];
}
