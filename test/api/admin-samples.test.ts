/*
 * The admin routes of issue 15 against Cinder's api-ref sample bodies (test/samples, see its README):
 * os-services, scheduler-stats, capabilities, os-hosts, clusters, workers cleanup, quota class sets,
 * extensions and resource filters. Our values differ (hosts, ids, times), so each answer is compared for
 * shape: the same key set at every level, the same JSON types, and values of a fixed vocabulary (binary
 * names, states, statuses) that are Cinder's. Where we deliberately answer differently (docs/api.md 8.x
 * and 16) the difference is asserted, not skipped. The behaviour itself is tested in services.test.ts,
 * pools-hosts.test.ts, quota-classes.test.ts and extensions-filters.test.ts.
 */
import { expect } from 'chai';
import os from 'node:os';
import { insertDeadVolumeService, startServer, sample, type TestServer } from '../lib/server';

const HOST = os.hostname();
const VOLUME_HOST = `${HOST}@file`;
/** The server's worker joins cluster `c1`, so that the cluster keys carry values, as in the samples. */
const CLUSTER = 'c1';
const VOLUME_CLUSTER = `${CLUSTER}@file`;

/** cinder/common/constants.py: the binaries (LOG_BINARIES); only cinder-api has no services row. */
const CINDER_BINARIES = ['cinder-scheduler', 'cinder-volume', 'cinder-backup', 'cinder-api'];
const SERVICE_BINARIES = ['cinder-scheduler', 'cinder-volume', 'cinder-backup'];
/** cinder/objects/fields.py ReplicationStatus. */
const REPLICATION_STATUSES = ['error', 'enabled', 'disabled', 'not-capable', 'failing-over', 'failover-error', 'failed-over', 'enabling', 'disabling'];
/** What Python's logging.getLevelName gives for the levels set-log accepts (cinder/utils.py get_log_levels). */
const LOG_LEVEL_NAMES = ['DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL'];
/** Cinder's time format in these views (naive UTC, microseconds). */
const CINDER_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/;
/** etc/cinder/resource_filters.json of Cinder (zed-eom): the resources and filters resource_filters may name. */
const CINDER_RESOURCE_FILTERS: Record<string, string[]> = {
  volume: ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at', 'consumes_quota'],
  backup: ['name', 'status', 'volume_id'],
  snapshot: ['name', 'status', 'volume_id', 'metadata', 'availability_zone', 'consumes_quota'],
  group: ['name'],
  group_snapshot: ['name', 'status', 'group_id'],
  attachment: ['volume_id', 'status', 'instance_id', 'attach_status'],
  message: ['resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level'],
  pool: ['name', 'volume_type'],
  volume_type: ['is_public', 'extra_specs'],
};

type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';

function jsonType(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean' || typeof v === 'string' || typeof v === 'object') return typeof v as JsonType;
  throw new Error(`not JSON: ${String(v)}`);
}

interface ShapeOptions {
  /** Paths of objects whose keys are data (logger names...): keys not compared, each value against the sample's first value. */
  maps?: string[];
  /**
   * Paths where null is fine although the sample shows a value: a field Cinder's view may leave null
   * (Tempest's schemas: `['string', 'null']`), or a documented difference of ours (said at the call).
   */
  nullable?: string[];
}

/**
 * `actual` has the shape of Cinder's `expected` sample body: objects the same key set, recursively; every
 * item of an array the shape of the sample's first item; scalars the same JSON type (an integer passes
 * for a number). A null in the sample is an unset nullable field: null or a string (every nullable field of
 * these views is a string when set). Paths are written `$.key`, `[]` for any item of an array.
 */
