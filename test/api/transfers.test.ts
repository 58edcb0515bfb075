/*
 * Volume transfers through the API (cinder-api.md section 19): every route on both paths
 * (/os-volume-transfer and /volume-transfers), bodies against Cinder's samples (key sets), microversion
 * rules (3.55 no_snapshots, 3.57 keys, 3.59 paging), the awaiting-transfer status, accept by another
 * project (noauth tokens u:projectA / u:projectB) with the quota moving, the accept refusals (wrong key,
 * acceptor over quota, wrong status) leaving both projects untouched, and delete restoring the volume.
 */
import { expect } from 'chai';
import { createHmac } from 'node:crypto';
import { startServer, sample, type Reply, type RequestOptions, type TestServer } from '../lib/server';

const A = 'projectA';
const B = 'projectB';
const TA = `u:${A}`;
const TB = `u:${B}`;
const MISSING = '00000000-0000-4000-8000-000000000000';
const VOLUME_DELETE_MSG =
  'Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing and must not be migrating, attached, belong to a group, have snapshots, awaiting a transfer, or be disassociated from snapshots after volume transfer.';
const PATHS = ['/v3/os-volume-transfer', '/v3/volume-transfers'] as const;

const sorted = (o: Record<string, unknown>) => Object.keys(o).sort();

function keysOf(file: string, list = false): string[] {
  const body = sample(file) as Record<string, unknown>;
  const item = list ? (body.transfers as Record<string, unknown>[])[0] : (body.transfer as Record<string, unknown>);
  return Object.keys(item).sort();
}

