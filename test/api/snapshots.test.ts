/*
 * Snapshots through the API: every route, status codes, bodies against Cinder's samples (key sets),
 * status rules and their messages, quota (counts and gigabytes, 413), microversion gating, bad input
 * (a 4xx naming the problem, nothing changed), volume create from a snapshot, volume delete with
 * snapshots (cascade), and revert through the service method the volume-action route calls.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { startServer, sample, type Reply, type RequestOptions, type TestServer } from '../lib/server';
import type { RequestContext } from '../../src/context';
import { ApiVersion } from '../../src/api/microversions';
import { LIST_RESOURCES, parseListQuery } from '../../src/api/list-query';

const IN_USE_MSG =
  "Since microversion 3.66 the 'force' flag is invalid for this request.  For backward compatability, however, when the 'force' flag is passed with a value evaluating to True, it is silently ignored.";
const DELETE_SNAPSHOT_MSG = 'Invalid snapshot: Snapshot status must be available or error and must not be part of a group.';
const VOLUME_DELETE_MSG =
  /^Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots/;
const MISSING = '00000000-0000-4000-8000-000000000000';

function keysOf(file: string, list = false): string[] {
  const body = sample(`snapshots/${file}`) as Record<string, unknown>;
  const item = list ? (body.snapshots as Record<string, unknown>[])[0] : (body.snapshot as Record<string, unknown>);
  return Object.keys(item).sort();
}

const sorted = (o: Record<string, unknown>) => Object.keys(o).sort();

/** A server whose worker runs only when the test calls `drain()`. */
async function startIdle(): Promise<TestServer> {
  const p = await startServer({}, { worker: false });
  fs.mkdirSync(p.config.backend.path, { recursive: true });
  return p;
}