function expectShape(actual: unknown, expected: unknown, opts: ShapeOptions = {}, path = '$'): void {
  const want = jsonType(expected);
  const got = jsonType(actual);
  const where = `${path}: ${JSON.stringify(actual)}`;
  if (want === 'null') {
    expect(['null', 'string'], where).to.include(got);
    return;
  }
  if (got === 'null' && opts.nullable?.includes(path)) return;
  if (want === 'number') expect(['number', 'integer'], where).to.include(got);
  else expect(got, where).to.equal(want);
  if (want === 'array') {
    const items = expected as unknown[];
    if (items.length > 0) for (const item of actual as unknown[]) expectShape(item, items[0], opts, `${path}[]`);
    return;
  }
  if (want !== 'object') return;
  const a = actual as Record<string, unknown>;
  const e = expected as Record<string, unknown>;
  if (opts.maps?.includes(path)) {
    const first = Object.values(e)[0];
    if (first !== undefined) for (const v of Object.values(a)) expectShape(v, first, opts, `${path}.*`);
    return;
  }
  expect(Object.keys(a).sort(), `keys of ${path}`).to.deep.equal(Object.keys(e).sort());
  for (const key of Object.keys(e)) expectShape(a[key], e[key], opts, `${path}.${key}`);
}

type Body = Record<string, any>;
const body = (rel: string): Body => sample(rel) as Body;
const omit = (o: Body, ...keys: string[]): Body => Object.fromEntries(Object.entries(o).filter(([k]) => !keys.includes(k)));

