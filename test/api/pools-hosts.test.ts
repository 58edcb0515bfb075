/*
 * Pools, backend capabilities, os-hosts, clusters and the workers cleanup (issue 15), and the scheduling
 * semantics of extra specs: the API answers from what the workers publish on their heartbeats, and a
 * volume whose type asks for something no backend offers ends in `error` with Cinder's message.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { insertDeadVolumeService, startServer, tmpDir, type TestServer } from '../lib/server';
import { nowIso } from '../../src/db/time';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { BackendSet } from '../../src/worker/backends';
import { WorkerLoop } from '../../src/worker/worker-loop';

const HOST = os.hostname();
const VOLUME_HOST = `${HOST}@file`;
const POOL = `${VOLUME_HOST}#file`;
const GiB = 1024 ** 3;

describe('API: pools and backend capabilities', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({}, { roleTokens: true });
  });
  after(async () => {
    await s.close();
  });

  it('lists the pool by name, and with detail its capabilities: statfs capacity, the store allocation, vendor and protocol', async () => {
    const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 2 } } });
    await s.waitForVolume(v.body.volume.id, ['available']);
    await s.worker.beatNow(); // publish the allocation now rather than at the next heartbeat
    expect((await s.request('GET', '/v3/scheduler-stats/get_pools')).body).to.deep.equal({ pools: [{ name: POOL }] });
    const detail = await s.request('GET', '/v3/scheduler-stats/get_pools?detail=True');
    expect(detail.status).to.equal(200);
    const [pool] = detail.body.pools;
    expect(Object.keys(pool).sort()).to.deep.equal(['capabilities', 'name']);
    const fsStats = fs.statfsSync(s.config.backend.path);
    expect(pool.capabilities).to.include({
      pool_name: 'file',
      volume_backend_name: 'file',
      vendor_name: 'Open Source',
      storage_protocol: 'iSCSI',
      driver_version: '1.0.0',
      allocated_capacity_gb: 2,
      provisioned_capacity_gb: 2,
      total_volumes: 1,
      reserved_percentage: 0,
      thin_provisioning_support: false,
      thick_provisioning_support: true,
      QoS_support: false,
      multiattach: true,
      backend_state: 'up',
      total_capacity_gb: Math.floor((fsStats.blocks * fsStats.bsize) / GiB),
    });
    expect(pool.capabilities.free_capacity_gb).to.be.closeTo(Math.floor((fsStats.bavail * fsStats.bsize) / GiB), 1);
    expect(pool.capabilities.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    const bad = await s.request('GET', '/v3/scheduler-stats/get_pools?detail=maybe');
    expect(bad.body).to.deep.equal({ badRequest: { code: 400, message: "Value 'maybe' for 'detail' is not a boolean." } });
  });

  it('filters pools by name from 3.28 and by volume type from 3.35; other filters are 400', async () => {
    expect((await s.request('GET', '/v3/scheduler-stats/get_pools?name=other')).body.pools).to.have.length(1); // ignored below 3.28
    expect((await s.request('GET', '/v3/scheduler-stats/get_pools?name=other', { mv: '3.28' })).body.pools).to.deep.equal([]);
    expect((await s.request('GET', `/v3/scheduler-stats/get_pools?name=${encodeURIComponent(POOL)}`, { mv: '3.28' })).body.pools).to.have.length(1);
    const bad = await s.request('GET', '/v3/scheduler-stats/get_pools?size=1', { mv: '3.28' });
    expect(bad.body).to.deep.equal({ badRequest: { code: 400, message: 'Invalid filters size are found in query options.' } });
    await s.request('POST', '/v3/types', { body: { volume_type: { name: 'fc-only', extra_specs: { storage_protocol: 'FC' } } } });
    await s.request('POST', '/v3/types', { body: { volume_type: { name: 'iscsi', extra_specs: { storage_protocol: 'iSCSI' } } } });
    expect((await s.request('GET', '/v3/scheduler-stats/get_pools?volume_type=fc-only', { mv: '3.35' })).body.pools).to.deep.equal([]);
    expect((await s.request('GET', '/v3/scheduler-stats/get_pools?volume_type=iscsi', { mv: '3.35' })).body.pools).to.deep.equal([{ name: POOL }]);
    expect((await s.request('GET', '/v3/scheduler-stats/get_pools?volume_type=fc-only', { mv: '3.34' })).body.pools).to.have.length(1);
    expect((await s.request('GET', '/v3/scheduler-stats/get_pools?volume_type=nope', { mv: '3.35' })).status).to.equal(404);
  });

  it('shows a backend capabilities as Cinder (namespace, standard properties); 404 for no such service', async () => {
    const r = await s.request('GET', `/v3/capabilities/${VOLUME_HOST}`);
    expect(r.status).to.equal(200);
    expect(r.body).to.deep.equal({
      namespace: `OS::Storage::Capabilities::${VOLUME_HOST}`,
      vendor_name: 'Open Source',
      volume_backend_name: 'file',
      pool_name: null,
      driver_version: '1.0.0',
      storage_protocol: 'iSCSI',
      display_name: null,
      description: null,
      visibility: null,
      replication_targets: [],
      properties: {
        thin_provisioning: { title: 'Thin Provisioning', description: 'Sets thin provisioning.', type: 'boolean' },
        compression: { title: 'Compression', description: 'Enables compression.', type: 'boolean' },
        qos: { title: 'QoS', description: 'Enables QoS.', type: 'boolean' },
        replication_enabled: { title: 'Replication', description: 'Enables replication.', type: 'boolean' },
      },
    });
    const missing = await s.request('GET', '/v3/capabilities/nowhere@file');
    expect(missing.body).to.deep.equal({ itemNotFound: { code: 404, message: "Can't find service: nowhere@file" } });
  });

  it('is admin-only (403 for a member)', async () => {
    for (const url of ['/v3/scheduler-stats/get_pools', `/v3/capabilities/${VOLUME_HOST}`, '/v3/os-hosts', `/v3/os-hosts/${VOLUME_HOST}`]) {
      expect((await s.request('GET', url, { token: `member:${s.projectId}` })).status, url).to.equal(403);
    }
    expect((await s.request('GET', '/v3/clusters', { token: `member:${s.projectId}`, mv: '3.7' })).status).to.equal(403);
    expect((await s.request('POST', '/v3/workers/cleanup', { token: `member:${s.projectId}`, mv: '3.24', body: {} })).status).to.equal(403);
  });
});

describe('API: scheduling by extra specs', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ quota: { volumes: 100 } });
  });
  after(async () => {
    await s.close();
  });

  async function createOfType(name: string, extraSpecs: Record<string, string>): Promise<{ status: string; host: string | null; id: string }> {
    const t = await s.request('POST', '/v3/types', { body: { volume_type: { name, extra_specs: extraSpecs } } });
    expect(t.status, t.text).to.equal(200);
    const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, volume_type: name } } });
    expect(v.status, v.text).to.equal(202);
    const done = (await s.waitForVolume(v.body.volume.id, ['available', 'error'])).body.volume;
    return { status: done.status, host: done['os-vol-host-attr:host'], id: done.id };
  }

  it("places volumes whose types ask for what the backend offers (Tempest's storage_protocol and vendor_name, operators, scopes)", async () => {
    for (const [name, specs] of [
      ['tempest-like', { storage_protocol: 'iSCSI', vendor_name: 'Open Source' }],
      ['prefixed', { 'capabilities:storage_protocol': 'iscsi', 'capabilities:volume_backend_name': 'file' }],
      ['by-backend', { volume_backend_name: 'file' }],
      ['operators', { thin_provisioning_support: '<is> False', multiattach: '<is> True', free_capacity_gb: '>= 0', vendor_name: '<in> Source' }],
      ['or', { storage_protocol: '<or> FC <or> iSCSI' }],
      ['foreign-scope', { 'vendor:tier': 'gold', 'RESKEY:availability_zones': 'elsewhere' }],
    ] as const) {
      const v = await createOfType(name, specs);
      expect(v, name).to.deep.include({ status: 'available', host: POOL });
    }
  });

  it('puts a volume whose type no backend serves in error with "No valid backend" (VOLUME_VOLUME_001_003), never available', async () => {
    for (const [name, specs] of [
      ['other-backend', { volume_backend_name: 'lvmdriver-1' }],
      ['thin', { thin_provisioning_support: '<is> True' }],
      ['fc', { 'capabilities:storage_protocol': 'FC' }],
      ['unknown-capability', { tier: 'gold' }],
      ['vendor', { vendor_name: 'Acme' }],
    ] as const) {
      const v = await createOfType(name, specs);
      expect(v, name).to.deep.include({ status: 'error', host: null });
      const m = await s.request('GET', `/v3/messages?resource_uuid=${v.id}`, { mv: '3.5' });
      expect(
        m.body.messages.map((x: { event_id: string }) => x.event_id),
        name,
      ).to.deep.equal(['VOLUME_VOLUME_001_003']);
    }
  });
});

describe('API: scheduling before any backend reported, and among backends that differ', () => {
  it('leaves a create untargeted when no cinder-volume has reported; the worker that takes it checks the type itself', async () => {
    const s = await startServer({}, { worker: false });
    try {
      fs.mkdirSync(s.config.backend.path, { recursive: true }); // what the unstarted worker's start would do
      await s.request('POST', '/v3/types', { body: { volume_type: { name: 'fc', extra_specs: { storage_protocol: 'FC' } } } });
      const ok = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      const refused = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, volume_type: 'fc' } } });
      expect(refused.body.volume.status).to.equal('creating');
      expect(await s.worker.drain()).to.equal(2);
      expect((await s.request('GET', `/v3/volumes/${ok.body.volume.id}`)).body.volume.status).to.equal('available');
      expect((await s.request('GET', `/v3/volumes/${refused.body.volume.id}`)).body.volume.status).to.equal('error');
      const m = await s.request('GET', `/v3/messages?resource_uuid=${refused.body.volume.id}`, { mv: '3.5' });
      expect(m.body.messages.map((x: { user_message: string }) => x.user_message)).to.deep.equal([
        'schedule allocate volume:Could not find any available weighted backend.',
      ]);
    } finally {
      await s.close();
    }
  });

  it('targets the create at a qualifying pool when some backend that could claim it does not qualify (another zone)', async () => {
    const s = await startServer();
    const backendPath = tmpDir('volume-api-zone2-');
    const config = loadConfig({
      argv: [],
      env: {},
      overrides: { data_dir: s.dataDir, backend: { path: backendPath }, worker: { host: 'storage2' }, storage_availability_zone: 'other' },
    });
    const other = new WorkerLoop(
      s.services.store,
      new BackendSet(config).all[0],
      s.services.quota,
      config,
      createLogger('volume-worker', 'warn', fs.createWriteStream(path.join(s.dataDir, 'w2.log'))),
    );
    try {
      await other.start();
      await other.stop(); // it has reported (enabled, zone "other") but claims nothing during the check below
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      const [op] = await s.services.store.db.selectFrom('operations').select(['host', 'backend']).where('resource_id', '=', v.body.volume.id).execute();
      expect(op).to.deep.equal({ host: POOL, backend: null });
      expect(await other.drain()).to.equal(0);
      expect((await s.waitForVolume(v.body.volume.id, ['available'])).body.volume['os-vol-host-attr:host']).to.equal(POOL);
    } finally {
      await other.stop();
      await s.close();
      fs.rmSync(backendPath, { recursive: true, force: true });
    }
  });
});

describe('API: os-hosts', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  it('lists the enabled services as hosts, with the api-ref keys', async () => {
    const r = await s.request('GET', '/v3/os-hosts');
    expect(r.status).to.equal(200);
    expect(r.body.hosts.map((h: { host_name: string; service: string }) => [h.service, h.host_name]).sort()).to.deep.equal(
      [
        ['cinder-backup', HOST],
        ['cinder-scheduler', HOST],
        ['cinder-volume', VOLUME_HOST],
      ].sort(),
    );
    for (const h of r.body.hosts) {
      expect(Object.keys(h).sort()).to.deep.equal(['host_name', 'last-update', 'service', 'service-state', 'service-status', 'zone']);
      expect(h).to.include({ zone: 'nova', 'service-status': 'available', 'service-state': 'enabled' });
    }
    expect((await s.request('GET', '/v3/os-hosts?zone=elsewhere')).body.hosts).to.deep.equal([]);
    // A disabled service is not listed.
    await s.request('PUT', '/v3/os-services/disable', { body: { host: HOST, binary: 'cinder-backup' } });
    expect((await s.request('GET', '/v3/os-hosts')).body.hosts.map((h: { service: string }) => h.service)).to.not.include('cinder-backup');
    await s.request('PUT', '/v3/os-services/enable', { body: { host: HOST, binary: 'cinder-backup' } });
  });

  it('shows the volume and snapshot totals of a cinder-volume host, in total and per project, as strings', async () => {
    const a = await s.request('POST', '/v3/volumes', { body: { volume: { size: 2 } } });
    const b = await s.request('POST', `/v3/volumes`, { body: { volume: { size: 3 } }, token: 'admin:other-project' });
    await s.waitForVolume(a.body.volume.id, ['available']);
    await s.waitForVolume(b.body.volume.id, ['available']);
    const snap = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: a.body.volume.id } } });
    expect(snap.status).to.equal(202);
    const r = await s.request('GET', `/v3/os-hosts/${VOLUME_HOST}`);
    expect(r.status).to.equal(200);
    const row = (project: string, vc: number, vgb: number, sc: number, sgb: number) => ({
      resource: {
        host: VOLUME_HOST,
        project,
        volume_count: String(vc),
        total_volume_gb: String(vgb),
        snapshot_count: String(sc),
        total_snapshot_gb: String(sgb),
      },
    });
    expect(r.body.host[0]).to.deep.equal(row('(total)', 2, 5, 1, 2));
    expect(r.body.host.slice(1)).to.have.deep.members([row(s.projectId, 1, 2, 1, 2), row('other-project', 1, 3, 0, 0)]);
    const missing = await s.request('GET', '/v3/os-hosts/nowhere');
    expect(missing.body).to.deep.equal({ itemNotFound: { code: 404, message: 'Service cinder-volume could not be found on host nowhere.' } });
  });
});

describe('API: clusters (3.7)', () => {
  it('has none without a cluster name; a worker with worker.cluster forms <cluster>@<backend> for its volume service only (as Cinder), which can be disabled', async () => {
    const plain = await startServer();
    try {
      expect((await plain.request('GET', '/v3/clusters', { mv: '3.6' })).status).to.equal(404);
      expect((await plain.request('GET', '/v3/clusters', { mv: '3.7' })).body).to.deep.equal({ clusters: [] });
    } finally {
      await plain.close();
    }
    const s = await startServer({ worker: { cluster: 'c1' } });
    try {
      const name = 'c1@file';
      expect((await s.request('GET', '/v3/clusters', { mv: '3.7' })).body).to.deep.equal({
        clusters: [{ name, binary: 'cinder-volume', state: 'up', status: 'enabled' }],
      });
      const detail = (await s.request('GET', `/v3/clusters/${name}`, { mv: '3.7' })).body.cluster;
      expect(Object.keys(detail).sort()).to.deep.equal(
        ['binary', 'created_at', 'disabled_reason', 'last_heartbeat', 'name', 'num_down_hosts', 'num_hosts', 'state', 'status', 'updated_at'].sort(),
      );
      expect(detail).to.include({ num_hosts: 1, num_down_hosts: 0, disabled_reason: null, updated_at: '' });
      expect((await s.request('GET', '/v3/clusters/detail', { mv: '3.26' })).body.clusters[0]).to.include({
        replication_status: 'disabled',
        frozen: false,
        active_backend_id: null,
      });
      expect((await s.request('GET', '/v3/clusters?is_up=false', { mv: '3.7' })).body.clusters).to.deep.equal([]);
      expect((await s.request('GET', '/v3/clusters?binary=cinder-volume&num_hosts=1', { mv: '3.7' })).body.clusters).to.have.length(1);
      const badKey = await s.request('GET', '/v3/clusters?size=1', { mv: '3.7' });
      expect(badKey.body).to.deep.equal({ badRequest: { code: 400, message: 'Invalid input received: Invalid filter keys: size' } });
      // The services list shows the cluster from 3.7.
      const svc = (await s.request('GET', '/v3/os-services', { mv: '3.7' })).body.services.find((x: { binary: string }) => x.binary === 'cinder-volume');
      expect(svc.cluster).to.equal(name);

      const disabled = await s.request('PUT', '/v3/clusters/disable', { body: { name, disabled_reason: ' maintenance ' }, mv: '3.7' });
      expect(disabled.body).to.deep.equal({ cluster: { name, binary: 'cinder-volume', state: 'up', status: 'disabled', disabled_reason: 'maintenance' } });
      // No new volume while its only backend's cluster is disabled.
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      expect((await s.waitForVolume(v.body.volume.id, ['error', 'available'])).body.volume.status).to.equal('error');
      const enabled = await s.request('PUT', '/v3/clusters/enable', { body: { name }, mv: '3.7' });
      expect(enabled.body.cluster).to.include({ status: 'enabled', disabled_reason: null });
      const w = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      expect((await s.waitForVolume(w.body.volume.id, ['error', 'available'])).body.volume.status).to.equal('available');

      const missing = await s.request('GET', '/v3/clusters/nope', { mv: '3.7' });
      expect(missing.body).to.deep.equal({ itemNotFound: { code: 404, message: "Cluster {'binary': 'cinder-volume', 'name': 'nope'} could not be found." } });
      expect((await s.request('PUT', '/v3/clusters/reboot', { body: { name }, mv: '3.7' })).body).to.deep.equal({
        itemNotFound: { code: 404, message: 'Unknown action' },
      });
    } finally {
      await s.close();
    }
  });
});

describe('API: workers cleanup (3.24)', () => {
  it("requeues the running operations of down services (not the up ones'), answering which it cleaned", async () => {
    const s = await startServer();
    try {
      expect((await s.request('POST', '/v3/workers/cleanup', { body: {}, mv: '3.23' })).status).to.equal(404);
      const db = s.services.store.db;
      // A storage host that reported once, long ago, and died holding an operation with a long lease.
      await insertDeadVolumeService(s);
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      await s.waitForVolume(v.body.volume.id, ['available']);
      const lease = nowIso(new Date(Date.now() + 3600_000));
      const op = (owner: string, host: string) => ({
        id: `${owner.split('/')[0]}-op`,
        kind: 'extend_volume',
        resource_type: 'volume',
        resource_id: v.body.volume.id,
        state: 'running',
        owner,
        lease_expires_at: lease,
        attempts: 1,
        payload: '{}',
        error: null,
        created_at: nowIso(),
        updated_at: nowIso(),
        request_id: null,
        host,
        backend: null,
      });
      await db
        .insertInto('operations')
        .values([op('ghost/4242/dead', 'ghost@file#file'), op(`${HOST}/4242/live`, POOL)])
        .execute();

      const r = await s.request('POST', '/v3/workers/cleanup', { body: {}, mv: '3.24' });
      expect(r.status).to.equal(202);
      expect(r.body).to.deep.equal({ cleaning: [{ id: 100, host: 'ghost@file', binary: 'cinder-volume', cluster_name: null }], unavailable: [] });
      const states = await db
        .selectFrom('operations')
        .select(['id', 'state', 'owner'])
        .where('id', 'in', ['ghost-op', `${HOST}-op`])
        .orderBy('id')
        .execute();
      expect(Object.fromEntries(states.map((o) => [o.id, [o.state, o.owner]]))).to.deep.equal({
        'ghost-op': ['pending', null],
        [`${HOST}-op`]: ['running', `${HOST}/4242/live`],
      });
      await db
        .deleteFrom('operations')
        .where('id', 'in', ['ghost-op', `${HOST}-op`])
        .execute();

      const bad = await s.request('POST', '/v3/workers/cleanup', { body: { resource_type: 'backup' }, mv: '3.24' });
      expect(bad.body).to.deep.equal({
        badRequest: { code: 400, message: 'Invalid input received: Resource type Backup not valid, must be Volume or Snapshot' },
      });
      const binary = await s.request('POST', '/v3/workers/cleanup', { body: { binary: 'cinder-backup' }, mv: '3.24' });
      expect(binary.status).to.equal(400);
    } finally {
      await s.close();
    }
  });
});
