import { expect } from 'chai';
import { expectFault, startServer, sample, type TestServer } from '../lib/server';

/** QoS specs (cinder/api/contrib/qos_specs_manage.py): admin-only CRUD, keys, associations, connection_info. */
describe('API: QoS specs', () => {
  let s: TestServer;
  const member = 'member:aaaa0000aaaa0000aaaa0000aaaa0001';
  const MISSING = '00000000-0000-0000-0000-00000000abcd';

  before(async () => {
    s = await startServer({}, { roleTokens: true });
  });
  after(async () => {
    await s.close();
  });

  function keysOf(o: object): string[] {
    return Object.keys(o).sort();
  }

  async function create(body: Record<string, unknown>): Promise<Record<string, any>> {
    const r = await s.request('POST', '/v3/qos-specs', { body: { qos_specs: body } });
    expect(r.status, r.text).to.equal(200);
    return r.body.qos_specs;
  }

  async function show(id: string): Promise<Record<string, any>> {
    const r = await s.request('GET', `/v3/qos-specs/${id}`);
    expect(r.status, r.text).to.equal(200);
    return r.body.qos_specs;
  }

  async function createType(name: string): Promise<string> {
    const r = await s.request('POST', '/v3/types', { body: { volume_type: { name } } });
    expect(r.status, r.text).to.equal(200);
    return r.body.volume_type.id;
  }

  const allNames = async (): Promise<string[]> => (await s.request('GET', '/v3/qos-specs')).body.qos_specs.map((q: { name: string }) => q.name);

  describe('create, show, list', () => {
    it("creates from Cinder's sample request with the sample's shape (consumer back-end, links)", async () => {
      const r = await s.request('POST', `/v3/${s.projectId}/qos-specs`, { body: sample('qos/qos-create-request.json') });
      expect(r.status).to.equal(200);
      const expected = sample('qos/qos-create-response.json') as { qos_specs: object; links: object[] };
      expect(keysOf(r.body)).to.deep.equal(keysOf(expected));
      expect(keysOf(r.body.qos_specs)).to.deep.equal(keysOf(expected.qos_specs));
      const id = r.body.qos_specs.id;
      expect(r.body.qos_specs).to.deep.equal({ id, name: 'reliability-spec', consumer: 'back-end', specs: {} });
      expect(r.body.links).to.deep.equal([
        { rel: 'self', href: `${s.url}/v3/${s.projectId}/qos-specs/${id}` },
        { rel: 'bookmark', href: `${s.url}/${s.projectId}/qos-specs/${id}` },
      ]);
      const shown = await s.request('GET', `/v3/${s.projectId}/qos-specs/${id}`);
      expect(shown.body).to.deep.equal(r.body);
      expect(keysOf(shown.body)).to.deep.equal(keysOf(sample('qos/qos-show-response.json')));
    });

    it('keeps the other keys as specs, consumer aside; the name is trimmed', async () => {
      const q = await create({ name: '  fast  ', consumer: 'front-end', read_iops_sec: '2000', note: null });
      expect(q).to.deep.include({ name: 'fast', consumer: 'front-end', specs: { note: null, read_iops_sec: '2000' } });
      expect((await create({ name: 'both', consumer: 'both' })).consumer).to.equal('both');
      expect((await create({ name: 'null-consumer', consumer: null })).consumer).to.equal('back-end');
    });

    it('lists items without links, newest first; pages with limit and marker; filters on id, name, consumer', async () => {
      const r = await s.request('GET', '/v3/qos-specs');
      expect(r.status).to.equal(200);
      expect(keysOf(r.body)).to.deep.equal(keysOf(sample('qos/qos-list-response.json')));
      const items = r.body.qos_specs as Record<string, any>[];
      expect(keysOf(items[0])).to.deep.equal(keysOf((sample('qos/qos-list-response.json') as { qos_specs: object[] }).qos_specs[0]));
      expect(items.map((q) => q.name).slice(0, 4)).to.deep.equal(['null-consumer', 'both', 'fast', 'reliability-spec']);

      const first = await s.request('GET', '/v3/qos-specs?limit=1');
      expect(first.body.qos_specs.map((q: { name: string }) => q.name)).to.deep.equal(['null-consumer']);
      const next = new URL(first.body.qos_specs_links[0].href);
      expect(first.body.qos_specs_links[0].rel).to.equal('next');
      expect(next.searchParams.get('marker')).to.equal(items[0].id);
      const second = await s.request('GET', `${next.pathname}${next.search}`);
      expect(second.body.qos_specs.map((q: { name: string }) => q.name)).to.deep.equal(['both']);

      expect((await s.request('GET', '/v3/qos-specs?sort=name:asc&limit=2')).body.qos_specs.map((q: { name: string }) => q.name)).to.deep.equal([
        'both',
        'fast',
      ]);
      expect((await s.request('GET', '/v3/qos-specs?consumer=front-end')).body.qos_specs.map((q: { name: string }) => q.name)).to.deep.equal(['fast']);
      expect((await s.request('GET', `/v3/qos-specs?name=both`)).body.qos_specs).to.have.length(1);
      expect((await s.request('GET', '/v3/qos-specs?bogus=1')).body).to.deep.equal({ qos_specs: [] });
      expectFault(await s.request('GET', `/v3/qos-specs?marker=${MISSING}`), 404, `No such QoS spec ${MISSING}.`);
      expectFault(await s.request('GET', '/v3/qos-specs?limit=x'), 400, 'limit param must be an integer');
      expectFault(await s.request('GET', '/v3/qos-specs?sort=key:asc'), 400, 'Invalid input received: Invalid sort key');
    });

    it('refuses bad input with 400 (409 for a name in use) and creates nothing', async () => {
      const before = await allNames();
      const cases: [unknown, number, string][] = [
        [{}, 400, "'qos_specs' is a required property"],
        [{ qos_specs: {} }, 400, "Invalid input for field/attribute qos_specs. Value: {}. 'name' is a required property"],
        [{ qos_specs: { name: 5 } }, 400, "Invalid input for field/attribute name. Value: 5. 5 is not of type 'string'"],
        [{ qos_specs: { name: '' } }, 400, "An invalid 'name' value was provided. The 'name' can not be None."],
        [{ qos_specs: { name: '   ' } }, 400, "An invalid 'name' value was provided. The 'name' can not be empty."],
        [{ qos_specs: { name: 'x'.repeat(256) } }, 400, "An invalid 'name' value was provided. The 'name' can not be greater than 255 characters."],
        [{ qos_specs: { name: 'c', consumer: 'middle' } }, 400, "Invalid qos specs: Valid consumer of QoS specs are: 'back-end', 'front-end', 'both'"],
        [{ qos_specs: { name: 'c', iops: 5 } }, 400, 'Invalid input received: Value for key "iops" is not a string or unicode'],
        [{ qos_specs: { name: 'c', iops: 'x'.repeat(256) } }, 400, 'Invalid input received: Value for key "iops" has 256 characters, more than 255.'],
        [{ qos_specs: { name: 'c', '': '1' } }, 400, 'Invalid input received: Key "" has 0 characters, less than 1.'],
        [{ qos_specs: { name: 'fast' } }, 409, 'QoS Specs fast already exists.'],
        [{ qos_specs: { name: 'c' }, extra: 1 }, 400, "Additional properties are not allowed ('extra' was unexpected)"],
      ];
      for (const [body, status, message] of cases) expectFault(await s.request('POST', '/v3/qos-specs', { body }), status, message);
      expect(await allNames()).to.deep.equal(before);
    });

    it('answers 404 for an unknown id on every route', async () => {
      const routes: [string, string, unknown?][] = [
        ['GET', ''],
        ['PUT', '', { qos_specs: { a: '1' } }],
        ['DELETE', ''],
        ['PUT', '/delete_keys', { keys: ['a'] }],
        ['GET', '/associations'],
        ['GET', '/associate?vol_type_id=x'],
        ['GET', '/disassociate?vol_type_id=x'],
        ['GET', '/disassociate_all'],
      ];
      for (const [method, suffix, body] of routes)
        expectFault(await s.request(method, `/v3/qos-specs/${MISSING}${suffix}`, { body }), 404, `No such QoS spec ${MISSING}.`);
    });
  });

  describe('keys', () => {
    it("sets keys (answering with the request, as Cinder's sample), changes the consumer, removes keys", async () => {
      const q = await create({ name: 'keys-1', a: '1' });
      const set = await s.request('PUT', `/v3/qos-specs/${q.id}`, { body: sample('qos/qos-update-request.json') });
      expect(set.status).to.equal(200);
      expect(set.body).to.deep.equal(sample('qos/qos-update-response.json'));
      expect((await show(q.id)).specs).to.deep.equal({ a: '1', delay: '1' });
      expect((await s.request('PUT', `/v3/qos-specs/${q.id}`, { body: { qos_specs: { consumer: 'front-end', a: '2' } } })).status).to.equal(200);
      expect(await show(q.id)).to.deep.include({ consumer: 'front-end', specs: { a: '2', delay: '1' } });
      const unset = await s.request('PUT', `/v3/qos-specs/${q.id}/delete_keys`, { body: { keys: ['delay'] } });
      expect(unset.status).to.equal(202);
      expect(unset.text).to.equal('');
      expect((await show(q.id)).specs).to.deep.equal({ a: '2' });
    });

    it('refuses bad keys, consumers and bodies with 400, a missing key with 404, and changes nothing', async () => {
      const q = await create({ name: 'keys-2', consumer: 'front-end', a: '1', b: '2' });
      const before = await show(q.id);
      const put: [unknown, string][] = [
        [
          { qos_specs: { 'bad key!': '1' } },
          "Invalid input for field/attribute qos_specs. Value: {'bad key!': '1'}. Additional properties are not allowed ('bad key!' was unexpected)",
        ],
        [{ qos_specs: { a: 5 } }, "Invalid input for field/attribute a. Value: 5. 5 is not of type 'string', 'null'"],
        [{ qos_specs: { consumer: 'middle', a: '9' } }, "Invalid qos specs: Valid consumer of QoS specs are: 'back-end', 'front-end', 'both'"],
        [{}, "'qos_specs' is a required property"],
      ];
      for (const [body, message] of put) expectFault(await s.request('PUT', `/v3/qos-specs/${q.id}`, { body }), 400, message);
      const unset: [unknown, string][] = [
        [{ keys: 'a' }, "Invalid input for field/attribute keys. Value: 'a'. 'a' is not of type 'array'"],
        [{ keys: ['a', 'a'] }, "Invalid input for field/attribute keys. Value: ['a', 'a']. ['a', 'a'] has non-unique elements"],
        [{}, "'keys' is a required property"],
      ];
      for (const [body, message] of unset) {
        const r = await s.request('PUT', `/v3/qos-specs/${q.id}/delete_keys`, { body });
        expect(r.status, JSON.stringify(body)).to.equal(400);
        if (!message.includes('non-unique')) expect(r.body.badRequest.message).to.equal(message);
      }
      // All or nothing: `a` stays although it comes before the missing key.
      expectFault(
        await s.request('PUT', `/v3/qos-specs/${q.id}/delete_keys`, { body: { keys: ['a', 'nope'] } }),
        404,
        `QoS spec ${q.id} has no spec with key nope.`,
      );
      expect(await show(q.id)).to.deep.equal(before);
    });
  });

  describe('associations', () => {
    it('associates types (202), lists them as the sample, shows qos_specs_id on the type (admins only), disassociates', async () => {
      const q = await create({ name: 'assoc-1' });
      const t1 = await createType('assoc-type-1');
      const t2 = await createType('assoc-type-2');
      expect((await s.request('GET', `/v3/qos-specs/${q.id}/associations`)).body).to.deep.equal(sample('qos/qos_show_response.json'));
      for (const t of [t1, t2]) {
        const r = await s.request('GET', `/v3/qos-specs/${q.id}/associate?vol_type_id=${t}`);
        expect(r.status).to.equal(202);
        expect(r.text).to.equal('');
      }
      // Again with the same specs: nothing to do.
      expect((await s.request('GET', `/v3/qos-specs/${q.id}/associate?vol_type_id=${t1}`)).status).to.equal(202);
      const assoc = await s.request('GET', `/v3/qos-specs/${q.id}/associations`);
      expect(assoc.body).to.deep.equal({
        qos_associations: [
          { association_type: 'volume_type', name: 'assoc-type-1', id: t1 },
          { association_type: 'volume_type', name: 'assoc-type-2', id: t2 },
        ],
      });
      expect((await s.request('GET', `/v3/types/${t1}`)).body.volume_type.qos_specs_id).to.equal(q.id);
      const listed = (await s.request('GET', '/v3/types')).body.volume_types.find((t: { id: string }) => t.id === t1);
      expect(listed.qos_specs_id).to.equal(q.id);
      expect((await s.request('GET', `/v3/types/${t1}`, { token: member })).body.volume_type).to.not.have.property('qos_specs_id');

      expect((await s.request('GET', `/v3/qos-specs/${q.id}/disassociate?vol_type_id=${t1}`)).status).to.equal(202);
      expect((await s.request('GET', `/v3/types/${t1}`)).body.volume_type.qos_specs_id).to.equal(null);
      expect((await s.request('GET', `/v3/qos-specs/${q.id}/disassociate_all`)).status).to.equal(202);
      expect((await s.request('GET', `/v3/qos-specs/${q.id}/associations`)).body).to.deep.equal({ qos_associations: [] });
      expect((await s.request('GET', `/v3/types/${t2}`)).body.volume_type.qos_specs_id).to.equal(null);
    });

    it('refuses a type with other specs (400), a missing or unknown type (400, 404), and changes nothing', async () => {
      const q1 = await create({ name: 'assoc-2a' });
      const q2 = await create({ name: 'assoc-2b' });
      const t = await createType('assoc-type-3');
      expect((await s.request('GET', `/v3/qos-specs/${q1.id}/associate?vol_type_id=${t}`)).status).to.equal(202);
      expectFault(
        await s.request('GET', `/v3/qos-specs/${q2.id}/associate?vol_type_id=${t}`),
        400,
        `Invalid volume type: Type ${t} is already associated with another qos specs: ${q1.id}`,
      );
      for (const action of ['associate', 'disassociate']) {
        expectFault(await s.request('GET', `/v3/qos-specs/${q2.id}/${action}`), 400, 'Volume Type id must not be None.');
        expectFault(await s.request('GET', `/v3/qos-specs/${q2.id}/${action}?vol_type_id=`), 400, 'Volume Type id must not be None.');
        expectFault(await s.request('GET', `/v3/qos-specs/${q2.id}/${action}?vol_type_id=${MISSING}`), 404, `Volume type ${MISSING} could not be found.`);
      }
      // Disassociating from specs the type is not associated with leaves it alone.
      expect((await s.request('GET', `/v3/qos-specs/${q2.id}/disassociate?vol_type_id=${t}`)).status).to.equal(202);
      expect((await s.request('GET', `/v3/types/${t}`)).body.volume_type.qos_specs_id).to.equal(q1.id);
    });

    it('deletes unused specs (202); in use: 400 unless force, which disassociates', async () => {
      const q = await create({ name: 'del-1', a: '1' });
      const t = await createType('del-type-1');
      expect((await s.request('GET', `/v3/qos-specs/${q.id}/associate?vol_type_id=${t}`)).status).to.equal(202);
      expectFault(await s.request('DELETE', `/v3/qos-specs/${q.id}`), 400, 'Qos specs still in use.');
      expectFault(await s.request('DELETE', `/v3/qos-specs/${q.id}?force=false`), 400, 'Qos specs still in use.');
      expectFault(await s.request('DELETE', `/v3/qos-specs/${q.id}?force=maybe`), 400, "Value 'maybe' for 'force' is not a boolean.");
      expect((await show(q.id)).specs).to.deep.equal({ a: '1' });
      const del = await s.request('DELETE', `/v3/qos-specs/${q.id}?force=True`);
      expect(del.status).to.equal(202);
      expect(del.text).to.equal('');
      expect((await s.request('GET', `/v3/qos-specs/${q.id}`)).status).to.equal(404);
      expect((await s.request('GET', `/v3/types/${t}`)).body.volume_type.qos_specs_id).to.equal(null);
      const unused = await create({ name: 'del-2' });
      expect((await s.request('DELETE', `/v3/qos-specs/${unused.id}`)).status).to.equal(202);
      expect(await allNames()).to.not.include('del-2');
      // The name is free again.
      expect((await create({ name: 'del-2' })).name).to.equal('del-2');
    });
  });

  it('is admin-only: members get 403 on every route and nothing changes', async () => {
    const q = await create({ name: 'policy-1', a: '1' });
    const t = await createType('policy-type-1');
    const routes: [string, string, unknown?][] = [
      ['GET', '/v3/qos-specs'],
      ['GET', '/v3/qos-specs?limit=bad'],
      ['POST', '/v3/qos-specs', { qos_specs: { name: 'policy-2' } }],
      ['GET', `/v3/qos-specs/${q.id}`],
      ['PUT', `/v3/qos-specs/${q.id}`, { qos_specs: { a: '2' } }],
      ['DELETE', `/v3/qos-specs/${q.id}`],
      ['DELETE', `/v3/qos-specs/${q.id}?force=bad`],
      ['PUT', `/v3/qos-specs/${q.id}/delete_keys`, { keys: ['a'] }],
      ['GET', `/v3/qos-specs/${q.id}/associations`],
      ['GET', `/v3/qos-specs/${q.id}/associate?vol_type_id=${t}`],
      ['GET', `/v3/qos-specs/${q.id}/disassociate?vol_type_id=${t}`],
      ['GET', `/v3/qos-specs/${q.id}/disassociate_all`],
    ];
    for (const [method, path, body] of routes)
      expectFault(await s.request(method, path, { body, token: member }), 403, 'Policy does not allow this operation to be performed.');
    expect(await show(q.id)).to.deep.include({ name: 'policy-1', specs: { a: '1' } });
    expect(await allNames()).to.not.include('policy-2');
    expect((await s.request('GET', `/v3/types/${t}`)).body.volume_type.qos_specs_id).to.equal(null);
  });

  describe('connection_info', () => {
    async function volumeOfType(type: string, size = 1): Promise<string> {
      const r = await s.request('POST', '/v3/volumes', { body: { volume: { size, volume_type: type } } });
      expect(r.status, r.text).to.equal(202);
      await s.waitForVolume(r.body.volume.id, ['available']);
      return r.body.volume.id;
    }

    async function qosOfConnection(volumeId: string): Promise<unknown> {
      const r = await s.request('POST', `/v3/volumes/${volumeId}/action`, { body: { 'os-initialize_connection': { connector: { host: 'h' } } } });
      expect(r.status, r.text).to.equal(200);
      return r.body.connection_info.data.qos_specs;
    }

    it('carries the specs of front-end and both consumers, with per-GB limits for the size; null otherwise', async () => {
      const front = await create({ name: 'conn-front', consumer: 'front-end', read_iops_sec: '100', total_iops_sec_per_gb: '30', total_iops_sec_max: '50' });
      const both = await create({ name: 'conn-both', consumer: 'both', write_bytes_sec_per_gb: '10', write_bytes_sec_per_gb_min: '25' });
      const back = await create({ name: 'conn-back', consumer: 'back-end', read_iops_sec: '100' });
      const types: Record<string, string> = {};
      for (const [name, q] of [
        ['conn-type-front', front],
        ['conn-type-both', both],
        ['conn-type-back', back],
      ] as const) {
        types[name] = await createType(name);
        expect((await s.request('GET', `/v3/qos-specs/${q.id}/associate?vol_type_id=${types[name]}`)).status).to.equal(202);
      }
      types.plain = await createType('conn-type-plain');
      // 2 GB: total_iops_sec = min(30 * 2, max 50); write_bytes_sec = max(10 * 2, min 25).
      expect(await qosOfConnection(await volumeOfType('conn-type-front', 2))).to.deep.equal({ read_iops_sec: '100', total_iops_sec: 50 });
      expect(await qosOfConnection(await volumeOfType('conn-type-both', 2))).to.deep.equal({ write_bytes_sec: 25 });
      expect(await qosOfConnection(await volumeOfType('conn-type-back'))).to.equal(null);
      expect(await qosOfConnection(await volumeOfType('conn-type-plain'))).to.equal(null);
    });
  });
});