describe('API: admin routes against the Cinder samples', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ worker: { cluster: CLUSTER } });
    // A volume, so that os-hosts/{host} has a project row as its sample does and the pool an allocation.
    const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
    expect(v.status, v.text).to.equal(202);
    await s.waitForVolume(v.body.volume.id, ['available']);
    await s.worker.beatNow();
  });
  after(async () => {
    await s.close();
  });

  describe('os-services', () => {
    /** Nullable in Cinder's services view; the sample's entries happen to show them set. */
    const NULLABLE_SERVICE = { nullable: ['$.disabled_reason', '$.cluster'] };

    it('lists at 3.49 with the keys of os-services/v3.49/services-list-response.json, per binary', async () => {
      const expected = body('os-services/v3.49/services-list-response.json');
      const r = await s.request('GET', '/v3/os-services', { mv: '3.49' });
      expect(r.status, r.text).to.equal(200);
      expect(Object.keys(r.body)).to.deep.equal(Object.keys(expected));
      const sampleOf = (binary: string): Body => {
        // The sample has no cinder-backup: Cinder's view gives every binary but cinder-volume the same keys.
        const found = (expected.services as Body[]).find((x) => x.binary === (binary === 'cinder-backup' ? 'cinder-scheduler' : binary));
        expect(found, binary).to.not.equal(undefined);
        return found!;
      };
      const services = r.body.services as Body[];
      expect(services.map((x) => x.binary).sort()).to.deep.equal([...SERVICE_BINARIES].sort());
      for (const x of services) {
        expectShape(x, sampleOf(x.binary), NULLABLE_SERVICE);
        expect(['up', 'down']).to.include(x.state);
        expect(['enabled', 'disabled']).to.include(x.status);
        expect(x.updated_at).to.match(CINDER_TIME);
        expect(x.zone).to.equal('nova');
      }
      const volume = services.find((x) => x.binary === 'cinder-volume')!;
      expect(REPLICATION_STATUSES).to.include(volume.replication_status);
      expect(volume).to.include({ host: VOLUME_HOST, cluster: VOLUME_CLUSTER, backend_state: 'up', frozen: false, active_backend_id: null });
      expect(services.find((x) => x.binary === 'cinder-scheduler')!.cluster).to.equal(null);
      // As in Cinder, cinder-backup is never clustered (cinder/cmd/backup.py passes no cluster).
      expect(services.find((x) => x.binary === 'cinder-backup')!.cluster).to.equal(null);

      // The sample's disabled cinder-volume entries have backend_state null: no pool of theirs is active.
      await s.request('PUT', '/v3/os-services/disable', { body: { host: VOLUME_HOST, binary: 'cinder-volume' } });
      try {
        const disabled = (await s.request('GET', '/v3/os-services?binary=cinder-volume', { mv: '3.49' })).body.services as Body[];
        expect(disabled).to.have.length(1);
        expectShape(disabled[0], sampleOf('cinder-volume'), NULLABLE_SERVICE);
        expect(disabled[0]).to.include({ status: 'disabled', backend_state: null });
      } finally {
        await s.request('PUT', '/v3/os-services/enable', { body: { host: VOLUME_HOST, binary: 'cinder-volume' } });
      }
    });

    it('disable, disable-log-reason and enable take the sample requests and answer the sample bodies (enable: plus disabled_reason null)', async () => {
      const put = async (action: string, request: string): Promise<Body> => {
        const req = body(request);
        // The samples' requests are {host, binary[, disabled_reason]}; only the host is ours.
        expect(Object.keys(omit(req, 'disabled_reason')).sort()).to.deep.equal(['binary', 'host']);
        const r = await s.request('PUT', `/v3/os-services/${action}`, { body: { ...req, host: VOLUME_HOST } });
        expect(r.status, r.text).to.equal(200);
        return r.body;
      };

      const disable = body('os-services/service-disable-response.json');
      const disabled = await put('disable', 'os-services/service-disable-request.json');
      expectShape(disabled, disable);
      expect(disabled).to.deep.equal({ ...disable, host: VOLUME_HOST });

      const reason = body('os-services/service-disable-log-reason-response.json');
      const reasoned = await put('disable-log-reason', 'os-services/service-disable-log-reason-request.json');
      expectShape(reasoned, reason);
      expect(reasoned).to.deep.equal({ ...reason, host: VOLUME_HOST });

      const enabled = await put('enable', 'os-services/service-enable-request.json');
      // Documented (16.2): Cinder's enable answer (the generated 28.0.0 sample; Zed's code alike) has no
      // disabled_reason. Ours adds `disabled_reason: null`, as Zed's hand-written api-ref sample
      // services-enable-response.json shows and Tempest's enable_service schema requires.
      const enable = body('os-services/service-enable-response.json');
      expect(enable).to.not.have.property('disabled_reason');
      expectShape(omit(enabled, 'disabled_reason'), enable);
      expect(enabled).to.deep.equal({ ...enable, host: VOLUME_HOST, disabled_reason: null });
      expect(Object.keys(enabled).sort()).to.deep.equal(Object.keys(body('services-enable-response.json')).sort());
      expect(body('services-enable-response.json').disabled_reason).to.equal(null);

      for (const answer of [disabled, reasoned, enabled]) {
        expect(SERVICE_BINARIES).to.include(answer.binary);
        expect(['enabled', 'disabled']).to.include(answer.status);
      }
    });

    it('get-log (3.32) answers the shape of os-services/v3.32/service-get-log-response.json; set-log takes the sample request', async () => {
      const getLog = (req: Body) => s.request('PUT', '/v3/os-services/get-log', { body: req, mv: '3.32' });
      const getRequest = body('os-services/v3.32/service-get-log-request.json');
      const setRequest = body('os-services/v3.32/service-set-log-request.json');
      expect(Object.keys(getRequest).sort()).to.deep.equal(['binary', 'prefix', 'server']);
      // As sent, the samples name a server we do not have: set-log changes nothing, get-log lists nothing (as Cinder).
      const unchanged = await s.request('PUT', '/v3/os-services/set-log', { body: setRequest, mv: '3.32' });
      expect(unchanged.status, unchanged.text).to.equal(202);
      expect((await getLog(getRequest)).body).to.deep.equal({ log_levels: [] });

      // Our server and logger (documented, 16.2: volume-worker is cinder-volume's logger, not cinder.volume.*).
      const ours = { server: VOLUME_HOST, prefix: 'volume-worker' };
      try {
        const set = await s.request('PUT', '/v3/os-services/set-log', { body: { ...setRequest, ...ours }, mv: '3.32' });
        expect(set.status, set.text).to.equal(202);
        expect(set.text).to.equal('');
        const r = await getLog({ ...getRequest, ...ours });
        expect(r.status, r.text).to.equal(200);
        const levels = { maps: ['$.log_levels[].levels'] };
        expectShape(r.body, body('os-services/v3.32/service-get-log-response.json'), levels);
        expect(r.body).to.deep.equal({ log_levels: [{ binary: 'cinder-volume', host: VOLUME_HOST, levels: { 'volume-worker': setRequest.level } }] });

        // Every binary: the binaries of Zed's services-get-log-response.json (cinder-api included), its shape.
        const zed = body('services-get-log-response.json');
        const all = await getLog({});
        expectShape(all.body, zed, levels);
        const entries = all.body.log_levels as Body[];
        expect(entries.map((e) => e.binary).sort()).to.deep.equal((zed.log_levels as Body[]).map((e) => e.binary).sort());
        for (const e of entries) {
          expect(CINDER_BINARIES).to.include(e.binary);
          for (const level of Object.values(e.levels)) expect(LOG_LEVEL_NAMES).to.include(level);
        }
      } finally {
        await s.request('PUT', '/v3/os-services/set-log', { body: { level: 'INFO' }, mv: '3.32' });
      }
    });
  });

  describe('scheduler-stats and capabilities', () => {
    it('get_pools?detail=true has the keys of pools-list-detailed-response.json, but timestamp for updated, plus the documented capabilities', async () => {
      const expected = body('pools-list-detailed-response.json');
      const r = await s.request('GET', '/v3/scheduler-stats/get_pools?detail=true');
      expect(r.status, r.text).to.equal(200);
      expect(Object.keys(r.body)).to.deep.equal(Object.keys(expected));
      const samplePool = expected.pools[0] as Body;
      const pools = r.body.pools as Body[];
      expect(pools).to.have.length(1);
      const [pool] = pools;
      expect(Object.keys(pool).sort()).to.deep.equal(Object.keys(samplePool).sort());
      expect(pool.name).to.equal(`${VOLUME_HOST}#file`); // host@backend#pool, as Cinder names pools
      const caps = pool.capabilities as Body;
      const sampleCaps = samplePool.capabilities as Body;
      // The hand-written sample's `updated` is not what Cinder returns: its scheduler stamps each pool's
      // capabilities with `timestamp` (cinder/scheduler/host_manager.py); Tempest's schema allows both.
      expect(sampleCaps).to.have.property('updated');
      expect(caps).to.not.have.property('updated');
      expect(caps.timestamp).to.be.a('string');
      expect(Number.isNaN(Date.parse(caps.timestamp))).to.equal(false);
      expectShape(omit(caps, ...Object.keys(caps).filter((k) => !(k in sampleCaps))), omit(sampleCaps, 'updated'));
      // Documented (16.3): the other capabilities of our backend, as Cinder's LVM driver reports them.
      expect(Object.keys(caps).filter((k) => !(k in sampleCaps))).to.have.members([
        'pool_name',
        'allocated_capacity_gb',
        'provisioned_capacity_gb',
        'total_volumes',
        'max_over_subscription_ratio',
        'thin_provisioning_support',
        'thick_provisioning_support',
        'multiattach',
        'online_extend_support',
        'backend_state',
        'vendor_name',
        'timestamp',
      ]);
      expect(caps).to.include({ pool_name: 'file', vendor_name: 'Open Source', backend_state: 'up', max_over_subscription_ratio: '1.0' });
      // One of the sample's protocol spellings (Cinder's constants.ISCSI).
      expect((expected.pools as Body[]).map((p) => p.capabilities.storage_protocol)).to.include(caps.storage_protocol);
    });

    it('capabilities/{host} has the keys of backend-capabilities-response.json; replication_enabled where the sample says replication', async () => {
      const expected = body('backend-capabilities-response.json');
      const r = await s.request('GET', `/v3/capabilities/${VOLUME_HOST}`);
      expect(r.status, r.text).to.equal(200);
      // Documented (16.3): pool_name, display_name, description and visibility are null (the LVM driver
      // reports none of them either; Tempest's schema allows null).
      const nulls = ['pool_name', 'display_name', 'description', 'visibility'];
      expectShape(omit(r.body, 'properties'), omit(expected, 'properties'), { nullable: nulls.map((k) => `$.${k}`) });
      for (const k of nulls) expect(r.body[k], k).to.equal(null);
      // Cinder names the namespace after the service's topic queue: the cluster when it has one.
      expect(r.body.namespace).to.equal(`OS::Storage::Capabilities::${VOLUME_CLUSTER}`);
      expect(r.body.replication_targets).to.deep.equal(expected.replication_targets);
      expect(r.body.storage_protocol).to.equal(expected.storage_protocol);
      // The hand-written sample calls the standard replication property `replication`; Cinder's drivers
      // publish it as `replication_enabled` (cinder/volume/driver.py _init_standard_capabilities), as we do.
      const { replication, ...standard } = expected.properties as Body;
      expect(r.body.properties).to.deep.equal({ ...standard, replication_enabled: replication });
    });
  });

  describe('os-hosts', () => {
    it('lists with the keys and vocabulary of hosts-list-response.json', async () => {
      const expected = body('hosts-list-response.json');
      const r = await s.request('GET', '/v3/os-hosts');
      expect(r.status, r.text).to.equal(200);
      expectShape(r.body, expected);
      const hosts = r.body.hosts as Body[];
      // The sample's three services, cinder-volume on host@backend.
      expect(hosts.map((h) => h.service).sort()).to.deep.equal((expected.hosts as Body[]).map((h) => h.service).sort());
      expect(hosts.find((h) => h.service === 'cinder-volume')!.host_name).to.equal(VOLUME_HOST);
      for (const h of hosts) {
        expect(['available', 'unavailable']).to.include(h['service-status']);
        expect(['enabled', 'disabled']).to.include(h['service-state']);
        expect(h['last-update']).to.match(CINDER_TIME);
      }
    });

    it('shows a host with the keys of hosts-get-response.json: the (total) row first, then a row per project, all strings', async () => {
      const expected = body('hosts-get-response.json');
      const r = await s.request('GET', `/v3/os-hosts/${VOLUME_HOST}`);
      expect(r.status, r.text).to.equal(200);
      expectShape(r.body, expected);
      const rows = (r.body.host as Body[]).map((x) => x.resource as Body);
      expect(rows.map((x) => x.project)).to.deep.equal([(expected.host as Body[])[0].resource.project, s.projectId]);
      for (const row of rows) expect(row.host).to.equal(VOLUME_HOST);
      expect(rows[1]).to.include({ volume_count: '1', total_volume_gb: '1' });
    });
  });

  describe('clusters (3.7)', () => {
    it('list, detail and show have the keys and vocabulary of clusters/v3.7/*', async () => {
      const list = await s.request('GET', '/v3/clusters', { mv: '3.7' });
      expect(list.status, list.text).to.equal(200);
      expectShape(list.body, body('clusters/v3.7/clusters-list-response.json'));
      const detailSample = body('clusters/v3.7/clusters-list-detailed-response.json');
      const detail = await s.request('GET', '/v3/clusters/detail', { mv: '3.7' });
      expect(detail.status, detail.text).to.equal(200);
      expectShape(detail.body, detailSample);
      for (const c of [...list.body.clusters, ...detail.body.clusters] as Body[]) {
        expect(SERVICE_BINARIES).to.include(c.binary);
        expect(['up', 'down']).to.include(c.state);
        expect(['enabled', 'disabled']).to.include(c.status);
      }
      const clusters = detail.body.clusters as Body[];
      // Only the cinder-volume cluster <cluster>@<backend>, as Cinder forms it.
      expect(clusters.map((c) => [c.binary, c.name])).to.have.deep.members([['cinder-volume', VOLUME_CLUSTER]]);
      for (const c of clusters) {
        // Times as Cinder's view: normalized, or '' when unset (the sample's cluster2 last_heartbeat).
        for (const k of ['created_at', 'updated_at', 'last_heartbeat']) expect(c[k], k).to.match(new RegExp(`^$|${CINDER_TIME.source}`));
      }

      const show = await s.request('GET', `/v3/clusters/${VOLUME_CLUSTER}`, { mv: '3.7' });
      expect(show.status, show.text).to.equal(200);
      expectShape(show.body, body('clusters/v3.7/cluster-show-response.json'));
      expect(show.body.cluster).to.deep.equal(clusters.find((c) => c.binary === 'cinder-volume'));
    });

    it('disable and enable take the sample requests and answer the sample bodies (summary plus disabled_reason)', async () => {
      for (const [action, want] of [
        ['disable', { status: 'disabled', disabled_reason: 'for testing' }],
        ['enable', { status: 'enabled', disabled_reason: null }],
      ] as const) {
        const req = body(`clusters/v3.7/cluster-${action}-request.json`);
        const expected = body(`clusters/v3.7/cluster-${action}-response.json`);
        const r = await s.request('PUT', `/v3/clusters/${action}`, { body: { ...req, name: VOLUME_CLUSTER }, mv: '3.7' });
        expect(r.status, r.text).to.equal(200);
        expectShape(r.body, expected);
        // Only the name (ours) and the state (the samples' cluster has no live member) differ.
        expect(r.body).to.deep.equal({ cluster: { ...expected.cluster, name: VOLUME_CLUSTER, state: 'up' } });
        expect(r.body.cluster).to.include(want);
      }
    });
  });

  describe('os-quota-class-sets', () => {
    it('shows and updates a class with the bodies of quota_classes/* (same keys, same values)', async () => {
      const show = await s.request('GET', '/v3/os-quota-class-sets/test_class');
      expect(show.status, show.text).to.equal(200);
      expectShape(show.body, body('quota_classes/quota-classes-show-response.json'));
      // The sample was generated with the default limits and only __DEFAULT__: it is our answer exactly.
      expect(show.body).to.deep.equal(body('quota_classes/quota-classes-show-response.json'));

      const update = await s.request('PUT', '/v3/os-quota-class-sets/test_class', { body: body('quota_classes/quota-classes-update-request.json') });
      expect(update.status, update.text).to.equal(200);
      expectShape(update.body, body('quota_classes/quota-classes-update-response.json'));
      // Without id, as Cinder's update.
      expect(update.body).to.deep.equal(body('quota_classes/quota-classes-update-response.json'));
    });
  });

  describe('extensions', () => {
    it("lists entries with the keys of extensions/extensions-list-response.json, each the sample's own entry", async () => {
      const expected = body('extensions/extensions-list-response.json');
      const r = await s.request('GET', '/v3/extensions');
      expect(r.status, r.text).to.equal(200);
      expectShape(r.body, expected);
      const byAlias = new Map((expected.extensions as Body[]).map((e) => [e.alias as string, e]));
      const ours = r.body.extensions as Body[];
      for (const e of ours) {
        expect(byAlias.has(e.alias), `${e.alias} is one of Cinder's`).to.equal(true);
        expect(e).to.deep.equal(byAlias.get(e.alias));
      }
      // The admin routes of issue 15 are announced.
      expect(ours.map((e) => e.alias)).to.include.members([
        'os-services',
        'os-extended-services',
        'os-hosts',
        'scheduler-stats',
        'capabilities',
        'os-quota-class-sets',
      ]);
      // What the sample lists and we do not: documented as never listed (8.2), or its routes are not served.
      const missing = [...byAlias.keys()].filter((alias) => !ours.some((e) => e.alias === alias));
      expect([
        'cgsnapshots',
        'consistencygroups',
        'os-volume-manage',
        'os-snapshot-manage',
        'os-volume-unmanage',
        'os-snapshot-unmanage',
        'os-vol-image-meta',
        'os-volume-encryption-metadata',
      ]).to.include.members(missing);

      const one = await s.request('GET', '/v3/extensions/os-services');
      expect(one.body).to.deep.equal({ extension: byAlias.get('os-services') });
    });
  });

  describe('resource filters', () => {
    it("resource_filters (3.33) has the shape of resource-filters-list-response.json and names Cinder's resources and filters", async () => {
      const expected = body('resource-filters-list-response.json');
      const r = await s.request('GET', '/v3/resource_filters', { mv: '3.33' });
      expect(r.status, r.text).to.equal(200);
      expectShape(r.body, expected);
      const entries = r.body.resource_filters as Body[];
      // The sample's resources are there (its volume filters are an older Cinder's: compare with resource_filters.json).
      expect(entries.map((e) => e.resource)).to.include.members((expected.resource_filters as Body[]).map((e) => e.resource));
      for (const e of entries) {
        expect(Object.keys(CINDER_RESOURCE_FILTERS), e.resource).to.include(e.resource);
        expect(CINDER_RESOURCE_FILTERS[e.resource], e.resource).to.include.members(e.filters);
      }
    });
  });

  describe('workers cleanup', () => {
    it('workers/cleanup (3.24) takes the sample request and answers the shape of worker-cleanup-response.json; unavailable stays empty', async () => {
      const cleanup = (req: Body) => s.request('POST', '/v3/workers/cleanup', { body: req, mv: '3.24' });
      const request = body('worker-cleanup-request.json');
      // A service outside any cluster has cluster_name null (Cinder's Service.cluster_name is nullable).
      const NULLABLE_CLUSTER = { nullable: ['$.cleaning[].cluster_name'] };
      const expected = body('worker-cleanup-response.json');
      // As sent, the sample names a service we do not have: nothing to clean (the same in Cinder).
      const none = await cleanup(request);
      expect(none.status, none.text).to.equal(202);
      expect(none.body).to.deep.equal({ cleaning: [], unavailable: [] });

      // The sample's filters, naming our up cinder-volume (its service id from a first call).
      const found = await cleanup({ host: VOLUME_HOST, binary: 'cinder-volume', is_up: true });
      const id = found.body.cleaning[0].id as number;
      const ours = { ...request, cluster_name: VOLUME_CLUSTER, host: VOLUME_HOST, service_id: id, disabled: false };
      const r = await cleanup(ours);
      expect(r.status, r.text).to.equal(202);
      expectShape(r.body, expected, NULLABLE_CLUSTER);
      expect(r.body).to.deep.equal({ cleaning: [{ ...expected.cleaning[0], id, host: VOLUME_HOST, cluster_name: VOLUME_CLUSTER }], unavailable: [] });

      // A cinder-volume that died long ago with no live cluster member: Cinder sends its cleanup nowhere and
      // lists it under `unavailable`. Documented (16.6): here the API requeues its operations itself, so it
      // is under `cleaning` and `unavailable` is always empty.
      const db = s.services.store.db;
      await insertDeadVolumeService(s);
      try {
        const down = await cleanup({});
        expect(down.status, down.text).to.equal(202);
        expectShape(down.body, expected, NULLABLE_CLUSTER);
        expect(down.body).to.deep.equal({ cleaning: [{ id: 100, host: 'ghost@file', binary: 'cinder-volume', cluster_name: null }], unavailable: [] });
        for (const c of [...r.body.cleaning, ...down.body.cleaning] as Body[]) expect(SERVICE_BINARIES).to.include(c.binary);
      } finally {
        await db.deleteFrom('services').where('id', '=', 100).execute();
      }
    });
  });
});
