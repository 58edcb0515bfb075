import { expect } from 'chai';
import { startServer, sample, type TestServer } from '../lib/server';

describe('API: volume types, default types, quotas, limits and metadata', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  describe('volume types', () => {
    it("lists __DEFAULT__ with the sample keys; cinderclient's is_public=None lists all", async () => {
      const r = await s.request('GET', '/v3/types?is_public=None');
      expect(r.status).to.equal(200);
      const def = r.body.volume_types.find((t: { name: string }) => t.name === '__DEFAULT__');
      expect(def).to.include({ description: 'Default Volume Type', is_public: true, 'os-volume-type-access:is_public': true });
      const expected = sample('volume_type/volume-types-list-response.json') as { volume_types: Record<string, unknown>[] };
      expect(Object.keys(def).sort()).to.deep.equal(Object.keys(expected.volume_types[0]).sort());
    });

    it('creates (200), shows, updates and deletes (202) a type with extra specs', async () => {
      const created = await s.request('POST', '/v3/types', { body: sample('volume_type/volume-type-create-request.json') });
      expect(created.status).to.equal(200);
      const t = created.body.volume_type;
      expect(t).to.include({ name: 'vol-type-001', description: 'volume type 0001', is_public: true });
      expect(t.extra_specs).to.deep.equal({ capabilities: 'gpu' });
      // Cinder's create view has no qos_specs_id; show adds it (admin), as the samples do.
      expect(Object.keys(t).sort()).to.deep.equal(Object.keys(sample('volume_type/volume-type-create-response.json').volume_type as object).sort());
      const shown = (await s.request('GET', `/v3/types/${t.id}`)).body.volume_type;
      expect(shown).to.deep.equal({ ...t, qos_specs_id: null });
      expect(Object.keys(shown).sort()).to.deep.equal(Object.keys(sample('volume_type/volume-type-show-response.json').volume_type as object).sort());
      const dup = await s.request('POST', '/v3/types', { body: { volume_type: { name: 'vol-type-001' } } });
      expect(dup.status).to.equal(409);
      expect(dup.body).to.deep.equal({ conflictingRequest: { code: 409, message: 'Volume Type vol-type-001 already exists.' } });
      const updated = await s.request('PUT', `/v3/types/${t.id}`, { body: { volume_type: { description: 'changed' } } });
      expect(updated.body.volume_type.description).to.equal('changed');
      expect(Object.keys(updated.body.volume_type).sort()).to.deep.equal(
        Object.keys(sample('volume_type/volume-type-update-response.json').volume_type as object).sort(),
      );
      const del = await s.request('DELETE', `/v3/types/${t.id}`);
      expect(del.status).to.equal(202);
      expect((await s.request('GET', `/v3/types/${t.id}`)).status).to.equal(404);
    });

    it('updates a type from the body cinderclient sends (name null), and refuses an update that changes nothing', async () => {
      const t = (await s.request('POST', '/v3/types', { body: { volume_type: { name: 'to-update' } } })).body.volume_type;
      const r = await s.request('PUT', `/v3/types/${t.id}`, { mv: '3.70', body: { volume_type: { name: null, description: 'hi' } } });
      expect(r.status).to.equal(200);
      expect(r.body.volume_type).to.include({ name: 'to-update', description: 'hi' });
      const priv = await s.request('PUT', `/v3/types/${t.id}`, { body: { volume_type: { name: null, description: null, is_public: false } } });
      expect(priv.body.volume_type.is_public).to.equal(false);
      const none = await s.request('PUT', `/v3/types/${t.id}`, { body: { volume_type: { name: null, description: null } } });
      expect(none.status).to.equal(400);
      expect(none.body.badRequest.message).to.equal('Specify volume type name, description, is_public or a combination thereof.');
    });

    it('manages extra specs: merge, show one (a bare pair), update one, delete one', async () => {
      const t = (await s.request('POST', '/v3/types', { body: { volume_type: { name: 'specs' } } })).body.volume_type;
      const set = await s.request('POST', `/v3/types/${t.id}/extra_specs`, { body: { extra_specs: { a: '1', b: '2' } } });
      expect(set.body).to.deep.equal({ extra_specs: { a: '1', b: '2' } });
      expect((await s.request('GET', `/v3/types/${t.id}/extra_specs/a`)).body).to.deep.equal({ a: '1' });
      expect((await s.request('PUT', `/v3/types/${t.id}/extra_specs/a`, { body: { a: '9' } })).body).to.deep.equal({ a: '9' });
      expect((await s.request('DELETE', `/v3/types/${t.id}/extra_specs/b`)).status).to.equal(202);
      expect((await s.request('GET', `/v3/types/${t.id}/extra_specs`)).body).to.deep.equal({ extra_specs: { a: '9' } });
      expect((await s.request('GET', `/v3/types/${t.id}/extra_specs/b`)).status).to.equal(404);
    });

    it('creates volumes of a type by name or id, and refuses to delete a type in use or the default', async () => {
      const t = (await s.request('POST', '/v3/types', { body: { volume_type: { name: 'fast' } } })).body.volume_type;
      const byName = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, volume_type: 'fast' } } });
      expect(byName.body.volume.volume_type).to.equal('fast');
      const byId = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, volume_type: t.id } }, mv: '3.63' });
      expect(byId.body.volume.volume_type_id).to.equal(t.id);
      const inUse = await s.request('DELETE', `/v3/types/${t.id}`);
      expect(inUse.status).to.equal(400);
      expect(inUse.body.badRequest.message).to.equal('Target volume type is still in use.');
      const def = (await s.request('GET', '/v3/types/default')).body.volume_type;
      expect(def.name).to.equal('__DEFAULT__');
      expect((await s.request('DELETE', `/v3/types/${def.id}`)).status).to.equal(400);
    });

    it('sets, shows, lists and unsets a project default type from 3.62; new volumes get it', async () => {
      const t = (await s.request('POST', '/v3/types', { body: { volume_type: { name: 'project-default' } } })).body.volume_type;
      const set = await s.request('PUT', `/v3/default-types/${s.projectId}`, { body: { default_type: { volume_type: 'project-default' } }, mv: '3.62' });
      expect(set.status).to.equal(200);
      expect(set.body).to.deep.equal({ default_type: { project_id: s.projectId, volume_type_id: t.id } });
      expect((await s.request('GET', `/v3/default-types/${s.projectId}`, { mv: '3.62' })).body).to.deep.equal(set.body);
      expect((await s.request('GET', '/v3/default-types', { mv: '3.62' })).body.default_types).to.deep.include({
        project_id: s.projectId,
        volume_type_id: t.id,
      });
      expect((await s.request('GET', '/v3/types/default')).body.volume_type.id).to.equal(t.id);
      const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      expect(v.body.volume.volume_type).to.equal('project-default');
      const unset = await s.request('DELETE', `/v3/default-types/${s.projectId}`, { mv: '3.62' });
      expect(unset.status).to.equal(204);
      expect((await s.request('GET', `/v3/default-types/${s.projectId}`, { mv: '3.62' })).status).to.equal(404);
    });
  });

  describe('quotas and limits', () => {
    const project = 'aaaa1111';
    const token = `admin:${project}`;

    it('shows defaults with per-type keys, and usage with limit/in_use/reserved', async () => {
      const r = await s.request('GET', `/v3/os-quota-sets/${project}`, { token });
      expect(r.body.quota_set).to.include({
        id: project,
        volumes: 10,
        snapshots: 10,
        gigabytes: 1000,
        backups: 10,
        backup_gigabytes: 1000,
        groups: 10,
        per_volume_gigabytes: -1,
      });
      expect(r.body.quota_set['volumes___DEFAULT__']).to.equal(-1);
      const expected = sample('quota_sets/quotas-show-usage-response.json') as { quota_set: Record<string, unknown> };
      const usage = await s.request('GET', `/v3/os-quota-sets/${project}?usage=true`, { token });
      for (const key of Object.keys(expected.quota_set)) expect(usage.body.quota_set).to.have.property(key);
      expect(usage.body.quota_set.volumes).to.deep.equal({ limit: 10, in_use: 0, reserved: 0 });
      const defaults = await s.request('GET', `/v3/os-quota-sets/${project}/defaults`, { token });
      expect(defaults.body.quota_set.volumes).to.equal(10);
    });

    it('updates limits (response without id), enforces them with 413, and resets to defaults', async () => {
      const up = await s.request('PUT', `/v3/os-quota-sets/${project}`, { token, body: { quota_set: { tenant_id: project, volumes: 2, gigabytes: '5' } } });
      expect(up.status).to.equal(200);
      expect(up.body.quota_set).to.include({ volumes: 2, gigabytes: 5 });
      expect(up.body.quota_set).not.to.have.property('id');
      const a = await s.request('POST', '/v3/volumes', { token, body: { volume: { size: 3 } } });
      expect(a.status).to.equal(202);
      const tooBig = await s.request('POST', '/v3/volumes', { token, body: { volume: { size: 3 } } });
      expect(tooBig.status).to.equal(413);
      expect(tooBig.body.overLimit.message).to.equal(
        'VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota. Requested 3G, quota is 5G and 3G has been consumed.',
      );
      expect((await s.request('POST', '/v3/volumes', { token, body: { volume: { size: 1 } } })).status).to.equal(202);
      const tooMany = await s.request('POST', '/v3/volumes', { token, body: { volume: { size: 1 } } });
      expect(tooMany.status).to.equal(413);
      expect(tooMany.body.overLimit.message).to.equal("VolumeLimitExceeded: Maximum number of volumes allowed (2) exceeded for quota 'volumes'.");
      const limits = (await s.request('GET', '/v3/limits', { token })).body.limits;
      expect(limits.rate).to.deep.equal([]);
      expect(limits.absolute).to.include({ maxTotalVolumes: 2, maxTotalVolumeGigabytes: 5, totalVolumesUsed: 2, totalGigabytesUsed: 4 });
      expect(Object.keys(limits.absolute).sort()).to.deep.equal(
        Object.keys((sample('limits/limits-show-response.json') as { limits: { absolute: object } }).limits.absolute).sort(),
      );
      const per = await s.request('PUT', `/v3/os-quota-sets/${project}`, {
        token,
        body: { quota_set: { per_volume_gigabytes: 1, volumes: 5, gigabytes: 100 } },
      });
      expect(per.status).to.equal(200);
      const perVolume = await s.request('POST', '/v3/volumes', { token, body: { volume: { size: 2 } } });
      expect(perVolume.body.overLimit.message).to.equal('VolumeSizeExceedsLimit: Requested volume size 2G is larger than maximum allowed limit 1G.');
      expect((await s.request('DELETE', `/v3/os-quota-sets/${project}`, { token })).status).to.equal(200);
      expect((await s.request('GET', `/v3/os-quota-sets/${project}`, { token })).body.quota_set.volumes).to.equal(10);
    });

    it('never lets concurrent creates exceed the quota', async () => {
      const p = 'bbbb2222';
      await s.request('PUT', `/v3/os-quota-sets/${p}`, { token: `admin:${p}`, body: { quota_set: { volumes: 3 } } });
      const results = await Promise.all(
        Array.from({ length: 10 }, () => s.request('POST', '/v3/volumes', { token: `admin:${p}`, body: { volume: { size: 1 } } })),
      );
      expect(results.filter((r) => r.status === 202)).to.have.length(3);
      expect(results.filter((r) => r.status === 413)).to.have.length(7);
      const usage = await s.request('GET', `/v3/os-quota-sets/${p}?usage=true`, { token: `admin:${p}` });
      expect(usage.body.quota_set.volumes.in_use).to.equal(3);
    });

    it("lets an admin read another project's limits from 3.39", async () => {
      const r = await s.request('GET', `/v3/limits?project_id=${project}`, { mv: '3.39' });
      expect(r.body.limits.absolute.maxTotalVolumes).to.equal(10);
    });
  });

  describe('volume metadata', () => {
    let id: string;
    before(async () => {
      id = (await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, metadata: { a: '1' } } } })).body.volume.id;
    });

    it('merges with POST, replaces with PUT, shows, updates and deletes one key', async () => {
      expect((await s.request('POST', `/v3/volumes/${id}/metadata`, { body: { metadata: { b: '2' } } })).body).to.deep.equal({ metadata: { a: '1', b: '2' } });
      expect((await s.request('GET', `/v3/volumes/${id}/metadata`)).body).to.deep.equal({ metadata: { a: '1', b: '2' } });
      expect((await s.request('PUT', `/v3/volumes/${id}/metadata`, { body: { metadata: { c: '3' } } })).body).to.deep.equal({ metadata: { c: '3' } });
      expect((await s.request('GET', `/v3/volumes/${id}/metadata/c`)).body).to.deep.equal({ meta: { c: '3' } });
      expect((await s.request('PUT', `/v3/volumes/${id}/metadata/c`, { body: { meta: { c: '4' } } })).body).to.deep.equal({ meta: { c: '4' } });
      const del = await s.request('DELETE', `/v3/volumes/${id}/metadata/c`);
      expect(del.status).to.equal(200);
      expect(del.text).to.equal('');
      expect((await s.request('GET', `/v3/volumes/${id}/metadata`)).body).to.deep.equal({ metadata: {} });
    });

    it('sends an ETag from 3.15 and honours If-Match (412 on a stale one)', async () => {
      await s.request('PUT', `/v3/volumes/${id}/metadata`, { body: { metadata: { x: '1' } } });
      expect((await s.request('GET', `/v3/volumes/${id}/metadata`)).headers.get('etag')).to.equal(null);
      const r = await s.request('GET', `/v3/volumes/${id}/metadata`, { mv: '3.15' });
      const etag = r.headers.get('etag')!;
      expect(etag).to.match(/^[0-9a-f]{32}$/);
      const ok = await s.request('PUT', `/v3/volumes/${id}/metadata`, { mv: '3.15', headers: { 'If-Match': etag }, body: { metadata: { y: '2' } } });
      expect(ok.status).to.equal(200);
      const stale = await s.request('PUT', `/v3/volumes/${id}/metadata`, { mv: '3.15', headers: { 'If-Match': etag }, body: { metadata: { z: '3' } } });
      expect(stale.status).to.equal(412);
      expect(stale.text).to.equal('');
      expect((await s.request('GET', `/v3/volumes/${id}/metadata`)).body).to.deep.equal({ metadata: { y: '2' } });
    });
  });
});
