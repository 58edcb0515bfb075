import { expect } from 'chai';
import { startServer, sample, type Reply, type TestServer } from '../lib/server';

/** Volume type views and private types with their access lists (cinder/api/contrib/volume_type_access.py). */
describe('API: volume type views and type access', () => {
  let s: TestServer;
  const P = 'aaaa0000aaaa0000aaaa0000aaaa0001';
  const Q = 'aaaa0000aaaa0000aaaa0000aaaa0002';
  const member = `member:${P}`;
  const otherMember = `member:${Q}`;
  const FORBIDDEN = { forbidden: { code: 403, message: 'Policy does not allow this operation to be performed.' } };

  before(async () => {
    s = await startServer({}, { roleTokens: true });
  });
  after(async () => {
    await s.close();
  });

  function keysOf(o: object): string[] {
    return Object.keys(o).sort();
  }

  async function createType(body: Record<string, unknown>): Promise<Record<string, any>> {
    const r = await s.request('POST', '/v3/types', { body: { volume_type: body } });
    expect(r.status, r.text).to.equal(200);
    return r.body.volume_type;
  }

  async function accessList(id: string): Promise<Reply> {
    return s.request('GET', `/v3/types/${id}/os-volume-type-access`);
  }

  function action(id: string, body: unknown, token?: string): Promise<Reply> {
    return s.request('POST', `/v3/types/${id}/action`, { body, token });
  }

  describe('type views as Cinder shapes them', () => {
    it('create: no qos_specs_id; show and list: qos_specs_id for admins; update: no access flag', async () => {
      const t = await createType({ name: 'views-1', description: 'd', extra_specs: { a: 'b', multiattach: '<is> True' } });
      expect(keysOf(t)).to.deep.equal(keysOf(sample('volume_type/volume-type-create-response.json').volume_type as object));
      const shown = (await s.request('GET', `/v3/types/${t.id}`)).body.volume_type;
      expect(shown).to.deep.equal({ ...t, qos_specs_id: null });
      const listed = (await s.request('GET', '/v3/types')).body.volume_types.find((x: { id: string }) => x.id === t.id);
      expect(listed).to.deep.equal(shown);
      const updated = await s.request('PUT', `/v3/types/${t.id}`, { body: { volume_type: { description: 'e' } } });
      expect(updated.status).to.equal(200);
      expect(updated.body.volume_type).to.deep.equal({ id: t.id, name: 'views-1', is_public: true, description: 'e', extra_specs: t.extra_specs });
    });

    it('members see no qos_specs_id and only user-visible extra specs; readers also no access flag', async () => {
      const t = await createType({ name: 'views-2', extra_specs: { volume_backend_name: 'secret', multiattach: '<is> True' } });
      const asMember = (await s.request('GET', `/v3/types/${t.id}`, { token: member })).body.volume_type;
      expect(asMember).to.deep.equal({
        id: t.id,
        name: 'views-2',
        is_public: true,
        description: null,
        extra_specs: { multiattach: '<is> True' },
        'os-volume-type-access:is_public': true,
      });
      const asReader = (await s.request('GET', `/v3/types/${t.id}`, { token: `reader:${P}` })).body.volume_type;
      expect(asReader).to.not.have.property('os-volume-type-access:is_public');
      expect(asReader).to.not.have.property('qos_specs_id');
    });

    it('GET /types/default has qos_specs_id for admins but no access flag (as the sample)', async () => {
      const def = (await s.request('GET', '/v3/types/default')).body.volume_type;
      expect(keysOf(def)).to.deep.equal(keysOf(sample('volume_type/volume-type-default-response.json').volume_type as object));
    });

    it("a repeated name is 409 with Cinder's message", async () => {
      await createType({ name: 'views-dup' });
      const dup = await s.request('POST', '/v3/types', { body: { volume_type: { name: 'views-dup' } } });
      expect(dup.status).to.equal(409);
      expect(dup.body).to.deep.equal({ conflictingRequest: { code: 409, message: 'Volume Type views-dup already exists.' } });
    });
  });

  describe('private types', () => {
    let priv: Record<string, any>;
    before(async () => {
      priv = await createType({ name: 'private-1', 'os-volume-type-access:is_public': false });
    });

    it('is created private and hidden from members of projects without access (list, show, volume create)', async () => {
      expect(priv).to.include({ is_public: false, 'os-volume-type-access:is_public': false });
      const list = await s.request('GET', '/v3/types', { token: member });
      expect(list.status).to.equal(200);
      expect(list.body.volume_types.map((t: { id: string }) => t.id)).to.not.include(priv.id);
      // Members cannot widen the list: is_public is the admin's filter only.
      const all = await s.request('GET', '/v3/types?is_public=None', { token: member });
      expect(all.body.volume_types.map((t: { id: string }) => t.id)).to.not.include(priv.id);
      const show = await s.request('GET', `/v3/types/${priv.id}`, { token: member });
      expect(show.status).to.equal(404);
      expect(show.body).to.deep.equal({ itemNotFound: { code: 404, message: `Volume type ${priv.id} could not be found.` } });
      const byId = await s.request('POST', '/v3/volumes', { token: member, body: { volume: { size: 1, volume_type: priv.id } } });
      expect(byId.status).to.equal(404);
      expect(byId.body.itemNotFound.message).to.equal(`Volume type ${priv.id} could not be found.`);
      const byName = await s.request('POST', '/v3/volumes', { token: member, body: { volume: { size: 1, volume_type: 'private-1' } } });
      expect(byName.status).to.equal(404);
      expect(byName.body.itemNotFound.message).to.equal('Volume type with name private-1 could not be found.');
      expect((await s.request('GET', '/v3/volumes', { token: member })).body.volumes).to.deep.equal([]);
    });

    it('admins list it with is_public=false or None, not by default (their project has no access)', async () => {
      const ids = async (q: string) => (await s.request('GET', `/v3/types${q}`)).body.volume_types.map((t: { id: string }) => t.id);
      expect(await ids('')).to.not.include(priv.id);
      expect(await ids('?is_public=false')).to.include(priv.id);
      expect(await ids('?is_public=None')).to.include(priv.id);
      expect(await ids('?is_public=false')).to.not.include((await s.request('GET', '/v3/types/default')).body.volume_type.id);
      const bad = await s.request('GET', '/v3/types?is_public=maybe');
      expect(bad.status).to.equal(400);
      expect(bad.body.badRequest.message).to.equal('Invalid is_public filter [maybe]');
    });

    it('addProjectAccess (202, no body) lets that project list, show and use it; 409 when added twice', async () => {
      const add = await action(priv.id, { addProjectAccess: { project: P } });
      expect(add.status).to.equal(202);
      expect(add.text).to.equal('');
      const again = await action(priv.id, { addProjectAccess: { project: P } });
      expect(again.status).to.equal(409);
      expect(again.body).to.deep.equal({
        conflictingRequest: { code: 409, message: `Volume type access for ${priv.id} / ${P} combination already exists.` },
      });
      const list = await accessList(priv.id);
      expect(list.status).to.equal(200);
      expect(list.body).to.deep.equal({ volume_type_access: [{ volume_type_id: priv.id, project_id: P }] });
      const expected = sample('volume_type/volume-type-access-list-response.json') as { volume_type_access: object[] };
      expect(keysOf(list.body.volume_type_access[0])).to.deep.equal(keysOf(expected.volume_type_access[0]));

      const listed = (await s.request('GET', '/v3/types', { token: member })).body.volume_types;
      expect(listed.map((t: { id: string }) => t.id)).to.include(priv.id);
      const shown = await s.request('GET', `/v3/types/${priv.id}`, { token: member });
      expect(shown.status).to.equal(200);
      expect(shown.body.volume_type).to.include({ id: priv.id, is_public: false, 'os-volume-type-access:is_public': false });
      const v = await s.request('POST', '/v3/volumes', { token: member, body: { volume: { size: 1, volume_type: priv.id } } });
      expect(v.status, v.text).to.equal(202);
      expect(v.body.volume.volume_type).to.equal('private-1');
      // Another project still cannot.
      expect((await s.request('GET', `/v3/types/${priv.id}`, { token: otherMember })).status).to.equal(404);
      const other = await s.request('POST', '/v3/volumes', { token: otherMember, body: { volume: { size: 1, volume_type: 'private-1' } } });
      expect(other.status).to.equal(404);
      await s.waitForVolume(v.body.volume.id, ['available']);
      expect((await s.request('DELETE', `/v3/volumes/${v.body.volume.id}`, { token: member })).status).to.equal(202);
      await s.waitForVolume(v.body.volume.id, ['deleted']);
    });

    it('removeProjectAccess (202) takes it away again; 404 for a project not on the list', async () => {
      const t = await createType({ name: 'private-2', 'os-volume-type-access:is_public': 'False' });
      expect((await action(t.id, { addProjectAccess: { project: Q } })).status).to.equal(202);
      expect((await s.request('GET', `/v3/types/${t.id}`, { token: otherMember })).status).to.equal(200);
      // The body of Cinder's volume-type-access-delete-request.json sample.
      const remove = await action(t.id, { removeProjectAccess: { project: 'f270b245cb11498ca4031deb7e141cfa' } });
      expect(remove.status).to.equal(404);
      expect(remove.body).to.deep.equal({
        itemNotFound: { code: 404, message: `Volume type access not found for ${t.id} / f270b245cb11498ca4031deb7e141cfa combination.` },
      });
      const ok = await action(t.id, { removeProjectAccess: { project: Q } });
      expect(ok.status).to.equal(202);
      expect(ok.text).to.equal('');
      expect((await accessList(t.id)).body).to.deep.equal({ volume_type_access: [] });
      expect((await s.request('GET', `/v3/types/${t.id}`, { token: otherMember })).status).to.equal(404);
    });

    it('members may not read or change access lists (403), and nothing changes', async () => {
      const t = await createType({ name: 'private-3', 'os-volume-type-access:is_public': false });
      expect((await action(t.id, { addProjectAccess: { project: P } })).status).to.equal(202);
      expect(await s.request('GET', `/v3/types/${t.id}/os-volume-type-access`, { token: member }).then((r) => [r.status, r.body])).to.deep.equal([
        403,
        FORBIDDEN,
      ]);
      for (const body of [{ addProjectAccess: { project: Q } }, { removeProjectAccess: { project: P } }]) {
        const r = await action(t.id, body, member);
        expect(r.status).to.equal(403);
        expect(r.body).to.deep.equal(FORBIDDEN);
      }
      expect((await accessList(t.id)).body.volume_type_access).to.deep.equal([{ volume_type_id: t.id, project_id: P }]);
    });

    it('refuses bad input with 400 and changes nothing', async () => {
      const t = await createType({ name: 'private-4', 'os-volume-type-access:is_public': false });
      const cases: [unknown, string][] = [
        [{ addProjectAccess: {} }, "Invalid input for field/attribute addProjectAccess. Value: {}. 'project' is a required property"],
        [{ addProjectAccess: { project: '' } }, "Invalid input for field/attribute project. Value: ''. '' is too short"],
        [
          { addProjectAccess: { project: P, extra: 1 } },
          `Invalid input for field/attribute addProjectAccess. Value: {'project': '${P}', 'extra': 1}. Additional properties are not allowed ('extra' was unexpected)`,
        ],
        [{ removeProjectAccess: { project: 5 } }, "Invalid input for field/attribute project. Value: 5. 5 is not of type 'string'"],
        [{ addProjectAccess: { project: P }, removeProjectAccess: { project: P } }, 'Malformed request body'],
        [{ bogus: {} }, 'There is no such action: bogus. Verify the request body and Content-Type header and try again.'],
      ];
      for (const [body, message] of cases) {
        const r = await action(t.id, body);
        expect(r.status, JSON.stringify(body)).to.equal(400);
        expect(r.body, JSON.stringify(body)).to.deep.equal({ badRequest: { code: 400, message } });
      }
      expect((await accessList(t.id)).body.volume_type_access).to.deep.equal([]);
    });

    it('public types have no access list: GET is 404, changes are 400; unknown types are 404', async () => {
      const pub = await createType({ name: 'public-1' });
      const list = await accessList(pub.id);
      expect(list.status).to.equal(404);
      expect(list.body).to.deep.equal({ itemNotFound: { code: 404, message: 'Access list not available for public volume types.' } });
      for (const key of ['addProjectAccess', 'removeProjectAccess']) {
        const r = await action(pub.id, { [key]: { project: P } });
        expect(r.status).to.equal(400);
        expect(r.body).to.deep.equal({
          badRequest: { code: 400, message: 'Invalid volume type: Type access modification is not applicable to public volume type.' },
        });
      }
      const missing = '00000000-0000-0000-0000-00000000abcd';
      for (const r of [await accessList(missing), await action(missing, { addProjectAccess: { project: P } })]) {
        expect(r.status).to.equal(404);
        expect(r.body.itemNotFound.message).to.equal(`Volume type ${missing} could not be found.`);
      }
    });

    it('deleting a private type drops its access list', async () => {
      const t = await createType({ name: 'private-5', 'os-volume-type-access:is_public': false });
      expect((await action(t.id, { addProjectAccess: { project: P } })).status).to.equal(202);
      expect((await s.request('DELETE', `/v3/types/${t.id}`)).status).to.equal(202);
      const rows = await s.services.store.db.selectFrom('volume_type_projects').selectAll().where('volume_type_id', '=', t.id).execute();
      expect(rows).to.deep.equal([]);
    });
  });
});