describe('API: snapshots', () => {
  let s: TestServer;

  before(async () => {
    s = await startServer({ quota: { volumes: 100, snapshots: 100, gigabytes: 10000 } });
  });
  after(async () => {
    await s.close();
  });

  async function volume(size = 1, extra: Record<string, unknown> = {}, token?: string): Promise<string> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size, ...extra } }, token });
    expect(r.status, r.text).to.equal(202);
    await waitVolume(r.body.volume.id, ['available'], token);
    return r.body.volume.id;
  }

  async function waitVolume(id: string, statuses: string[], token?: string): Promise<Reply> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await s.request('GET', `/v3/volumes/${id}`, { token });
      if (r.status === 404 && statuses.includes('deleted')) return r;
      if (r.status === 200 && statuses.includes(r.body.volume.status)) return r;
      if (Date.now() > deadline) throw new Error(`volume ${id} did not reach ${statuses.join('|')}: ${r.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async function waitSnapshot(id: string, statuses: string[], token?: string): Promise<Reply> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await s.request('GET', `/v3/snapshots/${id}`, { token });
      if (r.status === 404 && statuses.includes('deleted')) return r;
      if (r.status === 200 && statuses.includes(r.body.snapshot.status)) return r;
      if (Date.now() > deadline) throw new Error(`snapshot ${id} did not reach ${statuses.join('|')}: ${r.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async function snapshot(volumeId: string, extra: Record<string, unknown> = {}, opts: RequestOptions = {}): Promise<string> {
    const r = await s.request('POST', '/v3/snapshots', { ...opts, body: { snapshot: { volume_id: volumeId, ...extra } } });
    expect(r.status, r.text).to.equal(202);
    await waitSnapshot(r.body.snapshot.id, ['available'], opts.token ?? undefined);
    return r.body.snapshot.id;
  }

  async function setVolume(id: string, changes: Record<string, unknown>): Promise<void> {
    await s.services.store.db.updateTable('volumes').set(changes).where('id', '=', id).execute();
  }

  async function setSnapshot(id: string, changes: Record<string, unknown>): Promise<void> {
    await s.services.store.db.updateTable('snapshots').set(changes).where('id', '=', id).execute();
  }

  async function fault(method: string, path: string, opts: RequestOptions, status: number, key: string, message: string | RegExp): Promise<Reply> {
    const r = await s.request(method, path, opts);
    expect(r.status, r.text).to.equal(status);
    expect(Object.keys(r.body)).to.deep.equal([key]);
    expect(r.body[key].code).to.equal(status);
    if (typeof message === 'string') expect(r.body[key].message).to.equal(message);
    else expect(r.body[key].message).to.match(message);
    return r;
  }

  describe('create, show, update, delete', () => {
    it('creates a snapshot: 202, detail view of the sample, creating, then available with progress 100%', async () => {
      const vol = await volume(2);
      const req = sample('snapshots/snapshot-create-request.json') as { snapshot: Record<string, unknown> };
      const r = await s.request('POST', '/v3/snapshots', { body: { snapshot: { ...req.snapshot, volume_id: vol, name: '  snap-001  ' } } });
      expect(r.status, r.text).to.equal(202);
      expect(sorted(r.body.snapshot)).to.deep.equal(keysOf('snapshot-create-response.json'));
      expect(r.body.snapshot).to.include({ name: 'snap-001', description: 'Daily backup', volume_id: vol, status: 'creating', size: 2, updated_at: null });
      expect(r.body.snapshot.metadata).to.deep.equal({ key: 'v3' });
      expect(r.body.snapshot.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
      const shown = await waitSnapshot(r.body.snapshot.id, ['available']);
      expect(sorted(shown.body.snapshot)).to.deep.equal(keysOf('snapshot-show-response.json'));
      expect(shown.body.snapshot['os-extended-snapshot-attributes:progress']).to.equal('100%');
      expect(shown.body.snapshot['os-extended-snapshot-attributes:project_id']).to.equal(s.projectId);
    });

    it('shows progress 0% while creating (no worker)', async () => {
      const p = await startIdle();
      try {
        const v = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
        await p.worker.drain();
        const r = await p.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } });
        const shown = await p.request('GET', `/v3/snapshots/${r.body.snapshot.id}`);
        expect(shown.body.snapshot).to.include({ status: 'creating', 'os-extended-snapshot-attributes:progress': '0%' });
      } finally {
        await p.close();
      }
    });

    it('adds group_snapshot_id (3.14), user_id (3.41) and consumes_quota (3.65) to create, show, update and detail lists', async () => {
      const vol = await volume();
      for (const [mv, dir] of [
        ['3.13', ''],
        ['3.14', 'v3.14/'],
        ['3.40', 'v3.14/'],
        ['3.41', 'v3.41/'],
        ['3.64', 'v3.41/'],
        ['3.65', 'v3.65/'],
        ['3.70', 'v3.65/'],
      ]) {
        const c = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, force: true } }, mv });
        expect(c.status, c.text).to.equal(202);
        expect(sorted(c.body.snapshot), `create ${mv}`).to.deep.equal(keysOf(`${dir}snapshot-create-response.json`));
        const id = c.body.snapshot.id;
        await waitSnapshot(id, ['available']);
        const show = await s.request('GET', `/v3/snapshots/${id}`, { mv });
        expect(sorted(show.body.snapshot), `show ${mv}`).to.deep.equal(keysOf(`${dir}snapshot-show-response.json`));
        const upd = await s.request('PUT', `/v3/snapshots/${id}`, { body: { snapshot: { name: 'n' } }, mv });
        expect(sorted(upd.body.snapshot), `update ${mv}`).to.deep.equal(keysOf(`${dir}snapshot-update-response.json`));
        const detail = await s.request('GET', `/v3/snapshots/detail?volume_id=${vol}`, { mv });
        for (const item of detail.body.snapshots)
          expect(sorted(item), `detail ${mv}`).to.deep.equal(keysOf(`${dir}snapshots-list-detailed-response.json`, true));
        const summary = await s.request('GET', `/v3/snapshots?volume_id=${vol}`, { mv });
        for (const item of summary.body.snapshots) expect(sorted(item), `list ${mv}`).to.deep.equal(keysOf('snapshots-list-response.json', true));
        if (mv >= '3.41') expect(show.body.snapshot.user_id).to.equal('admin');
        if (mv >= '3.65') expect(show.body.snapshot.consumes_quota).to.equal(true);
        if (mv >= '3.14') expect(show.body.snapshot.group_snapshot_id).to.equal(null);
      }
    });

    it('answers with the project id in the path too', async () => {
      const id = await snapshot(await volume());
      const r = await s.request('GET', `/v3/${s.projectId}/snapshots/${id}`);
      expect(r.status).to.equal(200);
      expect(r.body.snapshot.id).to.equal(id);
    });

    it('updates name and description (display_* aliases; name wins), keeping the old updated_at in the answer', async () => {
      const id = await snapshot(await volume(), { name: 'old', description: 'old d' });
      const before = (await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot;
      const r = await s.request('PUT', `/v3/snapshots/${id}`, { body: sample('snapshots/snapshot-update-request.json') });
      expect(r.status).to.equal(200);
      expect(r.body.snapshot).to.include({ name: 'snap-002', description: 'This is yet, another snapshot.', updated_at: before.updated_at });
      const legacy = await s.request('PUT', `/v3/snapshots/${id}`, { body: { snapshot: { display_name: ' legacy ', display_description: 'ld' } } });
      expect(legacy.body.snapshot).to.include({ name: 'legacy', description: 'ld' });
      const both = await s.request('PUT', `/v3/snapshots/${id}`, { body: { snapshot: { name: 'wins', display_name: 'loses' } } });
      expect(both.body.snapshot.name).to.equal('wins');
      const shown = (await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot;
      expect(shown).to.include({ name: 'wins', description: 'ld' });
      expect(shown.updated_at).to.not.equal(before.updated_at);
      const cleared = await s.request('PUT', `/v3/snapshots/${id}`, { body: { snapshot: { description: null } } });
      expect(cleared.body.snapshot.description).to.equal(null);
    });

    it('deletes an available snapshot: 202 empty, deleting, then 404, quota given back', async () => {
      const vol = await volume(3);
      const id = await snapshot(vol);
      const used = (await s.request('GET', '/v3/limits')).body.limits.absolute;
      const r = await s.request('DELETE', `/v3/snapshots/${id}`);
      expect(r.status).to.equal(202);
      expect(r.text).to.equal('');
      await waitSnapshot(id, ['deleted']);
      await fault('GET', `/v3/snapshots/${id}`, {}, 404, 'itemNotFound', `Snapshot ${id} could not be found.`);
      const after = (await s.request('GET', '/v3/limits')).body.limits.absolute;
      expect(after.totalSnapshotsUsed).to.equal(used.totalSnapshotsUsed - 1);
      expect(after.totalGigabytesUsed).to.equal(used.totalGigabytesUsed - 3);
    });

    it("deletes a snapshot in error; refuses one in another status with Cinder's message", async () => {
      const id = await snapshot(await volume());
      for (const status of ['creating', 'deleting', 'error_deleting', 'restoring', 'backing-up']) {
        await setSnapshot(id, { status });
        await fault('DELETE', `/v3/snapshots/${id}`, {}, 400, 'badRequest', DELETE_SNAPSHOT_MSG);
        expect((await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot.status).to.equal(status);
      }
      await setSnapshot(id, { status: 'error' });
      expect((await s.request('DELETE', `/v3/snapshots/${id}`)).status).to.equal(202);
      await waitSnapshot(id, ['deleted']);
    });

    it('404s for unknown snapshots on every route', async () => {
      const msg = `Snapshot ${MISSING} could not be found.`;
      await fault('GET', `/v3/snapshots/${MISSING}`, {}, 404, 'itemNotFound', msg);
      await fault('PUT', `/v3/snapshots/${MISSING}`, { body: { snapshot: { name: 'x' } } }, 404, 'itemNotFound', msg);
      await fault('DELETE', `/v3/snapshots/${MISSING}`, {}, 404, 'itemNotFound', msg);
      await fault('POST', `/v3/snapshots/${MISSING}/action`, { body: { 'os-force_delete': {} } }, 404, 'itemNotFound', msg);
      await fault('GET', `/v3/snapshots/${MISSING}/metadata`, {}, 404, 'itemNotFound', msg);
      await fault('POST', `/v3/snapshots/${MISSING}/metadata`, { body: { metadata: { a: 'b' } } }, 404, 'itemNotFound', msg);
      await fault('PUT', `/v3/snapshots/${MISSING}/metadata`, { body: { metadata: { a: 'b' } } }, 404, 'itemNotFound', msg);
      await fault('GET', `/v3/snapshots/${MISSING}/metadata/a`, {}, 404, 'itemNotFound', msg);
      await fault('PUT', `/v3/snapshots/${MISSING}/metadata/a`, { body: { meta: { a: 'b' } } }, 404, 'itemNotFound', msg);
      await fault('DELETE', `/v3/snapshots/${MISSING}/metadata/a`, {}, 404, 'itemNotFound', msg);
      await fault('POST', '/v3/snapshots', { body: { snapshot: { volume_id: MISSING } } }, 404, 'itemNotFound', `Volume ${MISSING} could not be found.`);
      await fault('POST', '/v3/snapshots', { body: { snapshot: { volume_id: null } } }, 404, 'itemNotFound', 'Volume None could not be found.');
      await fault('PATCH', `/v3/snapshots/${MISSING}`, { body: {} }, 405, 'badMethod', /not allowed/);
    });
  });

  describe('status rules of the volume, and force (3.66)', () => {
    it('in-use needs force=true below 3.66; from 3.66 it is allowed without force and force=false is a 400', async () => {
      const vol = await volume();
      await setVolume(vol, { status: 'in-use' });
      const msg = `Invalid volume: Volume ${vol} status must be available, but current status is: in-use.`;
      await fault('POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol } } }, 400, 'badRequest', msg);
      await fault('POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, force: false } }, mv: '3.65' }, 400, 'badRequest', msg);
      await fault('POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, force: 'false' } }, mv: '3.66' }, 400, 'badRequest', IN_USE_MSG);
      await fault('POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, force: false } }, mv: '3.70' }, 400, 'badRequest', IN_USE_MSG);
      // force=false is a 400 from 3.66 even for an available volume
      const avail = await volume();
      await fault('POST', '/v3/snapshots', { body: { snapshot: { volume_id: avail, force: 'no' } }, mv: '3.66' }, 400, 'badRequest', IN_USE_MSG);
      for (const [force, mv] of [
        [true, '3.0'],
        ['True', '3.65'],
        ['yes', '3.0'],
        [undefined, '3.66'],
        [true, '3.66'],
        ['1', '3.70'],
      ] as const) {
        const r = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, ...(force === undefined ? {} : { force }) } }, mv });
        expect(r.status, `${force} ${mv}: ${r.text}`).to.equal(202);
        await waitSnapshot(r.body.snapshot.id, ['available']);
      }
    });

    it('404 for an unknown volume comes before the 3.66 force check', async () => {
      await fault(
        'POST',
        '/v3/snapshots',
        { body: { snapshot: { volume_id: MISSING, force: false } }, mv: '3.66' },
        404,
        'itemNotFound',
        `Volume ${MISSING} could not be found.`,
      );
    });

    it('refuses volumes in error, maintenance, migrating, not yet placed, or another status, naming it', async () => {
      const vol = await volume();
      const placedOn = (await s.request('GET', `/v3/volumes/${vol}`)).body.volume['os-vol-host-attr:host'];
      const cases: [Record<string, unknown>, string][] = [
        [{ status: 'error' }, 'Invalid volume: The snapshot cannot be created when the volume is in error status.'],
        [{ status: 'maintenance' }, 'Invalid volume: The snapshot cannot be created when the volume is in maintenance mode.'],
        [{ status: 'available', migration_status: 'migrating' }, 'Invalid volume: Snapshot cannot be created while volume is migrating.'],
        [
          { status: 'creating', migration_status: null, host: null },
          'Invalid volume: The snapshot cannot be created because volume has not been scheduled to any host.',
        ],
        [{ status: 'extending', host: 'h@file#file' }, `Invalid volume: Volume ${vol} status must be available, in-use, but current status is: extending.`],
        [{ status: 'reverting' }, `Invalid volume: Volume ${vol} status must be available, in-use, but current status is: reverting.`],
      ];
      for (const [changes, msg] of cases) {
        await setVolume(vol, changes);
        await fault('POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, force: true } } }, 400, 'badRequest', msg);
      }
      // available again, with migration_status success: allowed (back on its real host, whose worker
      // alone runs the snapshot: issue 8)
      await setVolume(vol, { status: 'available', migration_status: 'success', host: placedOn });
      await snapshot(vol);
      expect((await s.request('GET', `/v3/snapshots?volume_id=${vol}`)).body.snapshots).to.have.length(1);
    });
  });

  describe('lists', () => {
    let p: TestServer;
    const ids: Record<string, string> = {};
    let vol1: string;
    let vol2: string;

    before(async () => {
      p = await startServer({ quota: { snapshots: 50 } });
      const mk = async (size: number) => {
        const r = await p.request('POST', '/v3/volumes', { body: { volume: { size } } });
        await p.waitForVolume(r.body.volume.id, ['available']);
        return r.body.volume.id as string;
      };
      vol1 = await mk(1);
      vol2 = await mk(2);
      const specs: [string, string, Record<string, string>][] = [
        ['alpha', vol1, { env: 'prod' }],
        ['beta', vol2, { env: 'dev' }],
        ['gamma', vol1, { env: 'prod', tier: 'web' }],
        ['alphabet', vol2, {}],
      ];
      for (const [name, volumeId, metadata] of specs) {
        const r = await p.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: volumeId, name, metadata } } });
        ids[name] = r.body.snapshot.id;
        await new Promise((res) => setTimeout(res, 3));
      }
      const ov = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } }, token: 'u2:ffff0000' });
      await new Promise((res) => setTimeout(res, 200));
      const os = await p.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: ov.body.volume.id, name: 'foreign' } }, token: 'u2:ffff0000' });
      expect(os.status, os.text).to.equal(202);
      ids.foreign = os.body.snapshot.id;
      await new Promise((res) => setTimeout(res, 200));
    });
    after(async () => {
      await p.close();
    });

    const names = (r: Reply) => r.body.snapshots.map((x: { name: string }) => x.name);

    it("lists the caller's project, newest first, summary and detail shapes of the samples", async () => {
      const r = await p.request('GET', '/v3/snapshots');
      expect(r.status).to.equal(200);
      expect(names(r)).to.deep.equal(['alphabet', 'gamma', 'beta', 'alpha']);
      expect(sorted(r.body.snapshots[0])).to.deep.equal(keysOf('snapshots-list-response.json', true));
      expect(r.body).to.not.have.property('snapshots_links');
      expect(r.body).to.not.have.property('count');
      const d = await p.request('GET', '/v3/snapshots/detail');
      expect(sorted(d.body.snapshots[0])).to.deep.equal(keysOf('snapshots-list-detailed-response.json', true));
    });

    it('filters by name, status, volume_id; name~ from 3.34; display_name alias', async () => {
      expect(names(await p.request('GET', '/v3/snapshots?name=beta'))).to.deep.equal(['beta']);
      expect(names(await p.request('GET', '/v3/snapshots?display_name=beta'))).to.deep.equal(['beta']);
      expect(names(await p.request('GET', `/v3/snapshots?volume_id=${vol1}`))).to.deep.equal(['gamma', 'alpha']);
      expect(names(await p.request('GET', '/v3/snapshots?status=available'))).to.have.length(4);
      expect(names(await p.request('GET', '/v3/snapshots?status=error'))).to.deep.equal([]);
      expect(names(await p.request('GET', '/v3/snapshots?name~=alph', { mv: '3.34' }))).to.deep.equal(['alphabet', 'alpha']);
      // below 3.34 `name~` is an unknown key: an admin's unknown filter matches nothing
      expect(names(await p.request('GET', '/v3/snapshots?name~=alph', { mv: '3.33' }))).to.deep.equal([]);
      expect(names(await p.request('GET', '/v3/snapshots?availability_zone=nova'))).to.have.length(4);
      expect(names(await p.request('GET', '/v3/snapshots?availability_zone=elsewhere'))).to.deep.equal([]);
    });

    it('filters by metadata from 3.22 (JSON or Python dict); below 3.22 the filter is ignored', async () => {
      expect(names(await p.request('GET', `/v3/snapshots?metadata=${encodeURIComponent('{"env": "prod"}')}`, { mv: '3.22' }))).to.deep.equal([
        'gamma',
        'alpha',
      ]);
      expect(names(await p.request('GET', `/v3/snapshots?metadata=${encodeURIComponent("{'env': 'prod', 'tier': 'web'}")}`, { mv: '3.70' }))).to.deep.equal([
        'gamma',
      ]);
      expect(names(await p.request('GET', `/v3/snapshots?metadata=${encodeURIComponent('{"env": "prod"}')}`, { mv: '3.21' }))).to.have.length(4);
      expect(names(await p.request('GET', '/v3/snapshots?metadata=notadict', { mv: '3.22' }))).to.deep.equal([]);
    });

    it('consumes_quota is a filter from 3.65 (strict boolean)', async () => {
      expect(names(await p.request('GET', '/v3/snapshots?consumes_quota=true', { mv: '3.65' }))).to.have.length(4);
      expect(names(await p.request('GET', '/v3/snapshots?consumes_quota=false', { mv: '3.65' }))).to.deep.equal([]);
      expect(names(await p.request('GET', '/v3/snapshots?consumes_quota=true', { mv: '3.64' }))).to.deep.equal([]);
      const bad = await p.request('GET', '/v3/snapshots?consumes_quota=maybe', { mv: '3.65' });
      expect(bad.status).to.equal(400);
      expect(bad.body.badRequest.message).to.match(/consumes_quota/);
    });

    it('sorts by name from 3.30 (display_name at every version); other keys and directions', async () => {
      expect(names(await p.request('GET', '/v3/snapshots?sort=name:asc', { mv: '3.30' }))).to.deep.equal(['alpha', 'alphabet', 'beta', 'gamma']);
      const old = await p.request('GET', '/v3/snapshots?sort=name:asc', { mv: '3.29' });
      expect(old.status).to.equal(400);
      expect(old.body.badRequest.message).to.equal('Invalid input received: Invalid sort key');
      expect(names(await p.request('GET', '/v3/snapshots?sort_key=display_name&sort_dir=desc'))).to.deep.equal(['gamma', 'beta', 'alphabet', 'alpha']);
      expect(names(await p.request('GET', '/v3/snapshots?sort=size:desc,name:asc', { mv: '3.30' }))).to.deep.equal(['alphabet', 'beta', 'alpha', 'gamma']);
      expect(names(await p.request('GET', '/v3/snapshots?sort=created_at:asc'))).to.deep.equal(['alpha', 'beta', 'gamma', 'alphabet']);
      const bad = await p.request('GET', '/v3/snapshots?sort=bogus');
      expect(bad.status).to.equal(400);
      expect(bad.body.badRequest.message).to.equal('Invalid input received: Invalid sort key');
      const dir = await p.request('GET', '/v3/snapshots?sort=name:sideways', { mv: '3.30' });
      expect(dir.status).to.equal(400);
    });

    it('pages with limit, marker and offset, with snapshots_links next links', async () => {
      const first = await p.request('GET', '/v3/snapshots/detail?limit=2&sort=name:asc', { mv: '3.30' });
      expect(names(first)).to.deep.equal(['alpha', 'alphabet']);
      const next = first.body.snapshots_links[0];
      expect(next.rel).to.equal('next');
      expect(next.href).to.equal(`${p.url}/v3/snapshots/detail?limit=2&sort=name%3Aasc&marker=${ids.alphabet}`);
      const second = await p.request('GET', next.href.slice(p.url.length), { mv: '3.30' });
      expect(names(second)).to.deep.equal(['beta', 'gamma']);
      const third = await p.request('GET', second.body.snapshots_links[0].href.slice(p.url.length), { mv: '3.30' });
      expect(names(third)).to.deep.equal([]);
      expect(third.body).to.not.have.property('snapshots_links');
      expect(names(await p.request('GET', '/v3/snapshots?limit=2&offset=1&sort=name:asc', { mv: '3.30' }))).to.deep.equal(['alphabet', 'beta']);
      const withPid = await p.request('GET', `/v3/${p.projectId}/snapshots?limit=1`);
      expect(withPid.body.snapshots_links[0].href).to.match(new RegExp(`^${p.url}/v3/${p.projectId}/snapshots\\?limit=1&marker=`));
      const unknown = await p.request('GET', `/v3/snapshots?marker=${MISSING}`);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.itemNotFound.message).to.equal(`Snapshot ${MISSING} could not be found.`);
      expect((await p.request('GET', '/v3/snapshots?limit=-1')).body.badRequest.message).to.equal('limit param must be positive');
      expect((await p.request('GET', '/v3/snapshots?limit=x')).body.badRequest.message).to.equal('limit param must be an integer');
      expect((await p.request('GET', '/v3/snapshots?offset=x')).body.badRequest.message).to.equal('offset param must be an integer');
    });

    it('counts with with_count from 3.45 (below, it is a filter key: an admin gets nothing)', async () => {
      const r = await p.request('GET', '/v3/snapshots?with_count=true&limit=1', { mv: '3.45' });
      expect(r.body.count).to.equal(4);
      expect(r.body.snapshots).to.have.length(1);
      expect(r.body.snapshots_links).to.have.length(1);
      const d = await p.request('GET', '/v3/snapshots/detail?with_count=true&name=beta', { mv: '3.70' });
      expect(d.body.count).to.equal(1);
      const old = await p.request('GET', '/v3/snapshots?with_count=true', { mv: '3.44' });
      expect(old.body).to.not.have.property('count');
      expect(old.body.snapshots).to.deep.equal([]);
    });

    it('admins see other projects with all_tenants or project_id', async () => {
      expect(names(await p.request('GET', '/v3/snapshots'))).to.not.include('foreign');
      expect(names(await p.request('GET', '/v3/snapshots?all_tenants=1'))).to.include.members(['foreign', 'alpha']);
      expect(names(await p.request('GET', '/v3/snapshots?project_id=ffff0000'))).to.deep.equal(['foreign']);
      const detail = await p.request('GET', '/v3/snapshots/detail?all_tenants=true&name=foreign');
      expect(detail.body.snapshots[0]['os-extended-snapshot-attributes:project_id']).to.equal('ffff0000');
    });
  });

  describe('metadata', () => {
    it('lists, merges, replaces, shows, updates and deletes keys with the sample bodies', async () => {
      const id = await snapshot(await volume(), { metadata: { key: 'v3' } });
      const list = await s.request('GET', `/v3/snapshots/${id}/metadata`);
      expect(list.status).to.equal(200);
      expect(list.body).to.deep.equal(sample('snapshots/snapshot-metadata-show-response.json'));
      const merged = await s.request('POST', `/v3/snapshots/${id}/metadata`, { body: { metadata: { b: '2', key: 'v4' } } });
      expect(merged.status).to.equal(200);
      expect(merged.body).to.deep.equal({ metadata: { key: 'v4', b: '2' } });
      expect(Object.keys(merged.body.metadata)).to.deep.equal(['key', 'b']);
      const replaced = await s.request('PUT', `/v3/snapshots/${id}/metadata`, { body: sample('snapshots/snapshot-metadata-update-request.json') });
      expect(replaced.body).to.deep.equal(sample('snapshots/snapshot-metadata-update-response.json'));
      const key = await s.request('GET', `/v3/snapshots/${id}/metadata/new_key`);
      expect(key.body).to.deep.equal({ meta: { new_key: 'new_value' } });
      const upd = await s.request('PUT', `/v3/snapshots/${id}/metadata/key`, { body: sample('snapshots/snapshot-metadata-update-key-request.json') });
      expect(upd.status).to.equal(200);
      expect(upd.body).to.deep.equal(sample('snapshots/snapshot-metadata-update-key-response.json'));
      const del = await s.request('DELETE', `/v3/snapshots/${id}/metadata/new_key`);
      expect(del.status).to.equal(200);
      expect(del.text).to.equal('');
      await fault('GET', `/v3/snapshots/${id}/metadata/new_key`, {}, 404, 'itemNotFound', `Snapshot ${id} has no metadata with key new_key.`);
      await fault('DELETE', `/v3/snapshots/${id}/metadata/new_key`, {}, 404, 'itemNotFound', `Snapshot ${id} has no metadata with key new_key.`);
      expect((await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot.metadata).to.deep.equal({ key: 'new_value' });
      // no ETag on snapshot metadata, as in Cinder
      expect((await s.request('GET', `/v3/snapshots/${id}/metadata`, { mv: '3.70' })).headers.get('etag')).to.equal(null);
    });

    it('refuses bad metadata bodies and a key that differs from the URL, changing nothing', async () => {
      const id = await snapshot(await volume(), { metadata: { a: '1' } });
      await fault('PUT', `/v3/snapshots/${id}/metadata/a`, { body: { meta: { b: '2' } } }, 400, 'badRequest', 'Request body and URI mismatch');
      await fault('PUT', `/v3/snapshots/${id}/metadata/a`, { body: { meta: { a: '1', b: '2' } } }, 400, 'badRequest', /has too many properties/);
      await fault('POST', `/v3/snapshots/${id}/metadata`, { body: { metadata: { 'bad!key': 'v' } } }, 400, 'badRequest', /metadata/);
      await fault('POST', `/v3/snapshots/${id}/metadata`, { body: { metadata: { k: 1 } } }, 400, 'badRequest', /is not of type 'string'/);
      await fault('PUT', `/v3/snapshots/${id}/metadata`, { body: { meta: { a: 'b' } } }, 400, 'badRequest', /'metadata' is a required property|unexpected/);
      await fault('POST', `/v3/snapshots/${id}/metadata`, { body: { metadata: { k: 'x'.repeat(256) } } }, 400, 'badRequest', /is too long/);
      expect((await s.request('GET', `/v3/snapshots/${id}/metadata`)).body).to.deep.equal({ metadata: { a: '1' } });
    });
  });

  describe('actions', () => {
    it('os-reset_status sets any valid status (any case); an invalid one lists every valid status', async () => {
      const id = await snapshot(await volume());
      const r = await s.request('POST', `/v3/snapshots/${id}/action`, { body: { 'os-reset_status': { status: 'ERROR' } } });
      expect(r.status).to.equal(202);
      expect(r.text).to.equal('');
      expect((await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot.status).to.equal('error');
      expect((await s.request('POST', `/v3/snapshots/${id}/action`, { body: sample('snapshots/snapshot-status-reset-request.json') })).status).to.equal(202);
      expect((await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot.status).to.equal('available');
      await fault(
        'POST',
        `/v3/snapshots/${id}/action`,
        { body: { 'os-reset_status': { status: 'bogus' } } },
        400,
        'badRequest',
        "Snapshot status: bogus is invalid, valid statuses are: ('error', 'available', 'creating', 'deleting', 'deleted', 'updating', 'error_deleting', 'unmanaging', 'backing-up', 'restoring').",
      );
      await fault('POST', `/v3/snapshots/${id}/action`, { body: { 'os-reset_status': {} } }, 400, 'badRequest', /'status' is a required property/);
      await fault('POST', `/v3/snapshots/${id}/action`, { body: { 'os-reset_status': { status: 'error', x: 1 } } }, 400, 'badRequest', /'x' was unexpected/);
      await fault('POST', `/v3/snapshots/${id}/action`, { body: { 'os-reset_status': { status: 1 } } }, 400, 'badRequest', /is not of type 'string'/);
      expect((await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot.status).to.equal('available');
    });

    it('os-force_delete deletes in any status', async () => {
      const vol = await volume();
      const id = await snapshot(vol);
      await setSnapshot(id, { status: 'error_deleting' });
      const r = await s.request('POST', `/v3/snapshots/${id}/action`, { body: sample('snapshots/snapshot-force-delete-request.json') });
      expect(r.status).to.equal(202);
      await waitSnapshot(id, ['deleted']);
      // a snapshot still creating (its operation not run yet): force-deleted, the late create does nothing
      const p = await startIdle();
      try {
        const v = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
        await p.worker.drain();
        const c = await p.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } });
        expect((await p.request('DELETE', `/v3/snapshots/${c.body.snapshot.id}`)).status).to.equal(400);
        expect((await p.request('POST', `/v3/snapshots/${c.body.snapshot.id}/action`, { body: { 'os-force_delete': {} } })).status).to.equal(202);
        expect((await p.request('GET', `/v3/snapshots/${c.body.snapshot.id}`)).body.snapshot.status).to.equal('deleting');
        await p.worker.drain();
        expect((await p.request('GET', `/v3/snapshots/${c.body.snapshot.id}`)).status).to.equal(404);
        expect((await p.request('GET', '/v3/limits')).body.limits.absolute.totalSnapshotsUsed).to.equal(0);
      } finally {
        await p.close();
      }
    });

    it("os-update_snapshot_status follows Cinder's transitions and validates progress", async () => {
      const p = await startIdle();
      try {
        const v = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
        await p.worker.drain();
        const id = (await p.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } })).body.snapshot.id;
        const act = (body: unknown) => p.request('POST', `/v3/snapshots/${id}/action`, { body });
        const r = await act(sample('snapshots/snapshot-status-update-request.json'));
        expect(r.status).to.equal(202);
        expect((await p.request('GET', `/v3/snapshots/${id}`)).body.snapshot).to.include({
          status: 'creating',
          'os-extended-snapshot-attributes:progress': '80%',
        });
        for (const [progress, msg] of [
          ['80', 'Invalid input received: progress must be an integer percentage between 0 and 100'],
          ['101%', 'Invalid input received: progress must be an integer percentage between 0 and 100'],
          ['abc%', 'Invalid input received: progress must be an integer percentage'],
          [50, 'Invalid input received: progress must be an integer percentage'],
        ] as const) {
          const bad = await act({ 'os-update_snapshot_status': { status: 'available', progress } });
          expect(bad.status).to.equal(400);
          expect(bad.body.badRequest.message).to.equal(msg);
        }
        const wrong = await act({ 'os-update_snapshot_status': { status: 'deleting' } });
        expect(wrong.body.badRequest.message).to.equal('Provided snapshot status deleting not allowed for snapshot with status creating.');
        expect((await act({ 'os-update_snapshot_status': { status: 'available', progress: '100%' } })).status).to.equal(202);
        expect((await p.request('GET', `/v3/snapshots/${id}`)).body.snapshot).to.include({
          status: 'available',
          'os-extended-snapshot-attributes:progress': '100%',
        });
        const notAllowed = await act({ 'os-update_snapshot_status': { status: 'error' } });
        expect(notAllowed.body.badRequest.message).to.equal('Snapshot status available not allowed for update_snapshot_status');
        const missing = await act({ 'os-update_snapshot_status': { progress: '1%' } });
        expect(missing.body.badRequest.message).to.match(/'status' is a required property/);
        // the pending create_snapshot operation now finds the snapshot no longer creating and does nothing
        await p.worker.drain();
        expect((await p.request('GET', `/v3/snapshots/${id}`)).body.snapshot.status).to.equal('available');
      } finally {
        await p.close();
      }
    });

    it('unknown or malformed actions are 400s', async () => {
      const id = await snapshot(await volume());
      await fault(
        'POST',
        `/v3/snapshots/${id}/action`,
        { body: { 'os-extend': { new_size: 3 } } },
        400,
        'badRequest',
        'There is no such action: os-extend. Verify the request body and Content-Type header and try again.',
      );
      await fault(
        'POST',
        `/v3/snapshots/${id}/action`,
        { body: { 'os-reset_status': { status: 'error' }, 'os-force_delete': {} } },
        400,
        'badRequest',
        'Malformed request body',
      );
      await fault('POST', `/v3/snapshots/${id}/action`, { body: {} }, 400, 'badRequest', 'Malformed request body');
      await fault('POST', `/v3/snapshots/${id}/action`, { body: [1] }, 400, 'badRequest', 'Malformed request body');
      expect((await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot.status).to.equal('available');
    });
  });

  describe('quota', () => {
    it('counts snapshots and their gigabytes (and per-type keys) in quota sets and limits; 413 over quota', async () => {
      const p = await startServer({ quota: { snapshots: 2, gigabytes: 10 } });
      try {
        const v = await p.request('POST', '/v3/volumes', { body: { volume: { size: 3 } } });
        await p.waitForVolume(v.body.volume.id, ['available']);
        const snap = async () => p.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } });
        expect((await snap()).status).to.equal(202);
        const usage = (await p.request('GET', `/v3/os-quota-sets/${p.projectId}?usage=true`)).body.quota_set;
        expect(usage.snapshots).to.deep.equal({ limit: 2, in_use: 1, reserved: 0 });
        expect(usage.gigabytes.in_use).to.equal(6);
        expect(usage.snapshots___DEFAULT__.in_use).to.equal(1);
        expect(usage.gigabytes___DEFAULT__.in_use).to.equal(6);
        const limits = (await p.request('GET', '/v3/limits')).body.limits.absolute;
        expect(limits).to.include({ totalSnapshotsUsed: 1, maxTotalSnapshots: 2, totalGigabytesUsed: 6, totalVolumesUsed: 1 });
        // gigabytes: 6 used of 10, a 3G snapshot would need 9 → fine; a second one 12 → 413
        expect((await snap()).status).to.equal(202);
        await p.request('PUT', `/v3/os-quota-sets/${p.projectId}`, { body: { quota_set: { snapshots: 5 } } });
        const over = await snap();
        expect(over.status).to.equal(413);
        expect(over.headers.get('retry-after')).to.equal('0');
        expect(over.body).to.deep.equal({
          overLimit: {
            code: 413,
            message:
              'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 10G and 9G has been consumed.',
            retryAfter: '0',
          },
        });
        await p.request('PUT', `/v3/os-quota-sets/${p.projectId}`, { body: { quota_set: { snapshots: 2, gigabytes: 100 } } });
        const count = await snap();
        expect(count.status).to.equal(413);
        expect(count.body.overLimit.message).to.equal('SnapshotLimitExceeded: Maximum number of snapshots allowed (2) exceeded');
        // per-type limit
        await p.request('PUT', `/v3/os-quota-sets/${p.projectId}`, { body: { quota_set: { snapshots: 10, snapshots___DEFAULT__: 2 } } });
        expect((await snap()).body.overLimit.message).to.equal('SnapshotLimitExceeded: Maximum number of snapshots allowed (2) exceeded');
        await p.request('PUT', `/v3/os-quota-sets/${p.projectId}`, { body: { quota_set: { snapshots___DEFAULT__: -1, gigabytes___DEFAULT__: 10 } } });
        expect((await snap()).body.overLimit.message).to.equal(
          'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes___DEFAULT__ quota. Requested 3G, quota is 10G and 9G has been consumed.',
        );
        // nothing was created by the refused requests
        expect((await p.request('GET', '/v3/snapshots')).body.snapshots).to.have.length(2);
        expect((await p.request('GET', '/v3/limits')).body.limits.absolute.totalSnapshotsUsed).to.equal(2);
        // a limit below the usage is refused
        const below = await p.request('PUT', `/v3/os-quota-sets/${p.projectId}`, { body: { quota_set: { snapshots: 1 } } });
        expect(below.status).to.equal(400);
        expect(below.body.badRequest.message).to.equal(
          'Quota snapshots limit must be equal or greater than existing resources. Current usage is 2 and the requested limit is 1.',
        );
        // deleting gives it back
        for (const sn of (await p.request('GET', '/v3/snapshots')).body.snapshots) await p.request('DELETE', `/v3/snapshots/${sn.id}`);
        for (let i = 0; i < 100 && (await p.request('GET', '/v3/snapshots')).body.snapshots.length > 0; i++) await new Promise((r) => setTimeout(r, 20));
        const after = (await p.request('GET', `/v3/os-quota-sets/${p.projectId}?usage=true`)).body.quota_set;
        expect(after.snapshots.in_use).to.equal(0);
        expect(after.gigabytes.in_use).to.equal(3);
        expect(after.snapshots___DEFAULT__.in_use).to.equal(0);
        expect(after.gigabytes___DEFAULT__.in_use).to.equal(3);
      } finally {
        await p.close();
      }
    });
  });

  describe('volumes and snapshots', () => {
    it("creates a volume from a snapshot: size and type default to the snapshot's, snapshot_id is shown", async () => {
      const type = await s.request('POST', '/v3/types', { body: { volume_type: { name: 'snapfast' } } });
      const vol = await volume(2, { volume_type: 'snapfast' });
      const id = await snapshot(vol);
      const r = await s.request('POST', '/v3/volumes', { body: { volume: { snapshot_id: id, name: 'from-snap' } }, mv: '3.63' });
      expect(r.status, r.text).to.equal(202);
      expect(r.body.volume).to.include({ snapshot_id: id, size: 2, volume_type: 'snapfast', volume_type_id: type.body.volume_type.id, source_volid: null });
      const shown = await waitVolume(r.body.volume.id, ['available']);
      expect(shown.body.volume.snapshot_id).to.equal(id);
      const bigger = await s.request('POST', '/v3/volumes', { body: { volume: { snapshot_id: id, size: 5, volume_type: '__DEFAULT__' } } });
      expect(bigger.body.volume).to.include({ size: 5, volume_type: '__DEFAULT__' });
      await waitVolume(bigger.body.volume.id, ['available']);
      const list = await s.request('GET', `/v3/volumes/detail?snapshot_id=${id}`);
      expect(list.body.volumes.map((v: { id: string }) => v.id)).to.have.members([r.body.volume.id, bigger.body.volume.id]);
    });

    it('refuses an unknown snapshot (404), one not available, a smaller size, or snapshot_id with source_volid', async () => {
      const vol = await volume(2);
      const id = await snapshot(vol);
      const before = (await s.request('GET', '/v3/limits')).body.limits.absolute.totalVolumesUsed;
      await fault('POST', '/v3/volumes', { body: { volume: { snapshot_id: MISSING } } }, 404, 'itemNotFound', `Snapshot ${MISSING} could not be found.`);
      await fault(
        'POST',
        '/v3/volumes',
        { body: { volume: { snapshot_id: id, size: 1 } } },
        400,
        'badRequest',
        "Invalid input received: Volume size '1'GB cannot be smaller than the snapshot size 2GB. They must be >= original snapshot size.",
      );
      await fault(
        'POST',
        '/v3/volumes',
        { body: { volume: { snapshot_id: id, source_volid: vol } } },
        400,
        'badRequest',
        'Invalid input received: May specify only one of backup, imageRef, snapshot, source volume',
      );
      await setSnapshot(id, { status: 'error' });
      await fault(
        'POST',
        '/v3/volumes',
        { body: { volume: { snapshot_id: id } } },
        400,
        'badRequest',
        "Invalid snapshot: Originating snapshot status must be one of 'available' values",
      );
      expect((await s.request('GET', '/v3/limits')).body.limits.absolute.totalVolumesUsed).to.equal(before);
    });

    it('refuses to delete a volume with snapshots; cascade deletes them (all available or error) with the volume', async () => {
      const vol = await volume(2);
      const a = await snapshot(vol);
      const b = await snapshot(vol);
      const used = (await s.request('GET', '/v3/limits')).body.limits.absolute;
      await fault('DELETE', `/v3/volumes/${vol}`, {}, 400, 'badRequest', VOLUME_DELETE_MSG);
      await setSnapshot(b, { status: 'creating' });
      await fault('DELETE', `/v3/volumes/${vol}?cascade=true`, {}, 400, 'badRequest', VOLUME_DELETE_MSG);
      expect((await s.request('GET', `/v3/snapshots/${a}`)).body.snapshot.status).to.equal('available');
      expect((await s.request('GET', `/v3/volumes/${vol}`)).body.volume.status).to.equal('available');
      await setSnapshot(b, { status: 'error' });
      expect((await s.request('DELETE', `/v3/volumes/${vol}?cascade=true`)).status).to.equal(202);
      await waitVolume(vol, ['deleted']);
      expect((await s.request('GET', `/v3/snapshots/${a}`)).status).to.equal(404);
      expect((await s.request('GET', `/v3/snapshots/${b}`)).status).to.equal(404);
      const after = (await s.request('GET', '/v3/limits')).body.limits.absolute;
      expect(after.totalSnapshotsUsed).to.equal(used.totalSnapshotsUsed - 2);
      expect(after.totalVolumesUsed).to.equal(used.totalVolumesUsed - 1);
      expect(after.totalGigabytesUsed).to.equal(used.totalGigabytesUsed - 6);
    });

    it('cascade with force (3.23) deletes snapshots in any status', async () => {
      const vol = await volume();
      const a = await snapshot(vol);
      await setSnapshot(a, { status: 'error_deleting' });
      await fault('DELETE', `/v3/volumes/${vol}?cascade=true`, {}, 400, 'badRequest', VOLUME_DELETE_MSG);
      expect((await s.request('DELETE', `/v3/volumes/${vol}?cascade=true&force=true`, { mv: '3.23' })).status).to.equal(202);
      await waitVolume(vol, ['deleted']);
      expect((await s.request('GET', `/v3/snapshots/${a}`)).status).to.equal(404);
    });
  });

  describe('revert (SnapshotService.revertVolume, called by the volume revert action)', () => {
    const ctx: RequestContext = { userId: 'admin', projectId: '1d0b8f6ce2b24c2f9b4b0d9fc4d7a6e1', isAdmin: true, roles: ['admin'], requestId: 'req-test' };

    async function expectError(p: Promise<unknown>, status: number, message: string): Promise<void> {
      try {
        await p;
      } catch (err) {
        expect((err as { statusCode: number }).statusCode).to.equal(status);
        expect((err as Error).message).to.equal(message);
        return;
      }
      expect.fail('expected an error');
    }

    it('reverts to the latest snapshot: reverting/restoring, then both available', async () => {
      const vol = await volume();
      await snapshot(vol);
      const latest = await snapshot(vol);
      await s.services.snapshots.revertVolume(ctx, vol, latest);
      await waitVolume(vol, ['available']);
      await waitSnapshot(latest, ['available']);
      const ops = await s.services.store.db.selectFrom('operations').selectAll().where('kind', '=', 'revert_volume').where('resource_id', '=', vol).execute();
      expect(ops.map((o) => o.state)).to.deep.equal(['succeeded']);
    });

    it('refuses: no snapshots, not the latest, size mismatch (400); volume or snapshot not available (409)', async () => {
      const vol = await volume();
      await expectError(s.services.snapshots.revertVolume(ctx, vol, MISSING), 400, `Volume ${vol} doesn't have any snapshots.`);
      await expectError(s.services.snapshots.revertVolume(ctx, MISSING, MISSING), 404, `Volume ${MISSING} could not be found.`);
      const older = await snapshot(vol);
      const latest = await snapshot(vol);
      await expectError(s.services.snapshots.revertVolume(ctx, vol, older), 400, `Specified snapshot ${older} is None or not the latest one of volume ${vol}.`);
      await expectError(s.services.snapshots.revertVolume(ctx, vol, undefined), 400, `Specified snapshot None is None or not the latest one of volume ${vol}.`);
      await setVolume(vol, { size: 2 });
      await expectError(
        s.services.snapshots.revertVolume(ctx, vol, latest),
        400,
        `Can't revert volume ${vol} to its latest snapshot ${latest}. The volume size must be equal to the snapshot size.`,
      );
      await setVolume(vol, { size: 1, status: 'in-use' });
      await expectError(
        s.services.snapshots.revertVolume(ctx, vol, latest),
        409,
        `Invalid volume: Can't revert volume ${vol} to its latest snapshot ${latest}. Volume's status must be 'available'.`,
      );
      await setVolume(vol, { status: 'available' });
      await setSnapshot(latest, { status: 'error' });
      await expectError(
        s.services.snapshots.revertVolume(ctx, vol, latest),
        409,
        `Invalid snapshot: Can't revert volume ${vol} to its latest snapshot ${latest}. Snapshot's status must be 'available'.`,
      );
      // the volume's status change was rolled back with the refused snapshot change
      expect((await s.request('GET', `/v3/volumes/${vol}`)).body.volume.status).to.equal('available');
    });

    it('a reverting volume cannot be snapshotted or deleted, and a restoring snapshot cannot be deleted', async () => {
      const p = await startIdle();
      try {
        const v = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
        await p.worker.drain();
        const sn = await p.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } });
        await p.worker.drain();
        await p.services.snapshots.revertVolume(ctx, v.body.volume.id, sn.body.snapshot.id);
        expect((await p.request('GET', `/v3/volumes/${v.body.volume.id}`)).body.volume.status).to.equal('reverting');
        expect((await p.request('GET', `/v3/snapshots/${sn.body.snapshot.id}`)).body.snapshot.status).to.equal('restoring');
        expect((await p.request('DELETE', `/v3/snapshots/${sn.body.snapshot.id}`)).body.badRequest.message).to.equal(DELETE_SNAPSHOT_MSG);
        expect((await p.request('DELETE', `/v3/volumes/${v.body.volume.id}?cascade=true`)).status).to.equal(400);
        const again = await p.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id, force: true } } });
        expect(again.body.badRequest.message).to.match(/current status is: reverting/);
        await p.worker.drain();
        expect((await p.request('GET', `/v3/volumes/${v.body.volume.id}`)).body.volume.status).to.equal('available');
        expect((await p.request('GET', `/v3/snapshots/${sn.body.snapshot.id}`)).body.snapshot.status).to.equal('available');
      } finally {
        await p.close();
      }
    });
  });

  describe('other callers (service level: noauth makes every HTTP caller an admin)', () => {
    const user = (projectId: string): RequestContext => ({ userId: 'u', projectId, isAdmin: false, roles: ['member'], requestId: 'req-x' });

    it('non-admins see only their own snapshots, cannot reset or force-delete, and get 400 for unknown filters from 3.31', async () => {
      const id = await snapshot(await volume());
      const svc = s.services.snapshots;
      try {
        await svc.get(user('someone-else'), id);
        expect.fail('visible to another project');
      } catch (err) {
        expect((err as Error).message).to.equal(`Snapshot ${id} could not be found.`);
      }
      const owner = user(s.projectId);
      expect((await svc.get(owner, id)).row.id).to.equal(id);
      for (const call of [() => svc.resetStatus(owner, id, 'error'), () => svc.delete(owner, id, { force: true })]) {
        try {
          await call();
          expect.fail('allowed for a non-admin');
        } catch (err) {
          expect((err as { statusCode: number }).statusCode).to.equal(403);
        }
      }
      expect((await s.request('GET', `/v3/snapshots/${id}`)).body.snapshot.status).to.equal('available');
      const query = { limit: '10', all_tenants: 'true', bogus: '1' };
      const parse = (version: ApiVersion) => parseListQuery(owner, version, query, 1000, LIST_RESOURCES.snapshots);
      try {
        await svc.list(owner, parse(new ApiVersion(3, 31)));
        expect.fail('unknown filter accepted');
      } catch (err) {
        expect((err as Error).message).to.equal('Invalid filters bogus are found in query options.');
      }
      const old = await svc.list(owner, parse(new ApiVersion(3, 30)));
      expect(old.records.every((r) => r.row.project_id === s.projectId)).to.equal(true);
    });
  });

  describe('bad input: a 4xx naming the problem, nothing changed', () => {
    let vol: string;
    let snap: string;
    async function state(): Promise<string> {
      const list = await s.request('GET', '/v3/snapshots/detail?all_tenants=1', { mv: '3.70' });
      const quota = await s.request('GET', `/v3/os-quota-sets/${s.projectId}?usage=true`);
      return JSON.stringify([list.body, quota.body]);
    }
    let initial: string;
    before(async () => {
      vol = await volume();
      snap = await snapshot(vol, { name: 'keep', metadata: { k: 'v' } });
      initial = await state();
    });
    afterEach(async () => {
      expect(await state()).to.equal(initial);
    });

    const cases: [string, () => [string, string, RequestOptions], RegExp | string][] = [
      ['no snapshot key', () => ['POST', '/v3/snapshots', { body: { volume_id: vol } }], "'snapshot' is a required property"],
      [
        'no volume_id',
        () => ['POST', '/v3/snapshots', { body: { snapshot: { name: 'x' } } }],
        /^Invalid input for field\/attribute snapshot\. .*'volume_id' is a required property$/,
      ],
      [
        'volume_id not a uuid',
        () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: 'abc' } } }],
        /field\/attribute volume_id\. Value: 'abc'\. 'abc' is not a 'uuid'/,
      ],
      [
        'unknown key',
        () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, size: 1 } } }],
        /Additional properties are not allowed \('size' was unexpected\)/,
      ],
      [
        'display_description on create',
        () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, display_description: 'd' } } }],
        /'display_description' was unexpected/,
      ],
      [
        'name too long',
        () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, name: 'n'.repeat(256) } } }],
        /field\/attribute name\. .* is too long/,
      ],
      [
        'name not a string',
        () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, name: 5 } } }],
        /field\/attribute name\. Value: 5\. 5 is not of type 'string', 'null'/,
      ],
      [
        'force not a boolean',
        () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, force: 'maybe' } } }],
        /field\/attribute force\. Value: 'maybe'\. 'maybe' is not one of/,
      ],
      ['force a number', () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, force: 2 } } }], /field\/attribute force/],
      ['bad metadata key', () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, metadata: { 'a!': 'b' } } } }], /field\/attribute metadata/],
      [
        'metadata value not a string',
        () => ['POST', '/v3/snapshots', { body: { snapshot: { volume_id: vol, metadata: { a: 1 } } } }],
        /1 is not of type 'string'/,
      ],
      ['invalid JSON', () => ['POST', '/v3/snapshots', { rawBody: '{"snapshot": ' }], 'Malformed request body'],
      ['update: empty', () => ['PUT', `/v3/snapshots/${snap}`, { body: { snapshot: {} } }], /is not valid under any of the given schemas/],
      ['update: unknown key', () => ['PUT', `/v3/snapshots/${snap}`, { body: { snapshot: { name: 'x', metadata: {} } } }], /'metadata' was unexpected/],
      ['update: description too long', () => ['PUT', `/v3/snapshots/${snap}`, { body: { snapshot: { description: 'd'.repeat(256) } } }], /is too long/],
      ['update: no snapshot key', () => ['PUT', `/v3/snapshots/${snap}`, { body: { name: 'x' } }], "'snapshot' is a required property"],
      ['reset: bad status', () => ['POST', `/v3/snapshots/${snap}/action`, { body: { 'os-reset_status': { status: '' } } }], /^Snapshot status: {2}is invalid/],
      [
        'update status: not allowed',
        () => ['POST', `/v3/snapshots/${snap}/action`, { body: { 'os-update_snapshot_status': { status: 'creating' } } }],
        'Snapshot status available not allowed for update_snapshot_status',
      ],
      ['metadata: not an object', () => ['POST', `/v3/snapshots/${snap}/metadata`, { body: { metadata: 'x' } }], /is not of type 'object'/],
      ['bad sort key', () => ['GET', '/v3/snapshots?sort=volume_size:asc,nope', {}], 'Invalid input received: Invalid sort key'],
      ['sort and sort_key', () => ['GET', '/v3/snapshots?sort=name&sort_key=name', { mv: '3.30' }], /cannot be used with the 'sort' parameter/],
    ];
    for (const [name, make, message] of cases) {
      it(name, async () => {
        const [method, path, opts] = make();
        const r = await s.request(method, path, opts);
        expect(r.status, r.text).to.equal(400);
        expect(Object.keys(r.body)).to.deep.equal(['badRequest']);
        if (typeof message === 'string') expect(r.body.badRequest.message).to.equal(message);
        else expect(r.body.badRequest.message).to.match(message);
      });
    }

    it('wrong Content-Type is a 415', async () => {
      const r = await s.request('POST', '/v3/snapshots', { rawBody: 'x', contentType: 'text/plain' });
      expect(r.status).to.equal(415);
    });
  });
});
