import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, sample, type Reply, type TestServer } from '../lib/server';
import { VOLUME_STATUSES } from '../../src/services/volume-states';
import { RETYPE_REFUSED_REASON } from '../../src/services/volume-action-service';
import { ForbiddenError } from '../../src/errors';

const GiB = 1024 ** 3;
const INSTANCE = '95d9ef50-507d-11e5-b970-0800200c9a66';
const INSTANCE_2 = '3b8b6631-1cf7-4fd7-9afb-c01e541a073c';
const MISSING = '00000000-0000-0000-0000-000000000000';

describe('API: volume actions', () => {
  let s: TestServer;
  before(async () => {
    // Many volumes: one per case.
    s = await startServer({ quota: { volumes: 1000 } });
  });
  after(async () => {
    await s.close();
  });

  async function create(volume: Record<string, unknown> = {}, server: TestServer = s): Promise<string> {
    const r = await server.request('POST', '/v3/volumes', { body: { volume: { size: 1, ...volume } } });
    expect(r.status, r.text).to.equal(202);
    await server.waitForVolume(r.body.volume.id, ['available']);
    return r.body.volume.id;
  }

  /** Runs the queued operations of a server started without its worker loop. */
  async function drain(p: TestServer): Promise<void> {
    fs.mkdirSync(p.config.backend.path, { recursive: true });
    await p.worker.drain();
  }

  function act(id: string, body: unknown, mv?: string, server: TestServer = s): Promise<Reply> {
    return server.request('POST', `/v3/volumes/${id}/action`, { body, mv });
  }

  async function show(id: string, mv = '3.70', server: TestServer = s): Promise<Record<string, any>> {
    const r = await server.request('GET', `/v3/volumes/${id}`, { mv });
    expect(r.status, r.text).to.equal(200);
    return r.body.volume;
  }

  async function usage(): Promise<Record<string, { in_use: number }>> {
    return (await s.request('GET', `/v3/os-quota-sets/${s.projectId}?usage=true`)).body.quota_set;
  }

  function expectFault(r: Reply, status: number, message: string | RegExp): void {
    expect(r.status, r.text).to.equal(status);
    const key = Object.keys(r.body)[0];
    expect(r.body[key].code).to.equal(status);
    if (typeof message === 'string') expect(r.body[key].message).to.equal(message);
    else expect(r.body[key].message).to.match(message);
  }

  /** A volume moved to `status` by os-reset_status (with attachments, for in-use, via os-attach). */
  async function inUse(server: TestServer = s): Promise<string> {
    const id = await create({}, server);
    const r = await act(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }, undefined, server);
    expect(r.status, r.text).to.equal(202);
    return id;
  }

  describe('dispatch', () => {
    it("refuses an unknown action with Cinder's message, and a body that is not exactly one key", async () => {
      const id = await create();
      expectFault(
        await act(id, { 'os-frobnicate': {} }),
        400,
        'There is no such action: os-frobnicate. Verify the request body and Content-Type header and try again.',
      );
      expectFault(await act(id, { 'os-reserve': {}, 'os-unreserve': {} }), 400, 'Malformed request body');
      expectFault(await act(id, {}), 400, 'Malformed request body');
      expectFault(await act(id, [1]), 400, 'Malformed request body');
      expect((await show(id)).status).to.equal('available');
    });

    it('answers 404 for an unknown volume, after the body is validated', async () => {
      expectFault(await act(MISSING, { 'os-reserve': {} }), 404, `Volume ${MISSING} could not be found.`);
      expectFault(await act(MISSING, { 'os-extend': { new_size: 'x' } }), 400, /^Invalid input for field\/attribute new_size/);
    });

    it("knows every action of Cinder's request samples", async () => {
      const files = fs.readdirSync(path.join(__dirname, '..', 'samples')).filter((f) => /^volume-.*-request\.json$/.test(f));
      expect(files).to.have.length(16);
      for (const file of files) {
        const body = sample(file);
        const id = await create();
        const r = await act(id, body, '3.70');
        expect(r.status, `${file}: ${r.text}`).to.be.oneOf([200, 202, 400, 404]);
        if (r.status >= 400) expect(Object.values(r.body as Record<string, { message: string }>)[0].message, file).not.to.match(/no such action|Malformed/);
      }
    });
  });

  describe('os-extend', () => {
    it('extends an available volume: 202, extending, then the new size, a sparse file of that size, and the quota', async () => {
      const id = await create({ size: 1 });
      const before = await usage();
      const r = await act(id, sample('volume-extend-request.json'));
      expect(r.status, r.text).to.equal(202);
      expect(r.text).to.equal('');
      const done = await s.waitForVolume(id, ['available']);
      expect(done.body.volume.size).to.equal(3);
      const st = fs.statSync(path.join(s.config.backend.path, `volume-${id}`));
      expect(st.size).to.equal(3 * GiB);
      expect(st.blocks * 512).to.be.lessThan(1024 * 1024);
      const after = await usage();
      expect(after.gigabytes.in_use).to.equal(before.gigabytes.in_use + 2);
      expect(after.gigabytes___DEFAULT__.in_use).to.equal(before.gigabytes___DEFAULT__.in_use + 2);
      expect(after.volumes.in_use).to.equal(before.volumes.in_use);
    });

    it('shows extending until the worker runs, and accepts new_size as a numeric string', async () => {
      const p = await startServer({}, { worker: false });
      try {
        const c = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
        await drain(p);
        const id = c.body.volume.id;
        const r = await act(id, { 'os-extend': { new_size: '2' } }, undefined, p);
        expect(r.status, r.text).to.equal(202);
        expect((await show(id, '3.70', p)).status).to.equal('extending');
        // Busy: a second extend is refused with the current status.
        expectFault(
          await act(id, { 'os-extend': { new_size: 4 } }, undefined, p),
          400,
          `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently extending.`,
        );
        await drain(p);
        const v = await show(id, '3.70', p);
        expect(v).to.include({ status: 'available', size: 2 });
      } finally {
        await p.close();
      }
    });

    it("refuses a size that does not grow, with Cinder's message", async () => {
      const id = await create({ size: 2 });
      expectFault(
        await act(id, { 'os-extend': { new_size: 2 } }),
        400,
        'Invalid input received: New size for extend must be greater than current size. (current: 2, extended: 2).',
      );
      expectFault(
        await act(id, { 'os-extend': { new_size: '1' } }),
        400,
        'Invalid input received: New size for extend must be greater than current size. (current: 2, extended: 1).',
      );
      expect(await show(id)).to.include({ status: 'available', size: 2 });
    });

    it('extends in-use volumes only from 3.42, and ends in-use', async () => {
      const id = await inUse();
      expectFault(
        await act(id, { 'os-extend': { new_size: 2 } }, '3.41'),
        400,
        `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently in-use.`,
      );
      expect((await show(id)).size).to.equal(1);
      const r = await act(id, { 'os-extend': { new_size: 2 } }, '3.42');
      expect(r.status, r.text).to.equal(202);
      const done = await s.waitForVolume(id, ['in-use', 'error_extending']);
      expect(done.body.volume).to.include({ status: 'in-use', size: 2 });
      expect(done.body.volume.attachments).to.have.length(1);
    });

    it('refuses other statuses, naming the current one', async () => {
      const id = await create();
      await act(id, { 'os-reset_status': { status: 'reserved' } });
      expectFault(
        await act(id, { 'os-extend': { new_size: 2 } }, '3.70'),
        400,
        `Invalid volume: Volume ${id} status must be '{'status': 'available'}' to extend, currently reserved.`,
      );
    });

    it('checks per_volume_gigabytes and gigabytes (413), changing nothing', async () => {
      const id = await create({ size: 1 });
      const before = await usage();
      await s.request('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { per_volume_gigabytes: 2 } } });
      try {
        const r = await act(id, { 'os-extend': { new_size: 3 } });
        expectFault(r, 413, 'VolumeSizeExceedsLimit: Requested volume size 3G is larger than maximum allowed limit 2G.');
        expect(r.headers.get('retry-after')).to.equal('0');
        expect(r.body.overLimit.retryAfter).to.equal('0');
      } finally {
        await s.request('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { per_volume_gigabytes: -1 } } });
      }
      const used = before.gigabytes.in_use;
      await s.request('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { gigabytes: used + 1 } } });
      try {
        expectFault(
          await act(id, { 'os-extend': { new_size: 3 } }),
          413,
          `VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 2G, quota is ${used + 1}G and ${used}G has been consumed.`,
        );
      } finally {
        await s.request('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { gigabytes: 1000 } } });
      }
      expect(await show(id)).to.include({ status: 'available', size: 1 });
      expect((await usage()).gigabytes.in_use).to.equal(used);
    });

    it('refuses bad input with a fault naming the field, changing nothing', async () => {
      const id = await create();
      const cases: [unknown, RegExp][] = [
        [{ 'os-extend': { new_size: 0 } }, /^Invalid input for field\/attribute new_size\. Value: 0\. 0 is less than the minimum of 1$/],
        [{ 'os-extend': { new_size: '0' } }, /^Invalid input for field\/attribute new_size\. Value: '0'\. 0 is less than the minimum of 1$/],
        [{ 'os-extend': { new_size: 'abc' } }, /^Invalid input for field\/attribute new_size\. Value: 'abc'\. 'abc' does not match/],
        [{ 'os-extend': { new_size: 1.5 } }, /^Invalid input for field\/attribute new_size\. Value: 1\.5\. 1\.5 is not of type 'integer', 'string'$/],
        [{ 'os-extend': { new_size: 4294967296 } }, /new_size.*greater than the maximum of 2147483647/],
        [{ 'os-extend': {} }, /^Invalid input for field\/attribute os-extend\. Value: \{\}\. 'new_size' is a required property$/],
        [{ 'os-extend': { new_size: 2, x: 1 } }, /Additional properties are not allowed \('x' was unexpected\)/],
        [{ 'os-extend': null }, /os-extend\. Value: None\. None is not of type 'object'/],
      ];
      for (const [body, message] of cases) expectFault(await act(id, body), 400, message);
      expect(await show(id)).to.include({ status: 'available', size: 1 });
    });

    it('goes to error_extending and gives the quota back when the backend fails', async () => {
      const p = await startServer({ worker: { max_attempts: 1 } }, { worker: false });
      try {
        const c = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
        await drain(p);
        const id = c.body.volume.id;
        const before = (await p.request('GET', `/v3/os-quota-sets/${p.projectId}?usage=true`)).body.quota_set.gigabytes.in_use;
        expect((await act(id, { 'os-extend': { new_size: 5 } }, undefined, p)).status).to.equal(202);
        expect((await p.request('GET', `/v3/os-quota-sets/${p.projectId}?usage=true`)).body.quota_set.gigabytes.in_use).to.equal(before + 4);
        fs.rmSync(path.join(p.config.backend.path, `volume-${id}`));
        await drain(p);
        expect(await show(id, '3.70', p)).to.include({ status: 'error_extending', size: 1 });
        expect((await p.request('GET', `/v3/os-quota-sets/${p.projectId}?usage=true`)).body.quota_set.gigabytes.in_use).to.equal(before);
        // error_extending may be deleted, as in Cinder.
        expect((await p.request('DELETE', `/v3/volumes/${id}`)).status).to.equal(202);
      } finally {
        await p.close();
      }
    });
  });

  describe('os-reset_status, os-force_delete', () => {
    it('resets status, attach_status and migration_status (202), writing the store only', async () => {
      const id = await create();
      const r = await act(id, sample('volume-status-reset-request.json'));
      expect(r.status, r.text).to.equal(202);
      expect(r.text).to.equal('');
      let v = await show(id);
      expect(v).to.include({ status: 'available', migration_status: 'migrating' });
      expect((await act(id, { 'os-reset_status': { status: 'ERROR', migration_status: 'none' } })).status).to.equal(202);
      v = await show(id);
      expect(v).to.include({ status: 'error', migration_status: null });
    });

    it('lists every valid status when the status is invalid; checks attach and migration statuses', async () => {
      const id = await create();
      const all = `(${VOLUME_STATUSES.map((x) => `'${x}'`).join(', ')})`;
      expect(all).to.match(/^\('creating', 'available', 'deleting', .* 'retyping', 'extending'\)$/);
      expectFault(await act(id, { 'os-reset_status': { status: 'bogus' } }), 400, `Volume status: bogus is invalid, valid statuses are: ${all}.`);
      expectFault(
        await act(id, { 'os-reset_status': { attach_status: 'reserved' } }),
        400,
        "Volume attach status: reserved is invalid, valid statuses are: ['attached', 'detached'].",
      );
      expectFault(
        await act(id, { 'os-reset_status': { migration_status: 'flying' } }),
        400,
        "Volume migration status: flying is invalid, valid statuses are: ('migrating', 'error', 'success', 'completing', 'none', 'starting').",
      );
      expectFault(await act(id, { 'os-reset_status': {} }), 400, "Must specify 'status', 'attach_status' or 'migration_status' for update.");
      expectFault(await act(id, { 'os-reset_status': { status: null } }), 400, "Must specify 'status', 'attach_status' or 'migration_status' for update.");
      expectFault(await act(id, { 'os-reset_status': { status: 'error', foo: 1 } }), 400, /Additional properties are not allowed \('foo' was unexpected\)/);
      expectFault(
        await act(id, { 'os-reset_status': { status: 5 } }),
        400,
        /^Invalid input for field\/attribute status\. Value: 5\. 5 is not of type 'string', 'null'$/,
      );
      expectFault(await act(id, { 'os-reset_status': { status: 'deleting' } }), 400, 'Cannot reset-state to deleting');
      expectFault(
        await act(id, { 'os-reset_status': { status: 'in-use' } }),
        400,
        'Cannot reset-state to in-use because volume does not have any attachments.',
      );
      expect(await show(id)).to.include({ status: 'available', migration_status: null });
    });

    it('is admin only (403 for a non-admin caller)', async () => {
      const id = await create();
      const ctx = { userId: 'u', projectId: s.projectId, isAdmin: false, roles: [], requestId: 'req-x' };
      let caught: unknown;
      try {
        await s.services.actions.resetStatus(ctx, id, { status: 'error' });
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ForbiddenError);
      caught = undefined;
      try {
        await s.services.actions.forceDetach(ctx, id, null);
      } catch (err) {
        caught = err;
      }
      expect(caught).to.be.instanceOf(ForbiddenError);
      expect((await show(id)).status).to.equal('available');
    });

    it('attach_status detached clears the attachments; in-use is accepted when attachments exist', async () => {
      const id = await inUse();
      expect((await act(id, { 'os-reset_status': { status: 'in-use' } })).status).to.equal(202);
      const r = await act(id, { 'os-reset_status': { status: 'available', attach_status: 'detached' } });
      expect(r.status, r.text).to.equal(202);
      const v = await show(id);
      expect(v.status).to.equal('available');
      expect(v.attachments).to.deep.equal([]);
      expect(v.metadata).to.not.have.property('attached_mode');
      const rows = await s.services.store.db.selectFrom('attachments').selectAll().where('volume_id', '=', id).execute();
      expect(rows.map((a) => [a.attach_status, a.deleted])).to.deep.equal([['detached', 1]]);
      expectFault(
        await act(id, { 'os-reset_status': { status: 'in-use' } }),
        400,
        'Cannot reset-state to in-use because volume does not have any attachments.',
      );
    });

    it('os-force_delete deletes whatever the status, but never an attached volume', async () => {
      const id = await create();
      await act(id, { 'os-reset_status': { status: 'maintenance' } });
      expect((await s.request('DELETE', `/v3/volumes/${id}`)).status).to.equal(400);
      const r = await act(id, sample('volume-force-delete-request.json'));
      expect(r.status, r.text).to.equal(202);
      await s.waitForVolume(id, ['deleted']);
      const attached = await inUse();
      expectFault(await act(attached, { 'os-force_delete': {} }), 400, /^Invalid volume: Volume status must be available or error/);
      expect((await show(attached)).status).to.equal('in-use');
    });
  });

  describe('os-set_bootable, os-update_readonly_flag', () => {
    it('sets bootable: 200 with an empty body', async () => {
      const id = await create();
      const r = await act(id, sample('volume-bootable-status-update-request.json'));
      expect(r.status, r.text).to.equal(200);
      expect(r.text).to.equal('');
      expect((await show(id)).bootable).to.equal('true');
      expect((await act(id, { 'os-set_bootable': { bootable: false } })).status).to.equal(200);
      expect((await show(id)).bootable).to.equal('false');
      expectFault(
        await act(id, { 'os-set_bootable': { bootable: 'maybe' } }),
        400,
        /^Invalid input for field\/attribute bootable\. Value: 'maybe'\. 'maybe' is not one of/,
      );
      expectFault(await act(id, { 'os-set_bootable': {} }), 400, /'bootable' is a required property/);
      await act(id, { 'os-reset_status': { status: 'maintenance' } });
      expectFault(await act(id, { 'os-set_bootable': { bootable: true } }), 400, 'Invalid volume: The volume cannot be updated during maintenance.');
      expect((await show(id)).bootable).to.equal('false');
    });

    it('sets the readonly admin metadata, shown in metadata (202); only while available', async () => {
      const id = await create({ metadata: { a: 'b' } });
      const r = await act(id, sample('volume-readonly-update-request.json'));
      expect(r.status, r.text).to.equal(202);
      expect((await show(id)).metadata).to.deep.equal({ a: 'b', readonly: 'True' });
      expect((await act(id, { 'os-update_readonly_flag': { readonly: 'false' } })).status).to.equal(202);
      expect((await show(id)).metadata).to.deep.equal({ a: 'b', readonly: 'False' });
      // The user metadata API does not see it.
      expect((await s.request('GET', `/v3/volumes/${id}/metadata`)).body.metadata).to.deep.equal({ a: 'b' });
      expectFault(await act(id, { 'os-update_readonly_flag': { readonly: 'sure' } }), 400, /readonly\. Value: 'sure'/);
      const busy = await inUse();
      expectFault(
        await act(busy, { 'os-update_readonly_flag': { readonly: true } }),
        400,
        `Invalid volume: Volume ${busy} status must be available to update readonly flag, but current status is: in-use.`,
      );
    });
  });

  describe('os-retype', () => {
    let gold: { id: string; name: string };
    before(async () => {
      const r = await s.request('POST', '/v3/types', { body: { volume_type: { name: 'gold' } } });
      gold = r.body.volume_type;
    });

    it('retypes (202, retyping, then the new type) and moves the per-type quota', async () => {
      const id = await create({ size: 2 });
      const before = await usage();
      const r = await act(id, { 'os-retype': { new_type: 'gold', migration_policy: 'never' } });
      expect(r.status, r.text).to.equal(202);
      const done = await s.waitForVolume(id, ['available']);
      expect(done.body.volume.volume_type).to.equal('gold');
      const after = await usage();
      expect(after.volumes_gold.in_use).to.equal(before.volumes_gold.in_use + 1);
      expect(after.gigabytes_gold.in_use).to.equal(before.gigabytes_gold.in_use + 2);
      expect(after.volumes___DEFAULT__.in_use).to.equal(before.volumes___DEFAULT__.in_use - 1);
      expect(after.gigabytes___DEFAULT__.in_use).to.equal(before.gigabytes___DEFAULT__.in_use - 2);
      expect(after.gigabytes.in_use).to.equal(before.gigabytes.in_use);
      // Back by id, and an in-use volume returns to in-use.
      const busy = await inUse();
      expect((await act(busy, { 'os-retype': { new_type: gold.id } })).status).to.equal(202);
      const back = await s.waitForVolume(busy, ['in-use']);
      expect(back.body.volume.volume_type).to.equal('gold');
    });

    it('shows retyping until the worker runs', async () => {
      const p = await startServer({}, { worker: false });
      try {
        await p.request('POST', '/v3/types', { body: { volume_type: { name: 'silver' } } });
        const c = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
        await drain(p);
        const id = c.body.volume.id;
        expect((await act(id, { 'os-retype': { new_type: 'silver' } }, undefined, p)).status).to.equal(202);
        expect((await show(id, '3.70', p)).status).to.equal('retyping');
        expectFault(await act(id, { 'os-retype': { new_type: '__DEFAULT__' } }, undefined, p), 400, `Invalid volume: ${RETYPE_REFUSED_REASON}`);
        await drain(p);
        expect(await show(id, '3.70', p)).to.include({ status: 'available', volume_type: 'silver' });
      } finally {
        await p.close();
      }
    });

    it('refuses the same type, an unknown type, a bad policy, and a per-type quota overrun', async () => {
      const id = await create();
      expectFault(await act(id, { 'os-retype': { new_type: '__DEFAULT__' } }), 400, `Invalid volume: ${RETYPE_REFUSED_REASON}`);
      expectFault(await act(id, sample('volume-os-retype-request.json')), 404, 'Volume type with name dedup-tier-replicaton could not be found.');
      expectFault(
        await act(id, { 'os-retype': { new_type: 'gold', migration_policy: 'sometimes' } }),
        400,
        /migration_policy\. Value: 'sometimes'\. 'sometimes' is not one of \['on-demand', 'never'\]/,
      );
      expectFault(await act(id, { 'os-retype': { new_type: 'gold', migration_policy: null } }), 400, /migration_policy\. Value: None/);
      expectFault(await act(id, { 'os-retype': {} }), 400, /'new_type' is a required property/);
      await s.request('POST', '/v3/types', { body: { volume_type: { name: 'bronze' } } });
      expect((await s.request('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { volumes_bronze: 0 } } })).status).to.equal(200);
      expectFault(
        await act(id, { 'os-retype': { new_type: 'bronze' } }),
        413,
        "VolumeLimitExceeded: Maximum number of volumes allowed (0) exceeded for quota 'volumes_bronze'.",
      );
      await s.request('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { volumes_bronze: -1, gigabytes_bronze: 0 } } });
      expectFault(
        await act(id, { 'os-retype': { new_type: 'bronze' } }),
        413,
        'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes_bronze quota. Requested 1G, quota is 0G and 0G has been consumed.',
      );
      expect(await show(id)).to.include({ status: 'available', volume_type: '__DEFAULT__' });
    });
  });

  describe('legacy attach flow', () => {
    it('reserve → initialize_connection → attach → begin_detaching → roll back → detach, with statuses at each step', async () => {
      const id = await create();
      expect((await act(id, sample('volume-reserve-request.json'))).status).to.equal(202);
      expect((await show(id)).status).to.equal('attaching');
      expectFault(await act(id, { 'os-reserve': null }), 400, 'Invalid volume: Volume status must be available to reserve, but the status is attaching.');
      expect((await act(id, sample('volume-unreserve-request.json'))).status).to.equal(202);
      expect((await show(id)).status).to.equal('available');
      expect((await act(id, { 'os-reserve': null })).status).to.equal(202);

      const ic = await act(id, sample('volume-initialize-connection-request.json'));
      expect(ic.status, ic.text).to.equal(200);
      const file = path.join(s.config.backend.path, `volume-${id}`);
      expect(ic.body.connection_info).to.deep.equal({
        driver_volume_type: 'local',
        data: { device_path: file, qos_specs: null, access_mode: 'rw', encrypted: false, cacheable: false },
      });
      expect(fs.statSync(ic.body.connection_info.data.device_path).isFile()).to.equal(true);

      const at = await act(id, sample('volume-attach-request.json'));
      expect(at.status, at.text).to.equal(202);
      let v = await show(id);
      expect(v.status).to.equal('in-use');
      expect(v.metadata).to.deep.equal({ readonly: 'False', attached_mode: 'rw' });
      expect(v.attachments).to.have.length(1);
      const a = v.attachments[0];
      expect(Object.keys(a).sort()).to.deep.equal(['attached_at', 'attachment_id', 'device', 'host_name', 'id', 'server_id', 'volume_id']);
      expect(a).to.include({ id, volume_id: id, server_id: '95D9EF50-507D-11E5-B970-0800200C9A66', device: '/dev/vdc', host_name: null });
      expect(a.attached_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
      // The summary list and detail list show it too (cinderclient reads server_id there).
      const list = await s.request('GET', '/v3/volumes/detail');
      expect(list.body.volumes.find((x: { id: string }) => x.id === id).attachments[0].attachment_id).to.equal(a.attachment_id);
      // Attached volumes cannot be deleted.
      expectFault(await s.request('DELETE', `/v3/volumes/${id}`), 400, /^Invalid volume: Volume status must be available or error/);

      expect((await act(id, sample('volume-begin-detaching-request.json'))).status).to.equal(202);
      expect((await show(id)).status).to.equal('detaching');
      expect((await act(id, sample('volume-roll-detaching-request.json'))).status).to.equal(202);
      expect((await show(id)).status).to.equal('in-use');
      expect((await act(id, { 'os-begin_detaching': {} })).status).to.equal(202);
      expect((await act(id, sample('volume-terminate-connection-request.json'))).status).to.equal(202);
      expect((await show(id)).status).to.equal('detaching');
      const dt = await act(id, { 'os-detach': { attachment_id: a.attachment_id } });
      expect(dt.status, dt.text).to.equal(202);
      v = await show(id);
      expect(v.status).to.equal('available');
      expect(v.attachments).to.deep.equal([]);
      expect(v.metadata).to.deep.equal({ readonly: 'False' });
      expect((await s.request('DELETE', `/v3/volumes/${id}`)).status).to.equal(202);
    });

    it('refuses begin_detaching unless in-use and attached', async () => {
      const id = await create();
      expectFault(
        await act(id, { 'os-begin_detaching': {} }),
        400,
        "Invalid volume: Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.",
      );
      expect((await act(id, { 'os-roll_detaching': {} })).status).to.equal(202);
      expect((await act(id, { 'os-unreserve': {} })).status).to.equal(202);
      expect((await show(id)).status).to.equal('available');
    });

    it('attaches to a host (sanitized, shown to admins) and refuses a second attachment without multiattach', async () => {
      const id = await create();
      expect((await act(id, { 'os-attach': { host_name: 'Compute_Node 1', mountpoint: '/mnt/x', mode: 'ro' } })).status).to.equal(202);
      const v = await show(id);
      expect(v.attachments[0]).to.include({ host_name: 'compute-node-1', server_id: null, device: '/mnt/x' });
      expect(v.metadata.attached_mode).to.equal('ro');
      // The same host again only confirms in-use.
      expect((await act(id, { 'os-attach': { host_name: 'compute_node 1', mountpoint: '/mnt/x', mode: 'ro' } })).status).to.equal(202);
      expectFault(
        await act(id, { 'os-attach': { instance_uuid: INSTANCE_2, mountpoint: '/dev/vdc' } }),
        400,
        'Error attaching volume - InvalidVolume: Invalid volume: volume is already attached and multiple attachments are not enabled',
      );
      expect((await show(id)).attachments).to.have.length(1);
      // os-detach without an id detaches the only attachment.
      expect((await act(id, { 'os-detach': {} })).status).to.equal(202);
      expect((await show(id)).status).to.equal('available');
    });

    it('honours the readonly flag on attach, and refuses bad attach input changing nothing', async () => {
      const id = await create();
      await act(id, { 'os-update_readonly_flag': { readonly: true } });
      expectFault(await act(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }), 400, `Invalid attaching mode 'rw' for volume ${id}.`);
      const cases: [unknown, RegExp][] = [
        [{ 'os-attach': { mountpoint: '/dev/vdb' } }, /os-attach\. Value: \{'mountpoint': '\/dev\/vdb'\}\. .* is not valid under any of the given schemas/],
        [{ 'os-attach': { instance_uuid: INSTANCE } }, /'mountpoint' is a required property/],
        [{ 'os-attach': { instance_uuid: 'not-a-uuid', mountpoint: '/dev/vdb' } }, /instance_uuid\. Value: 'not-a-uuid'\. 'not-a-uuid' is not a 'uuid'/],
        [{ 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb', mode: 'rx' } }, /mode\. Value: 'rx'\. 'rx' is not one of \['rw', 'ro'\]/],
        [{ 'os-attach': { instance_uuid: INSTANCE, mountpoint: '' } }, /mountpoint\. Value: ''\. '' is too short/],
        [{ 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb', extra: 1 } }, /'extra' was unexpected/],
      ];
      for (const [body, message] of cases) expectFault(await act(id, body), 400, message);
      expect((await show(id)).status).to.equal('available');
      expect((await act(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb', mode: 'ro' } })).status).to.equal(202);
      const ic = await act(id, { 'os-initialize_connection': { connector: { host: 'h' } } });
      expect(ic.body.connection_info.data.access_mode).to.equal('ro');
    });

    it('refuses attach in maintenance and in statuses with no usable volume; detach in maintenance', async () => {
      const id = await create();
      await act(id, { 'os-reset_status': { status: 'maintenance' } });
      expectFault(
        await act(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }),
        400,
        'Invalid volume: The volume cannot be attached in maintenance mode.',
      );
      expectFault(await act(id, { 'os-detach': null }), 400, 'Invalid volume: The volume cannot be detached in maintenance mode.');
      expectFault(
        await act(id, { 'os-initialize_connection': { connector: {} } }),
        400,
        'Invalid volume: The volume connection cannot be initialized in maintenance mode.',
      );
      await act(id, { 'os-reset_status': { status: 'error' } });
      expectFault(
        await act(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } }),
        400,
        `Invalid volume: Volume ${id} status must be available or attaching or reserved or in-use to attach, but current status is: error.`,
      );
    });

    it('initialize_connection refuses a volume that is not placed yet', async () => {
      const p = await startServer({}, { worker: false });
      try {
        const c = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
        const id = c.body.volume.id;
        expectFault(
          await act(id, { 'os-initialize_connection': { connector: {} } }, undefined, p),
          400,
          `Invalid volume: Volume ${id} has no backing storage yet, current status is: creating.`,
        );
        expectFault(await act(id, { 'os-initialize_connection': {} }, undefined, p), 400, /'connector' is a required property/);
        expectFault(
          await act(id, { 'os-initialize_connection': { connector: 5 } }, undefined, p),
          400,
          /connector\. Value: 5\. 5 is not of type 'object', 'string'/,
        );
      } finally {
        await p.close();
      }
    });

    it('multiattach (from a type): two attachments; detach needs the attachment id; force_detach removes one', async () => {
      await s.request('POST', '/v3/types', { body: { volume_type: { name: 'shared', extra_specs: { multiattach: '<is> True' } } } });
      const id = await create();
      expect((await act(id, { 'os-retype': { new_type: 'shared' } })).status).to.equal(202);
      const retyped = await s.waitForVolume(id, ['available']);
      expect(retyped.body.volume.multiattach).to.equal(true);
      expect((await act(id, { 'os-attach': { instance_uuid: INSTANCE, mountpoint: '/dev/vdb' } })).status).to.equal(202);
      expect((await act(id, { 'os-reserve': {} })).status).to.equal(202);
      expect((await act(id, { 'os-attach': { instance_uuid: INSTANCE_2, mountpoint: '/dev/vdc' } })).status).to.equal(202);
      let v = await show(id);
      expect(v.status).to.equal('in-use');
      expect(v.attachments).to.have.length(2);
      expectFault(
        await act(id, { 'os-detach': {} }),
        400,
        'Error detaching volume - InvalidVolume: Invalid volume: Detach volume failed: More than one attachment, but no attachment_id provided.',
      );
      expectFault(
        await act(id, { 'os-force_detach': {} }),
        400,
        'Error force detaching volume - InvalidVolume: Invalid volume: Detach volume failed: More than one attachment, but no attachment_id provided.',
      );
      const first = v.attachments.find((x: { server_id: string }) => x.server_id === INSTANCE).attachment_id;
      const fd = await act(id, { 'os-force_detach': { attachment_id: first, connector: { initiator: 'iqn.2012-07.org.fake:01' } } });
      expect(fd.status, fd.text).to.equal(202);
      v = await show(id);
      expect(v.status).to.equal('in-use');
      expect(v.attachments.map((x: { server_id: string }) => x.server_id)).to.deep.equal([INSTANCE_2]);
      // An id that is not attached only recomputes the statuses.
      expect((await act(id, sample('volume-detach-request.json'))).status).to.equal(202);
      expect((await show(id)).attachments).to.have.length(1);
      expect((await act(id, { 'os-detach': { attachment_id: v.attachments[0].attachment_id } })).status).to.equal(202);
      expect((await show(id)).status).to.equal('available');
      expectFault(await act(id, { 'os-detach': { attachment_id: 'nope' } }), 400, /attachment_id\. Value: 'nope'\. 'nope' is not a 'uuid'/);
    });
  });

  describe('revert (3.40+)', () => {
    it('is 404 below 3.40 and delegates to the snapshots service from 3.40', async () => {
      const id = await create();
      const body = sample('volume-revert-to-snapshot-request.json');
      expectFault(await act(id, body, '3.39'), 404, 'The resource could not be found.');
      expectFault(await act(id, body, '3.40'), 400, `Volume ${id} doesn't have any snapshots.`);
      expectFault(await act(id, { revert: 5 }, '3.40'), 400, /revert\. Value: 5\. 5 is not of type 'object'/);
      expectFault(await act(MISSING, body, '3.40'), 404, `Volume ${MISSING} could not be found.`);
      expect((await show(id)).status).to.equal('available');
    });
  });
});
