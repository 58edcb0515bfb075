/*
 * The API extensions GET /extensions lists: Cinder's extension descriptors (cinder/api/contrib/*.py,
 * name, alias, docstring as description, updated), each with the routes that make it up here. An
 * extension is listed when every one of its routes is in the route table (routes.ts), so the list says
 * what this API serves, whatever is mounted.
 *
 * Cinder extensions we have nothing of, so they are not in the table: cgsnapshots and consistencygroups
 * (the consistency-group API), os-volume-manage, os-snapshot-manage, os-volume-unmanage and
 * os-snapshot-unmanage (managing storage Cinder did not create), and os-vol-image-meta (Glance image
 * metadata of volumes).
 */
import type { Method, RouteDef } from './routes';

export interface ApiExtension {
  name: string;
  alias: string;
  description: string;
  updated: string;
}

interface ExtensionEntry extends ApiExtension {
  /**
   * `METHOD /path` of the routes this extension is, path parameters written `:name` (any name matches
   * any parameter) and a path standing for itself and everything under it.
   */
  routes: readonly string[];
}

/** In the order of Cinder's contrib file names. */
const EXTENSIONS: readonly ExtensionEntry[] = [
  {
    name: 'AdminActions',
    alias: 'os-admin-actions',
    description: 'Enable admin actions.',
    updated: '2012-08-25T00:00:00+00:00',
    routes: ['POST /volumes/:id/action', 'POST /snapshots/:id/action', 'POST /backups/:id/action'],
  },
  {
    name: 'AvailabilityZones',
    alias: 'os-availability-zone',
    description: 'Describe Availability Zones.',
    updated: '2013-06-27T00:00:00+00:00',
    routes: ['GET /os-availability-zone'],
  },
  { name: 'Backups', alias: 'backups', description: 'Backups support.', updated: '2012-12-12T00:00:00+00:00', routes: ['GET /backups', 'POST /backups'] },
  {
    name: 'Capabilities',
    alias: 'capabilities',
    description: 'Capabilities support.',
    updated: '2015-08-31T00:00:00+00:00',
    routes: ['GET /capabilities/:host'],
  },
  {
    name: 'ExtendedServices',
    alias: 'os-extended-services',
    description: 'Extended services support.',
    updated: '2014-01-10T00:00:00-00:00',
    // disable-log-reason, freeze, thaw, failover_host: PUT /os-services/{action}.
    routes: ['PUT /os-services'],
  },
  {
    name: 'ExtendedSnapshotAttributes',
    alias: 'os-extended-snapshot-attributes',
    description: 'Extended SnapshotAttributes support.',
    updated: '2012-06-19T00:00:00+00:00',
    routes: ['GET /snapshots/:id'],
  },
  { name: 'Hosts', alias: 'os-hosts', description: 'Admin-only host administration.', updated: '2011-06-29T00:00:00+00:00', routes: ['GET /os-hosts'] },
  { name: 'Qos_specs_manage', alias: 'qos-specs', description: 'QoS specs support.', updated: '2013-08-02T00:00:00+00:00', routes: ['GET /qos-specs'] },
  {
    name: 'QuotaClasses',
    alias: 'os-quota-class-sets',
    description: 'Quota classes management support.',
    updated: '2012-03-12T00:00:00+00:00',
    routes: ['GET /os-quota-class-sets/:id', 'PUT /os-quota-class-sets/:id'],
  },
  {
    name: 'Quotas',
    alias: 'os-quota-sets',
    description: 'Quota management support.',
    updated: '2011-08-08T00:00:00+00:00',
    routes: ['GET /os-quota-sets/:id', 'PUT /os-quota-sets/:id'],
  },
  {
    name: 'SchedulerHints',
    alias: 'OS-SCH-HNT',
    description: 'Pass arbitrary key/value pairs to the scheduler.',
    updated: '2013-04-18T00:00:00+00:00',
    // `OS-SCH-HNT:scheduler_hints` in a volume-create body.
    routes: ['POST /volumes'],
  },
  {
    name: 'Scheduler_stats',
    alias: 'scheduler-stats',
    description: 'Scheduler stats support.',
    updated: '2014-09-07T00:00:00+00:00',
    routes: ['GET /scheduler-stats/get_pools'],
  },
  { name: 'Services', alias: 'os-services', description: 'Services support.', updated: '2012-10-28T00:00:00-00:00', routes: ['GET /os-services'] },
  {
    name: 'SnapshotActions',
    alias: 'os-snapshot-actions',
    description: 'Enable snapshot manager actions.',
    updated: '2013-07-16T00:00:00+00:00',
    routes: ['POST /snapshots/:id/action'],
  },
  {
    name: 'TypesExtraSpecs',
    alias: 'os-types-extra-specs',
    description: 'Type extra specs support.',
    updated: '2011-08-24T00:00:00+00:00',
    routes: ['GET /types/:id/extra_specs'],
  },
  {
    name: 'TypesManage',
    alias: 'os-types-manage',
    description: 'Types manage support.',
    updated: '2011-08-24T00:00:00+00:00',
    routes: ['POST /types', 'PUT /types/:id', 'DELETE /types/:id'],
  },
  {
    name: 'UsedLimits',
    alias: 'os-used-limits',
    description: 'Provide data on limited resources that are being used.',
    updated: '2013-10-03T00:00:00+00:00',
    routes: ['GET /limits'],
  },
  {
    name: 'VolumeActions',
    alias: 'os-volume-actions',
    description: 'Enable volume actions.',
    updated: '2012-05-31T00:00:00+00:00',
    routes: ['POST /volumes/:id/action'],
  },
  {
    name: 'VolumeEncryptionMetadata',
    alias: 'os-volume-encryption-metadata',
    description: 'Volume encryption metadata retrieval support.',
    updated: '2013-07-10T00:00:00+00:00',
    routes: ['GET /volumes/:id/encryption'],
  },
  {
    name: 'VolumeHostAttribute',
    alias: 'os-vol-host-attr',
    description: 'Expose host as an attribute of a volume.',
    updated: '2011-11-03T00:00:00+00:00',
    routes: ['GET /volumes/:id'],
  },
  {
    name: 'VolumeMigStatusAttribute',
    alias: 'os-vol-mig-status-attr',
    description: 'Expose migration_status as an attribute of a volume.',
    updated: '2013-08-08T00:00:00+00:00',
    routes: ['GET /volumes/:id'],
  },
  {
    name: 'VolumeTenantAttribute',
    alias: 'os-vol-tenant-attr',
    description: 'Expose the internal project_id as an attribute of a volume.',
    updated: '2011-11-03T00:00:00+00:00',
    routes: ['GET /volumes/:id'],
  },
  {
    name: 'VolumeTransfer',
    alias: 'os-volume-transfer',
    description: 'Volume transfer management support.',
    updated: '2013-05-29T00:00:00+00:00',
    routes: ['GET /os-volume-transfer', 'POST /os-volume-transfer'],
  },
  {
    name: 'VolumeTypeAccess',
    alias: 'os-volume-type-access',
    description: 'Volume type access support.',
    updated: '2014-06-26T00:00:00Z',
    routes: ['GET /types/:id/os-volume-type-access'],
  },
  {
    name: 'VolumeTypeEncryption',
    alias: 'encryption',
    description: 'Encryption support for volume types.',
    updated: '2013-07-01T00:00:00+00:00',
    routes: ['GET /types/:id/encryption'],
  },
];

const METHODS: Record<string, Method> = { GET: 'get', POST: 'post', PUT: 'put', DELETE: 'del' };

/** A path with every parameter written the same way, so `:volume_id` and `:id` compare equal. */
function shape(path: string): string {
  return path.replace(/\/:[^/]+/g, '/:');
}

function served(required: string, routes: readonly RouteDef[]): boolean {
  const [verb, path] = required.split(' ');
  const method = METHODS[verb];
  const want = shape(path);
  return routes.some((r) => r.method === method && (shape(r.path) === want || shape(r.path).startsWith(`${want}/`)));
}

/** The extensions whose routes are all in `routes`, in table order. */
export function servedExtensions(routes: readonly RouteDef[]): ApiExtension[] {
  return EXTENSIONS.filter((e) => e.routes.every((r) => served(r, routes))).map(({ routes: _routes, ...ext }) => ext);
}
