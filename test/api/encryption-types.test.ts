import { expect } from 'chai';
import { expectFault, startServer, sample, type Reply, type TestServer } from '../lib/server';

/** Volume-type encryption (cinder/api/contrib/volume_type_encryption.py): admin-only, refused while the type is in use. */
describe('API: volume type encryption', () => {
  let s: TestServer;
  const member = 'member:aaaa0000aaaa0000aaaa0000aaaa0001';
  const MISSING = '00000000-0000-0000-0000-00000000abcd';
  const LUKS = { provider: 'luks', control_location: 'front-end', cipher: 'aes-xts-plain64', key_size: 256 };

  before(async () => {
    s = await startServer({}, { roleTokens: true });
  });
  after(async () => {
    await s.close();
  });

  function keysOf(o: object): string[] {
    return Object.keys(o).sort();
  }

  async function createType(name: string): Promise<string> {
    const r = await s.request('POST', '/v3/types', { body: { volume_type: { name } } });
    expect(r.status, r.text).to.equal(200);
    return r.body.volume_type.id;
  }

  async function encryptionOf(typeId: string): Promise<Record<string, unknown>> {
    const r = await s.request('GET', `/v3/types/${typeId}/encryption`);
    expect(r.status, r.text).to.equal(200);
    return r.body;
  }

  function post(typeId: string, encryption: unknown, token?: string): Promise<Reply> {
    return s.request('POST', `/v3/types/${typeId}/encryption`, { body: { encryption }, token });
  }

  it("creates, shows, updates and deletes an encryption spec with Cinder's sample shapes", async () => {
    const t = await createType('enc-1');
    expect(await encryptionOf(t)).to.deep.equal({});

    const created = await s.request('POST', `/v3/types/${t}/encryption`, { body: sample('volume_type/encryption-type-create-request.json') });
    expect(created.status).to.equal(200);
    const expectedCreate = sample('volume_type/encryption-type-create-response.json') as { encryption: object };
    expect(keysOf(created.body.encryption)).to.deep.equal(keysOf(expectedCreate.encryption));
    const encryptionId = created.body.encryption.encryption_id;
    expect(created.body.encryption).to.deep.equal({ ...LUKS, volume_type_id: t, encryption_id: encryptionId });

    const shown = await encryptionOf(t);
    expect(keysOf(shown)).to.deep.equal(keysOf(sample('volume_type/encryption-type-show-response.json')));
    expect(shown).to.deep.include({ ...LUKS, volume_type_id: t, encryption_id: encryptionId, deleted: false, updated_at: null, deleted_at: null });
    expect(shown.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
    const cipher = await s.request('GET', `/v3/types/${t}/encryption/cipher`);
    expect(cipher.body).to.deep.equal(sample('volume_type/encryption-type-specific-specs-show-response.json'));
    expect((await s.request('GET', `/v3/types/${t}/encryption/key_size`)).body).to.deep.equal({ key_size: 256 });
    expectFault(await s.request('GET', `/v3/types/${t}/encryption/bogus`), 404, `Volume type encryption for type ${t} does not exist.`);

    // Tempest's client puts `provider` where the encryption id goes; Cinder ignores it.
    const updated = await s.request('PUT', `/v3/types/${t}/encryption/provider`, { body: sample('volume_type/encryption-type-update-request.json') });
    expect(updated.status).to.equal(200);
    expect(updated.body).to.deep.equal(sample('volume_type/encryption-type-update-response.json'));
    const after = await encryptionOf(t);
    expect(after).to.deep.include({ key_size: 64, control_location: 'back-end', encryption_id: encryptionId });
    expect(after.updated_at).to.be.a('string');
    const partial = await s.request('PUT', `/v3/types/${t}/encryption/${encryptionId}`, { body: { encryption: { key_size: '128' } } });
    expect(partial.body).to.deep.equal({ encryption: { key_size: 128 } });
    expect(await encryptionOf(t)).to.deep.include({ key_size: 128, provider: 'luks', cipher: 'aes-xts-plain64' });

    const del = await s.request('DELETE', `/v3/types/${t}/encryption/${encryptionId}`);
    expect(del.status).to.equal(202);
    expect(del.text).to.equal('');
    expect(await encryptionOf(t)).to.deep.equal({});
    expectFault(await s.request('DELETE', `/v3/types/${t}/encryption/provider`), 404, `Volume type encryption for type ${t} does not exist.`);
    expectFault(
      await s.request('PUT', `/v3/types/${t}/encryption/provider`, { body: { encryption: { key_size: 1 } } }),
      404,
      `Volume type encryption for type ${t} does not exist.`,
    );
    // And it can be created again.
    expect((await post(t, { provider: 'luks2', control_location: 'back-end' })).body.encryption).to.include({
      provider: 'luks2',
      control_location: 'back-end',
    });
  });

  it('refuses a second spec, unknown types and bad input with 400/404, and stores nothing', async () => {
    const t = await createType('enc-2');
    expect((await post(t, LUKS)).status).to.equal(200);
    const before = await encryptionOf(t);
    expectFault(await post(t, LUKS), 400, `Volume type encryption for type ${t} already exists.`);
    const u = await createType('enc-3');
    const cases: [unknown, string][] = [
      [
        { control_location: 'front-end' },
        "Invalid input for field/attribute encryption. Value: {'control_location': 'front-end'}. 'provider' is a required property",
      ],
      [{ provider: 'luks' }, "Invalid input for field/attribute encryption. Value: {'provider': 'luks'}. 'control_location' is a required property"],
      [
        { ...LUKS, control_location: 'middle' },
        "Invalid input for field/attribute control_location. Value: 'middle'. 'middle' is not one of ['front-end', 'back-end']",
      ],
      [{ ...LUKS, key_size: 'big' }, 'Invalid input received: key_size must be an integer.'],
      [{ ...LUKS, key_size: '1.5' }, 'Invalid input received: key_size must be an integer.'],
      [{ ...LUKS, key_size: -1 }, 'Invalid input for field/attribute key_size. Value: -1. -1 is less than the minimum of 0'],
      [{ ...LUKS, key_size: '-1' }, "Invalid input for field/attribute key_size. Value: '-1'. -1 is less than the minimum of 0"],
      [{ ...LUKS, key_size: 1.5 }, "Invalid input for field/attribute key_size. Value: 1.5. 1.5 is not of type 'string', 'integer', 'null'"],
      [{ ...LUKS, cipher: 5 }, "Invalid input for field/attribute cipher. Value: 5. 5 is not of type 'string', 'null'"],
      [{ ...LUKS, provider: 'p'.repeat(256) }, `Invalid input for field/attribute provider. Value: '${'p'.repeat(256)}'. '${'p'.repeat(256)}' is too long`],
      ['luks', "Invalid input for field/attribute encryption. Value: 'luks'. 'luks' is not of type 'object'"],
    ];
    for (const [body, message] of cases) expectFault(await post(u, body), 400, message);
    expectFault(await s.request('POST', `/v3/types/${u}/encryption`, { body: {} }), 400, "'encryption' is a required property");
    expect(await encryptionOf(u)).to.deep.equal({});
    expectFault(
      await s.request('PUT', `/v3/types/${t}/encryption/provider`, { body: { encryption: { control_location: 'middle' } } }),
      400,
      "Invalid input for field/attribute control_location. Value: 'middle'. 'middle' is not one of ['front-end', 'back-end']",
    );
    expect(await encryptionOf(t)).to.deep.equal(before);

    for (const r of [
      await s.request('GET', `/v3/types/${MISSING}/encryption`),
      await s.request('GET', `/v3/types/${MISSING}/encryption/provider`),
      await post(MISSING, LUKS),
      await s.request('PUT', `/v3/types/${MISSING}/encryption/provider`, { body: { encryption: { key_size: 1 } } }),
    ]) {
      expectFault(r, 404, `Volume type ${MISSING} could not be found.`);
    }
    // Delete looks for the encryption only, as Cinder does.
    expectFault(await s.request('DELETE', `/v3/types/${MISSING}/encryption/provider`), 404, `Volume type encryption for type ${MISSING} does not exist.`);
  });

  it('makes new volumes of the type encrypted, and is then fixed: create, update and delete are 400', async () => {
    const t = await createType('enc-in-use');
    expect((await post(t, LUKS)).status).to.equal(200);
    const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, volume_type: t } } });
    expect(v.status, v.text).to.equal(202);
    expect(v.body.volume.encrypted).to.equal(true);
    await s.waitForVolume(v.body.volume.id, ['available']);
    expect((await s.request('GET', `/v3/volumes/${v.body.volume.id}`)).body.volume.encrypted).to.equal(true);
    const conn = await s.request('POST', `/v3/volumes/${v.body.volume.id}/action`, { body: { 'os-initialize_connection': { connector: { host: 'h' } } } });
    expect(conn.body.connection_info.data.encrypted).to.equal(true);

    const before = await encryptionOf(t);
    expectFault(
      await s.request('PUT', `/v3/types/${t}/encryption/provider`, { body: { encryption: { key_size: 1 } } }),
      400,
      'Cannot update encryption specs. Volume type in use.',
    );
    expectFault(await s.request('DELETE', `/v3/types/${t}/encryption/provider`), 400, 'Cannot delete encryption specs. Volume type in use.');
    expect(await encryptionOf(t)).to.deep.equal(before);

    const plain = await createType('enc-plain-in-use');
    const pv = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, volume_type: plain } } });
    expect(pv.body.volume.encrypted).to.equal(false);
    expectFault(await post(plain, LUKS), 400, 'Cannot create encryption specs. Volume type in use.');
    expect(await encryptionOf(plain)).to.deep.equal({});
  });

  it('is admin-only: members get 403 and nothing changes', async () => {
    const t = await createType('enc-policy');
    expect((await post(t, LUKS)).status).to.equal(200);
    const before = await encryptionOf(t);
    const other = await createType('enc-policy-2');
    const routes: [string, string, unknown?][] = [
      ['GET', `/v3/types/${t}/encryption`],
      ['GET', `/v3/types/${t}/encryption/provider`],
      ['POST', `/v3/types/${other}/encryption`, { encryption: LUKS }],
      ['PUT', `/v3/types/${t}/encryption/provider`, { encryption: { key_size: 1 } }],
      ['DELETE', `/v3/types/${t}/encryption/provider`],
    ];
    for (const [method, path, body] of routes) {
      expectFault(await s.request(method, path, { body, token: member }), 403, 'Policy does not allow this operation to be performed.');
    }
    expect(await encryptionOf(t)).to.deep.equal(before);
    expect(await encryptionOf(other)).to.deep.equal({});
  });

  it('deleting a type marks its encryption deleted', async () => {
    const t = await createType('enc-type-delete');
    expect((await post(t, LUKS)).status).to.equal(200);
    expect((await s.request('DELETE', `/v3/types/${t}`)).status).to.equal(202);
    const rows = await s.services.store.db.selectFrom('encryption').select(['deleted']).where('volume_type_id', '=', t).execute();
    expect(rows).to.deep.equal([{ deleted: 1 }]);
  });
});
