/*
 * Several worker hosts on one store (issue 8): a volume belongs to the worker host that placed it
 * (`os-vol-host-attr:host`, Cinder's host@backend#pool), and every later operation on its storage runs
 * on that host only. Two in-process workers with their own host names and their own backend
 * directories stand for two storage hosts; `drain()` lets each run what it may, deterministically.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, tmpDir, type TestServer } from '../lib/server';
import { loadConfig } from '../../src/config';
import { createLogger } from '../../src/log';
import { BackendSet } from '../../src/worker/backends';
import { WorkerLoop } from '../../src/worker/worker-loop';
import * as volumeViews from '../../src/api/views/volumes';
import { ApiVersion } from '../../src/api/microversions';
import type { RequestContext } from '../../src/context';

interface Host {
  worker: WorkerLoop;
  backendPath: string;
}

async function workerHost(s: TestServer, name: string): Promise<Host> {
  const backendPath = tmpDir(`volume-api-${name}-`);
  const config = loadConfig({ argv: [], env: {}, overrides: { data_dir: s.dataDir, backend: { path: backendPath }, worker: { host: name } } });
  const log = createLogger('volume-worker', 'warn', fs.createWriteStream(path.join(s.dataDir, `${name}.log`)));
  const backend = new BackendSet(config).all[0];
  await backend.init();
  return { worker: new WorkerLoop(s.services.store, backend, s.services.quota, config, log), backendPath };
}

describe('volume workers on several hosts', () => {
  let s: TestServer;
  let one: Host;
  let two: Host;

  before(async () => {
    // The server's own worker stays stopped: only the two hosts below run operations.
    s = await startServer({}, { worker: false });
    one = await workerHost(s, 'storage1');
    two = await workerHost(s, 'storage2');
  });

  after(async () => {
    await s.close();
    for (const h of [one, two]) if (h) fs.rmSync(h.backendPath, { recursive: true, force: true });
  });

  const pendingOps = () =>
    s.services.store.db.selectFrom('operations').selectAll().where('state', 'in', ['pending', 'running']).orderBy('created_at').execute();

  async function create(name: string): Promise<string> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name } } });
    expect(r.status).to.equal(202);
    return r.body.volume.id as string;
  }

  async function show(id: string) {
    return (await s.request('GET', `/v3/volumes/${id}`)).body.volume;
  }

  it('names its host string after worker.host and the backend, and leaves creates from nothing to any host', async () => {
    expect(one.worker.scope).to.deep.equal({ host: 'storage1@file#file', backend: 'file' });
    const id = await create('untargeted');
    const [op] = await pendingOps();
    expect(op).to.include({ kind: 'create_volume', host: null, backend: null });
    expect(await two.worker.drain()).to.equal(1);
    const v = await show(id);
    expect(v.status).to.equal('available');
    expect(v['os-vol-host-attr:host']).to.equal('storage2@file#file');
    expect(fs.existsSync(path.join(two.backendPath, `volume-${id}`))).to.equal(true);
    expect(fs.existsSync(path.join(one.backendPath, `volume-${id}`))).to.equal(false);
  });

  it('runs extend, snapshot, clone and delete of a volume only on the host that owns it', async () => {
    const a = await create('on-one');
    expect(await one.worker.drain()).to.equal(1);
    expect((await show(a))['os-vol-host-attr:host']).to.equal('storage1@file#file');

    expect((await s.request('POST', `/v3/volumes/${a}/action`, { body: { 'os-extend': { new_size: 2 } } })).status).to.equal(202);
    expect((await pendingOps()).map((o) => [o.kind, o.host])).to.deep.equal([['extend_volume', 'storage1@file#file']]);
    // The other host never takes it, however often it looks.
    expect(await two.worker.drain()).to.equal(0);
    expect(await two.worker.drain()).to.equal(0);
    expect((await show(a)).status).to.equal('extending');
    expect(await one.worker.drain()).to.equal(1);
    expect((await show(a)).size).to.equal(2);

    // A snapshot lives beside its volume.
    const snap = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: a, name: 'snap' } } });
    expect(snap.status).to.equal(202);
    expect((await pendingOps()).map((o) => [o.kind, o.host])).to.deep.equal([['create_snapshot', 'storage1@file#file']]);
    expect(await two.worker.drain()).to.equal(0);
    expect(await one.worker.drain()).to.equal(1);
    expect((await s.request('GET', `/v3/snapshots/${snap.body.snapshot.id}`)).body.snapshot.status).to.equal('available');

    // A clone is made where its source lives, and is then owned by that host.
    const clone = await s.request('POST', '/v3/volumes', { body: { volume: { size: 2, source_volid: a } } });
    expect(clone.status).to.equal(202);
    expect((await pendingOps()).map((o) => [o.kind, o.host])).to.deep.equal([['create_volume', 'storage1@file#file']]);
    expect(await two.worker.drain()).to.equal(0);
    expect(await one.worker.drain()).to.equal(1);
    expect((await show(clone.body.volume.id))['os-vol-host-attr:host']).to.equal('storage1@file#file');

    // Snapshot delete and volume deletes: the owner's again.
    expect((await s.request('DELETE', `/v3/snapshots/${snap.body.snapshot.id}`)).status).to.equal(202);
    expect(await two.worker.drain()).to.equal(0);
    expect(await one.worker.drain()).to.equal(1);
    for (const id of [a, clone.body.volume.id as string]) expect((await s.request('DELETE', `/v3/volumes/${id}`)).status).to.equal(202);
    expect((await pendingOps()).every((o) => o.kind === 'delete_volume' && o.host === 'storage1@file#file')).to.equal(true);
    expect(await two.worker.drain()).to.equal(0);
    expect(await one.worker.drain()).to.equal(2);
    expect((await s.request('GET', `/v3/volumes/${a}`)).status).to.equal(404);
    expect(fs.existsSync(path.join(one.backendPath, `volume-${a}`))).to.equal(false);
  });

  it('keeps the claim atomic when both hosts race for untargeted creates', async () => {
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => create(`race-${i}`)));
    const [n1, n2] = await Promise.all([one.worker.drain(), two.worker.drain()]);
    expect(n1 + n2).to.equal(6);
    const hosts = await Promise.all(ids.map(async (id) => (await show(id))['os-vol-host-attr:host']));
    for (const [i, id] of ids.entries()) {
      const owner = hosts[i] === 'storage1@file#file' ? one : two;
      expect(fs.existsSync(path.join(owner.backendPath, `volume-${id}`)), `volume ${id} on its owner`).to.equal(true);
    }
    const ops = await s.services.store.db.selectFrom('operations').selectAll().where('resource_id', 'in', ids).execute();
    expect(ops.every((o) => o.state === 'succeeded' && o.attempts === 1)).to.equal(true);
  });

  it('leaves operations written before migration 0005 (no host) claimable by any worker', async () => {
    const id = await create('legacy');
    await s.services.store.db.updateTable('operations').set({ host: null, backend: null }).where('resource_id', '=', id).execute();
    expect(await one.worker.drain()).to.equal(1);
  });

  it('shows the owning host to admins only', async () => {
    const id = await create('view');
    await one.worker.drain();
    const admin: RequestContext = { userId: 'u', projectId: s.projectId, isAdmin: true, roles: ['admin'], requestId: 'req-admin' };
    const member: RequestContext = { ...admin, isAdmin: false, roles: ['member'], requestId: 'req-member' };
    const view = (ctx: RequestContext) =>
      volumeViews.detail({ version: ApiVersion.parse('3.0'), isAdmin: ctx.isAdmin, projectId: ctx.projectId, baseUrl: s.url }, rec, { adminKeys: true });
    const rec = await s.services.volumes.get(member, id);
    expect(view(admin)['os-vol-host-attr:host']).to.equal('storage1@file#file');
    expect(view(member)).not.to.have.property('os-vol-host-attr:host');
  });
});