describe('API: volume transfers', () => {
  let s: TestServer;

  before(async () => {
    s = await startServer({ quota: { volumes: 100, snapshots: 100, gigabytes: 10000 } });
  });
  after(async () => {
    await s.close();
  });

  async function volume(size = 1, token = TA): Promise<string> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size } }, token });
    expect(r.status, r.text).to.equal(202);
    await waitFor(`/v3/volumes/${r.body.volume.id}`, 'volume', 'available', token);
    return r.body.volume.id;
  }

  async function snapshot(volumeId: string, token = TA): Promise<string> {
    const r = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: volumeId } }, token });
    expect(r.status, r.text).to.equal(202);
    await waitFor(`/v3/snapshots/${r.body.snapshot.id}`, 'snapshot', 'available', token);
    return r.body.snapshot.id;
  }

  async function waitFor(path: string, key: string, status: string, token?: string): Promise<Reply> {
    const deadline = Date.now() + 5000;
    for (;;) {
      const r = await s.request('GET', path, { token });
      if (r.status === 200 && r.body[key].status === status) return r;
      if (Date.now() > deadline) throw new Error(`${path} did not reach ${status}: ${r.text}`);
      await new Promise((res) => setTimeout(res, 20));
    }
  }

  async function transfer(
    volumeId: string,
    opts: { path?: string; mv?: string; extra?: Record<string, unknown>; token?: string } = {},
  ): Promise<{ id: string; key: string; body: Record<string, unknown> }> {
    const r = await s.request('POST', opts.path ?? PATHS[0], {
      mv: opts.mv,
      token: opts.token ?? TA,
      body: { transfer: { volume_id: volumeId, ...(opts.extra ?? {}) } },
    });
    expect(r.status, r.text).to.equal(202);
    return { id: r.body.transfer.id, key: r.body.transfer.auth_key, body: r.body.transfer };
  }

  async function volumeRow(id: string) {
    return s.services.store.db.selectFrom('volumes').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  async function snapshotRow(id: string) {
    return s.services.store.db.selectFrom('snapshots').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  }

  /** in_use of the usage keys that matter, read through the quota API. */
  async function usage(project: string): Promise<Record<string, number>> {
    const r = await s.request('GET', `/v3/os-quota-sets/${project}?usage=True`, { mv: '3.70' });
    expect(r.status, r.text).to.equal(200);
    const q = r.body.quota_set as Record<string, { in_use: number }>;
    const out: Record<string, number> = {};
    for (const k of ['volumes', 'gigabytes', 'snapshots', 'volumes___DEFAULT__', 'gigabytes___DEFAULT__', 'snapshots___DEFAULT__']) out[k] = q[k].in_use;
    return out;
  }

  async function setQuota(project: string, quota: Record<string, number>): Promise<void> {
    const r = await s.request('PUT', `/v3/os-quota-sets/${project}`, { mv: '3.70', body: { quota_set: quota } });
    expect(r.status, r.text).to.equal(200);
  }

  async function resetQuota(project: string): Promise<void> {
    const r = await s.request('DELETE', `/v3/os-quota-sets/${project}`, { mv: '3.70' });
    expect(r.status, r.text).to.be.oneOf([200, 202]);
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

  describe('create', () => {
    it('POST /os-volume-transfer: 202, the create view of the sample with a 16-hex auth_key; the volume becomes awaiting-transfer', async () => {
      const vol = await volume();
      const req = sample('volume_transfer/volume-transfer-create-request.json') as { transfer: Record<string, unknown> };
      const r = await s.request('POST', '/v3/os-volume-transfer', { token: TA, body: { transfer: { ...req.transfer, volume_id: vol, name: '  t1  ' } } });
      expect(r.status, r.text).to.equal(202);
      expect(sorted(r.body.transfer)).to.deep.equal(keysOf('volume_transfer/volume-transfer-create-response.json'));
      expect(r.body.transfer).to.include({ name: 't1', volume_id: vol });
      expect(r.body.transfer.auth_key).to.match(/^[0-9a-f]{16}$/);
      expect(r.body.transfer.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
      expect(r.body.transfer.links[0].href).to.equal(`${s.url}/v3/os-volume-transfer/${r.body.transfer.id}`);
      expect(r.body.transfer.links[1]).to.deep.equal({ rel: 'bookmark', href: `${s.url}/os-volume-transfer/${r.body.transfer.id}` });
      expect((await volumeRow(vol)).status).to.equal('awaiting-transfer');
      const shown = await s.request('GET', `/v3/volumes/${vol}`, { token: TA });
      expect(shown.body.volume.status).to.equal('awaiting-transfer');
    });

    it('stores a salt and the SHA-1 HMAC of the key, never the key', async () => {
      const vol = await volume();
      const t = await transfer(vol);
      const row = await s.services.store.db.selectFrom('transfers').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
      expect(row.salt).to.be.a('string').and.not.equal('');
      expect(row.crypt_hash).to.equal(createHmac('sha1', row.salt).update(t.key).digest('hex'));
      expect(JSON.stringify(row)).to.not.contain(t.key);
    });

    it('POST /volume-transfers answers at 3.0 too (no gate), without no_snapshots in the view', async () => {
      const vol = await volume();
      const t = await transfer(vol, { path: PATHS[1] });
      expect(sorted(t.body)).to.deep.equal(keysOf('volume_transfer/volume-transfer-create-response.json'));
    });

    it('3.55 on /volume-transfers accepts no_snapshots and shows it; 3.57 adds the project keys (samples)', async () => {
      const v1 = await volume();
      const t1 = await transfer(v1, { path: PATHS[1], mv: '3.55', extra: { no_snapshots: true, name: 'first volume' } });
      expect(sorted(t1.body)).to.deep.equal(keysOf('volume_transfers/v3.55/volume-transfers-create-response.json'));
      expect(t1.body.no_snapshots).to.equal(true);
      const v2 = await volume();
      const req = sample('volume_transfers/v3.57/volume-transfers-create-request.json') as { transfer: Record<string, unknown> };
      const r = await s.request('POST', '/v3/volume-transfers', { mv: '3.57', token: TA, body: { transfer: { ...req.transfer, volume_id: v2 } } });
      expect(r.status, r.text).to.equal(202);
      expect(sorted(r.body.transfer)).to.deep.equal(keysOf('volume_transfers/v3.57/volume-transfers-create-response.json'));
      expect(r.body.transfer).to.include({ no_snapshots: false, accepted: false, destination_project_id: null, source_project_id: A });
      expect(r.body.transfer.links[0].href).to.contain('/os-volume-transfer/');
    });

    it('no_snapshots is refused below 3.55 on /volume-transfers and at every version on /os-volume-transfer; nothing changes', async () => {
      const vol = await volume();
      for (const [path, mv] of [
        [PATHS[1], '3.54'],
        [PATHS[0], '3.55'],
        [PATHS[0], '3.70'],
      ]) {
        await fault('POST', path, { mv, token: TA, body: { transfer: { volume_id: vol, no_snapshots: true } } }, 400, 'badRequest', /no_snapshots/);
      }
      await fault('POST', PATHS[1], { mv: '3.70', token: TA, body: { transfer: { volume_id: vol, bogus: 1 } } }, 400, 'badRequest', /bogus/);
      await fault('POST', PATHS[1], { mv: '3.70', token: TA, body: { transfer: {} } }, 400, 'badRequest', /'volume_id' is a required property/);
      expect((await volumeRow(vol)).status).to.equal('available');
    });

    it('refuses an unknown volume (404), a volume not available (400, also a second transfer), a snapshot not available (400)', async () => {
      await fault('POST', PATHS[1], { token: TA, body: { transfer: { volume_id: MISSING } } }, 404, 'itemNotFound', `Volume ${MISSING} could not be found.`);
      const vol = await volume();
      await transfer(vol);
      for (const path of PATHS) {
        await fault('POST', path, { token: TA, body: { transfer: { volume_id: vol } } }, 400, 'badRequest', 'Invalid volume: status must be available');
      }
      const v2 = await volume();
      const snap = await snapshot(v2);
      await s.services.store.db.updateTable('snapshots').set({ status: 'error' }).where('id', '=', snap).execute();
      await fault(
        'POST',
        PATHS[1],
        { token: TA, body: { transfer: { volume_id: v2 } } },
        400,
        'badRequest',
        `Invalid snapshot: Snapshot: ${snap} status must be available`,
      );
      expect((await volumeRow(v2)).status).to.equal('available');
      // Without its snapshots the transfer does not care about them.
      await transfer(v2, { path: PATHS[1], mv: '3.55', extra: { no_snapshots: true } });
      expect((await volumeRow(v2)).status).to.equal('awaiting-transfer');
    });
  });

  describe('while awaiting-transfer', () => {
    it('DELETE of the volume is refused with the long message; snapshot create and extend are refused by their status checks', async () => {
      const vol = await volume();
      await transfer(vol);
      await fault('DELETE', `/v3/volumes/${vol}`, { token: TA }, 400, 'badRequest', VOLUME_DELETE_MSG);
      const snap = await s.request('POST', '/v3/snapshots', { token: TA, body: { snapshot: { volume_id: vol } } });
      expect(snap.status, snap.text).to.equal(400);
      expect(snap.body.badRequest.message).to.contain('awaiting-transfer');
      const ext = await s.request('POST', `/v3/volumes/${vol}/action`, { token: TA, body: { 'os-extend': { new_size: 2 } } });
      expect(ext.status, ext.text).to.equal(400);
      expect((await volumeRow(vol)).status).to.equal('awaiting-transfer');
    });
  });

  describe('show and lists', () => {
    let vol: string;
    let t: { id: string; key: string };
    const C = 'projectC';

    before(async () => {
      vol = await volume(1, `u:${C}`);
      t = await transfer(vol, { token: `u:${C}`, extra: { name: 'listed' } });
    });

    it('GET {id} on both paths: the detail view per microversion (samples), no auth_key, links to os-volume-transfer', async () => {
      for (const path of PATHS) {
        const r0 = await s.request('GET', `${path}/${t.id}`, { token: `u:${C}` });
        expect(r0.status, r0.text).to.equal(200);
        expect(sorted(r0.body.transfer)).to.deep.equal(keysOf('volume_transfer/volume-transfer-show-response.json'));
        const r55 = await s.request('GET', `${path}/${t.id}`, { token: `u:${C}`, mv: '3.55' });
        expect(sorted(r55.body.transfer)).to.deep.equal(keysOf('volume_transfers/v3.55/volume-transfers-show-response.json'));
        const r57 = await s.request('GET', `${path}/${t.id}`, { token: `u:${C}`, mv: '3.57' });
        expect(sorted(r57.body.transfer)).to.deep.equal(keysOf('volume_transfers/v3.57/volume-transfers-show-response.json'));
        expect(r57.body.transfer).to.include({
          id: t.id,
          name: 'listed',
          volume_id: vol,
          accepted: false,
          source_project_id: C,
          destination_project_id: null,
          no_snapshots: false,
        });
        expect(r57.text).to.not.contain(t.key);
        expect(r57.body.transfer.links[0].href).to.equal(`${s.url}/v3/os-volume-transfer/${t.id}`);
      }
      // With the project id in the path, the links carry it.
      const withPid = await s.request('GET', `/v3/${s.projectId}/volume-transfers/${t.id}`);
      expect(withPid.status, withPid.text).to.equal(200);
      expect(withPid.body.transfer.links[0].href).to.equal(`${s.url}/v3/${s.projectId}/os-volume-transfer/${t.id}`);
      expect(withPid.body.transfer.links[1].href).to.equal(`${s.url}/${s.projectId}/os-volume-transfer/${t.id}`);
    });

    it('GET of an unknown transfer is 404 on both paths', async () => {
      for (const path of PATHS) await fault('GET', `${path}/${MISSING}`, { token: TA }, 404, 'itemNotFound', `Transfer ${MISSING} could not be found.`);
    });

    it('lists (summary and detail) on both paths: the caller project only, sample keys, no auth_key', async () => {
      for (const path of PATHS) {
        const sum = await s.request('GET', path, { token: `u:${C}` });
        expect(sum.status, sum.text).to.equal(200);
        expect(Object.keys(sum.body)).to.deep.equal(['transfers']);
        expect(sum.body.transfers.map((x: { id: string }) => x.id)).to.deep.equal([t.id]);
        expect(sorted(sum.body.transfers[0])).to.deep.equal(keysOf('volume_transfer/volume-transfers-list-response.json', true));
        const det = await s.request('GET', `${path}/detail`, { token: `u:${C}` });
        expect(sorted(det.body.transfers[0])).to.deep.equal(keysOf('volume_transfer/volume-transfers-list-detailed-response.json', true));
        expect(det.text).to.not.contain(t.key);
        const det57 = await s.request('GET', `${path}/detail`, { token: `u:${C}`, mv: '3.57' });
        expect(det57.body.transfers[0]).to.include({ source_project_id: C, accepted: false });
      }
      const empty = await s.request('GET', PATHS[1], { token: 'u:nobody' });
      expect(empty.body).to.deep.equal({ transfers: [] });
    });

    it('filters by name; unknown keys (with_count too) give an empty list, not an error; all_tenants for admins', async () => {
      for (const path of PATHS) {
        expect((await s.request('GET', `${path}?name=listed`, { token: `u:${C}` })).body.transfers).to.have.length(1);
        expect((await s.request('GET', `${path}?name=other`, { token: `u:${C}` })).body.transfers).to.have.length(0);
        for (const q of ['with_count=true', 'bogus=1']) {
          const r = await s.request('GET', `${path}/detail?${q}`, { token: `u:${C}`, mv: '3.70' });
          expect(r.status, r.text).to.equal(200);
          expect(r.body).to.deep.equal({ transfers: [] });
        }
        const all = await s.request('GET', `${path}/detail?all_tenants=1`, { token: TB });
        expect(all.body.transfers.map((x: { id: string }) => x.id)).to.include(t.id);
      }
    });

    it('3.59 on /volume-transfers: limit, marker, sort; the next link names os-volume-transfer without /detail', async () => {
      const P = 'projectPaging';
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await transfer(await volume(1, `u:${P}`), { token: `u:${P}`, extra: { name: `p${i}` } })).id);
      const page1 = await s.request('GET', '/v3/volume-transfers/detail?limit=1&sort=created_at:asc', { token: `u:${P}`, mv: '3.59' });
      expect(page1.status, page1.text).to.equal(200);
      expect(page1.body.transfers.map((x: { id: string }) => x.id)).to.deep.equal([ids[0]]);
      expect(page1.body.transfers_links).to.deep.equal([
        { rel: 'next', href: `${s.url}/v3/os-volume-transfer?limit=1&sort=created_at%3Aasc&marker=${ids[0]}` },
      ]);
      const page2 = await s.request('GET', `/v3/volume-transfers?limit=1&sort=created_at:asc&marker=${ids[0]}`, { token: `u:${P}`, mv: '3.59' });
      expect(page2.body.transfers.map((x: { id: string }) => x.id)).to.deep.equal([ids[1]]);
      const desc = await s.request('GET', '/v3/volume-transfers?sort=name:desc', { token: `u:${P}`, mv: '3.59' });
      expect(desc.body.transfers.map((x: { name: string }) => x.name)).to.deep.equal(['p2', 'p1', 'p0']);
      const offset = await s.request('GET', '/v3/volume-transfers?sort=name:asc&offset=2', { token: `u:${P}`, mv: '3.59' });
      expect(offset.body.transfers.map((x: { name: string }) => x.name)).to.deep.equal(['p2']);
      await fault('GET', '/v3/volume-transfers?sort=bogus', { token: `u:${P}`, mv: '3.59' }, 400, 'badRequest', /Invalid sort key/);
      // Below 3.59 (and always on os-volume-transfer): fixed order created_at, id ascending; a sort key is just an unknown filter.
      for (const [path, mv] of [
        [PATHS[1], '3.58'],
        [PATHS[0], '3.70'],
      ]) {
        const fixed = await s.request('GET', path, { token: `u:${P}`, mv });
        expect(fixed.body.transfers.map((x: { id: string }) => x.id)).to.deep.equal(ids);
        const limited = await s.request('GET', `${path}?limit=2`, { token: `u:${P}`, mv });
        expect(limited.body.transfers.map((x: { id: string }) => x.id)).to.deep.equal(ids.slice(0, 2));
        expect(limited.body.transfers_links[0].href).to.equal(`${s.url}/v3/os-volume-transfer?limit=2&marker=${ids[1]}`);
        expect((await s.request('GET', `${path}?sort=name:desc`, { token: `u:${P}`, mv })).body).to.deep.equal({ transfers: [] });
      }
    });
  });

  describe('accept', () => {
    it('another project accepts with the key: 202 summary view (sample); the volume, its snapshots and their quota move in one step', async () => {
      const vol = await volume(2);
      const snap = await snapshot(vol);
      const beforeA = await usage(A);
      const beforeB = await usage(B);
      const t = await transfer(vol, { path: PATHS[1], mv: '3.57' });
      const req = sample('volume_transfers/volume-transfers-accept-request.json') as { accept: Record<string, unknown> };
      const r = await s.request('POST', `/v3/volume-transfers/${t.id}/accept`, { token: TB, mv: '3.57', body: { accept: { ...req.accept, auth_key: t.key } } });
      expect(r.status, r.text).to.equal(202);
      expect(sorted(r.body.transfer)).to.deep.equal(keysOf('volume_transfers/volume-transfers-accept-response.json'));
      expect(sorted(r.body.transfer)).to.deep.equal(keysOf('volume_transfer/volume-transfer-accept-response.json'));
      expect(r.body.transfer).to.include({ id: t.id, volume_id: vol });
      expect(r.body.transfer.links[0].href).to.equal(`${s.url}/v3/os-volume-transfer/${t.id}`);

      const v = await volumeRow(vol);
      expect(v).to.include({ status: 'available', project_id: B, user_id: 'u' });
      expect(await snapshotRow(snap)).to.include({ project_id: B });
      const afterA = await usage(A);
      const afterB = await usage(B);
      expect(afterA.volumes).to.equal(beforeA.volumes - 1);
      expect(afterA.gigabytes).to.equal(beforeA.gigabytes - 4);
      expect(afterA.snapshots).to.equal(beforeA.snapshots - 1);
      expect(afterA.gigabytes___DEFAULT__).to.equal(beforeA.gigabytes___DEFAULT__ - 4);
      expect(afterB).to.include({
        volumes: beforeB.volumes + 1,
        gigabytes: beforeB.gigabytes + 4,
        snapshots: beforeB.snapshots + 1,
        volumes___DEFAULT__: beforeB.volumes___DEFAULT__ + 1,
      });

      // The transfer is gone (accepted and soft-deleted), on both paths; the acceptor owns the volume now.
      for (const path of PATHS) await fault('GET', `${path}/${t.id}`, { token: TA }, 404, 'itemNotFound', `Transfer ${t.id} could not be found.`);
      const row = await s.services.store.db.selectFrom('transfers').selectAll().where('id', '=', t.id).executeTakeFirstOrThrow();
      expect(row).to.include({ accepted: 1, destination_project_id: B, deleted: 1 });
      const listedB = await s.request('GET', '/v3/volumes', { token: TB });
      expect(listedB.body.volumes.map((x: { id: string }) => x.id)).to.include(vol);
      const del = await s.request('DELETE', `/v3/snapshots/${snap}`, { token: TB });
      expect(del.status, del.text).to.equal(202);
    });

    it('on /os-volume-transfer too; an integer key is compared as text', async () => {
      const vol = await volume();
      const t = await transfer(vol);
      await fault(
        'POST',
        `/v3/os-volume-transfer/${t.id}/accept`,
        { token: TB, body: { accept: { auth_key: 1234 } } },
        400,
        'badRequest',
        `Invalid auth key: Attempt to transfer ${t.id} with invalid auth key.`,
      );
      const r = await s.request('POST', `/v3/os-volume-transfer/${t.id}/accept`, { token: TB, body: { accept: { auth_key: t.key } } });
      expect(r.status, r.text).to.equal(202);
      expect(sorted(r.body.transfer)).to.deep.equal(keysOf('volume_transfer/volume-transfer-accept-response.json'));
      expect((await volumeRow(vol)).project_id).to.equal(B);
    });

    it('no_snapshots: the volume moves, its snapshots (and their quota) stay with the donor', async () => {
      const vol = await volume();
      const snap = await snapshot(vol);
      const t = await transfer(vol, { path: PATHS[1], mv: '3.55', extra: { no_snapshots: true } });
      const beforeA = await usage(A);
      const beforeB = await usage(B);
      const r = await s.request('POST', `/v3/volume-transfers/${t.id}/accept`, { token: TB, body: { accept: { auth_key: t.key } } });
      expect(r.status, r.text).to.equal(202);
      expect((await volumeRow(vol)).project_id).to.equal(B);
      expect((await snapshotRow(snap)).project_id).to.equal(A);
      const afterA = await usage(A);
      const afterB = await usage(B);
      expect(afterA).to.include({ volumes: beforeA.volumes - 1, gigabytes: beforeA.gigabytes - 1, snapshots: beforeA.snapshots });
      expect(afterB).to.include({ volumes: beforeB.volumes + 1, gigabytes: beforeB.gigabytes + 1, snapshots: beforeB.snapshots });
    });

    it('refusals leave nothing half-moved: unknown id (404), wrong key (400), bad body (400), wrong volume status (400)', async () => {
      const vol = await volume();
      const snap = await snapshot(vol);
      const t = await transfer(vol);
      const beforeA = await usage(A);
      const beforeB = await usage(B);
      for (const path of PATHS) {
        await fault(
          'POST',
          `${path}/${MISSING}/accept`,
          { token: TB, body: { accept: { auth_key: t.key } } },
          404,
          'itemNotFound',
          `Transfer ${MISSING} could not be found.`,
        );
        await fault(
          'POST',
          `${path}/${t.id}/accept`,
          { token: TB, body: { accept: { auth_key: '0123456789abcdef' } } },
          400,
          'badRequest',
          `Invalid auth key: Attempt to transfer ${t.id} with invalid auth key.`,
        );
        await fault('POST', `${path}/${t.id}/accept`, { token: TB, body: { accept: {} } }, 400, 'badRequest', /'auth_key' is a required property/);
        await fault('POST', `${path}/${t.id}/accept`, { token: TB, body: { accept: { auth_key: t.key, extra: 1 } } }, 400, 'badRequest', /extra/);
      }
      await s.services.store.db.updateTable('volumes').set({ status: 'maintenance' }).where('id', '=', vol).execute();
      await fault(
        'POST',
        `${PATHS[1]}/${t.id}/accept`,
        { token: TB, body: { accept: { auth_key: t.key } } },
        400,
        'badRequest',
        'Invalid volume: The volume cannot accept transfer in maintenance mode.',
      );
      await s.services.store.db.updateTable('volumes').set({ status: 'error' }).where('id', '=', vol).execute();
      await fault(
        'POST',
        `${PATHS[1]}/${t.id}/accept`,
        { token: TB, body: { accept: { auth_key: t.key } } },
        400,
        'badRequest',
        /^Invalid volume: .*awaiting-transfer/,
      );
      await s.services.store.db.updateTable('volumes').set({ status: 'awaiting-transfer' }).where('id', '=', vol).execute();

      expect(await volumeRow(vol)).to.include({ project_id: A, status: 'awaiting-transfer' });
      expect((await snapshotRow(snap)).project_id).to.equal(A);
      expect(await usage(A)).to.deep.equal(beforeA);
      expect(await usage(B)).to.deep.equal(beforeB);
      expect((await s.request('GET', `${PATHS[1]}/${t.id}`, { token: TA })).status).to.equal(200);
      // The right key still works afterwards.
      expect((await s.request('POST', `${PATHS[1]}/${t.id}/accept`, { token: TB, body: { accept: { auth_key: t.key } } })).status).to.equal(202);
    });

    describe('acceptor quota', () => {
      const Q = 'projectQuota';
      const TQ = `u:${Q}`;
      afterEach(async () => {
        await resetQuota(Q);
      });

      async function refused(t: { id: string; key: string }, vol: string, snap: string | undefined, message: string): Promise<void> {
        const beforeA = await usage(A);
        const beforeQ = await usage(Q);
        for (const path of PATHS) {
          const r = await fault('POST', `${path}/${t.id}/accept`, { token: TQ, body: { accept: { auth_key: t.key } } }, 413, 'overLimit', message);
          expect(r.headers.get('retry-after')).to.equal('0');
          expect(r.body.overLimit.retryAfter).to.equal('0');
        }
        expect(await volumeRow(vol)).to.include({ project_id: A, status: 'awaiting-transfer' });
        if (snap) expect((await snapshotRow(snap)).project_id).to.equal(A);
        expect(await usage(A)).to.deep.equal(beforeA);
        expect(await usage(Q)).to.deep.equal(beforeQ);
        expect((await s.request('GET', `${PATHS[0]}/${t.id}`, { token: TA })).status).to.equal(200);
      }

      it('volumes 0 → 413 VolumeLimitExceeded', async () => {
        const vol = await volume();
        const t = await transfer(vol);
        await setQuota(Q, { volumes: 0 });
        await refused(t, vol, undefined, "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes'.");
      });

      it('gigabytes 1 for a 2 GB volume → 413 without the exception-name prefix', async () => {
        const vol = await volume(2);
        const t = await transfer(vol);
        await setQuota(Q, { gigabytes: 1 });
        await refused(t, vol, undefined, 'Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is 1G and 0G has been consumed.');
      });

      it('per_volume_gigabytes 1 for a 2 GB volume → 413 VolumeSizeExceedsLimit', async () => {
        const vol = await volume(2);
        const t = await transfer(vol);
        await setQuota(Q, { per_volume_gigabytes: 1 });
        await refused(t, vol, undefined, 'VolumeSizeExceedsLimit: Requested volume size 2G is larger than maximum allowed limit 1G.');
      });

      it('snapshots 0 → 413 SnapshotLimitExceeded (the snapshots come along); without them the accept passes', async () => {
        const vol = await volume();
        const snap = await snapshot(vol);
        const t = await transfer(vol);
        await setQuota(Q, { snapshots: 0 });
        await refused(t, vol, snap, 'SnapshotLimitExceeded: Maximum number of snapshots allowed (0) exceeded');

        const v2 = await volume();
        await snapshot(v2);
        const t2 = await transfer(v2, { path: PATHS[1], mv: '3.55', extra: { no_snapshots: true } });
        const ok = await s.request('POST', `${PATHS[1]}/${t2.id}/accept`, { token: TQ, body: { accept: { auth_key: t2.key } } });
        expect(ok.status, ok.text).to.equal(202);
      });

      it('gigabytes counting the volume and its snapshot: the snapshot part over → 413 with the snapshot size', async () => {
        const vol = await volume(2);
        const snap = await snapshot(vol);
        const t = await transfer(vol);
        const used = (await usage(Q)).gigabytes;
        await setQuota(Q, { gigabytes: used + 3 });
        await refused(
          t,
          vol,
          snap,
          `Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is ${used + 3}G and ${used + 2}G has been consumed.`,
        );
      });
    });
  });

  describe('delete', () => {
    it('DELETE on both paths: 202 empty; the volume is available again; the transfer is gone', async () => {
      for (const path of PATHS) {
        const vol = await volume();
        const t = await transfer(vol, { path });
        const r = await s.request('DELETE', `${path}/${t.id}`, { token: TA });
        expect(r.status, r.text).to.equal(202);
        expect(r.text).to.equal('');
        expect((await volumeRow(vol)).status).to.equal('available');
        await fault('GET', `${path}/${t.id}`, { token: TA }, 404, 'itemNotFound', `Transfer ${t.id} could not be found.`);
        await fault(
          'POST',
          `${path}/${t.id}/accept`,
          { token: TB, body: { accept: { auth_key: t.key } } },
          404,
          'itemNotFound',
          `Transfer ${t.id} could not be found.`,
        );
        await fault('DELETE', `${path}/${t.id}`, { token: TA }, 404, 'itemNotFound', `Transfer ${t.id} could not be found.`);
        // The volume can be deleted now.
        expect((await s.request('DELETE', `/v3/volumes/${vol}`, { token: TA })).status).to.equal(202);
      }
    });

    it('leaves a volume that is no longer awaiting-transfer alone', async () => {
      const vol = await volume();
      const t = await transfer(vol);
      await s.services.store.db.updateTable('volumes').set({ status: 'error' }).where('id', '=', vol).execute();
      expect((await s.request('DELETE', `${PATHS[1]}/${t.id}`, { token: TA })).status).to.equal(202);
      expect((await volumeRow(vol)).status).to.equal('error');
    });
  });
});
