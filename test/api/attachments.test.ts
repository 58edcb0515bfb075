import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, sample, type Reply, type TestServer } from '../lib/server';

const INSTANCE = '462dcc2d-130d-4654-8db1-da0df2da6a0d';
const INSTANCE_2 = '31c79baf-b59e-469c-979f-1df4ecb6eea7';
const MISSING = '00000000-0000-0000-0000-000000000000';
const MV = '3.44';

type Sample = Record<string, Record<string, unknown>>;

describe('API: attachments', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer({ quota: { volumes: 1000 } });
  });
  after(async () => {
    await s.close();
  });

  async function create(volume: Record<string, unknown> = {}, token?: string): Promise<string> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, ...volume } }, token });
    expect(r.status, r.text).to.equal(202);
    await s.waitForVolume(r.body.volume.id, ['available']);
    return r.body.volume.id;
  }

  async function volume(id: string): Promise<Record<string, any>> {
    return (await s.request('GET', `/v3/volumes/${id}`, { mv: '3.70' })).body.volume;
  }

  function attach(body: unknown, mv = MV, token?: string): Promise<Reply> {
    return s.request('POST', '/v3/attachments', { body, mv, token });
  }

  function expectFault(r: Reply, status: number, message: string | RegExp): void {
    expect(r.status, r.text).to.equal(status);
    const key = Object.keys(r.body)[0];
    expect(r.body[key].code).to.equal(status);
    if (typeof message === 'string') expect(r.body[key].message).to.equal(message);
    else expect(r.body[key].message).to.match(message);
  }

  const keys = (o: Record<string, unknown>) => Object.keys(o).sort();
  const sampleKeys = (file: string, key: string) => keys((sample(file) as Sample)[key]);
  const sampleItemKeys = (file: string) => keys((sample(file) as { attachments: Record<string, unknown>[] }).attachments[0]);

  it('does not exist below 3.27', async () => {
    const id = await create();
    for (const [method, url, body] of [
      ['GET', '/v3/attachments'],
      ['GET', '/v3/attachments/detail'],
      ['GET', `/v3/attachments/${MISSING}`],
      ['POST', '/v3/attachments', { attachment: { volume_uuid: id } }],
      ['PUT', `/v3/attachments/${MISSING}`, { attachment: { connector: { host: 'h' } } }],
      ['DELETE', `/v3/attachments/${MISSING}`],
    ] as [string, string, unknown?][]) {
      expectFault(await s.request(method, url, { body, mv: '3.26' }), 404, 'The resource could not be found.');
    }
    expect((await volume(id)).status).to.equal('available');
    expect((await s.request('GET', '/v3/attachments', { mv: '3.27' })).status).to.equal(200);
  });

  it('reserve → update → complete → delete, with the statuses at each step and the sample shapes', async () => {
    const id = await create();
    // 1. Reserve (no connector): attachment and volume reserved.
    const c = await attach({ attachment: { volume_uuid: id, instance_uuid: INSTANCE } }, '3.27');
    expect(c.status, c.text).to.equal(200);
    expect(keys(c.body.attachment)).to.deep.equal(sampleKeys('attachment-create-response.json', 'attachment'));
    const att = c.body.attachment;
    expect(att).to.deep.include({
      status: 'reserved',
      instance: INSTANCE,
      volume_id: id,
      attached_at: '',
      detached_at: '',
      attach_mode: 'null',
      connection_info: {},
    });
    let v = await volume(id);
    expect(v.status).to.equal('reserved');
    expect(v.attachments).to.deep.equal([]);
    expectFault(
      await attach({ attachment: { volume_uuid: id, instance_uuid: INSTANCE_2 } }),
      400,
      `Invalid volume: Volume ${id} status must be available or downloading to reserve, but the current status is reserved.`,
    );

    // 2. Update with a connector: attaching, connection info is the file's path.
    const u = await s.request('PUT', `/v3/attachments/${att.id}`, { body: sample('attachment-update-request.json'), mv: '3.27' });
    expect(u.status, u.text).to.equal(200);
    expect(keys(u.body.attachment)).to.deep.equal(sampleKeys('attachment-update-response.json', 'attachment'));
    expect(u.body.attachment).to.include({ id: att.id, status: 'attaching', attach_mode: 'ro', detached_at: '' });
    expect(u.body.attachment.attached_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$/);
    expect(u.body.attachment.connection_info).to.deep.equal({
      device_path: path.join(s.config.backend.path, `volume-${id}`),
      qos_specs: null,
      access_mode: 'rw',
      encrypted: false,
      cacheable: false,
      driver_volume_type: 'local',
      attachment_id: att.id,
    });
    expect(fs.existsSync(u.body.attachment.connection_info.device_path)).to.equal(true);
    v = await volume(id);
    expect(v.status).to.equal('attaching');
    expect(v.attachments).to.deep.equal([]);

    // 3. Complete: 404 below 3.44, then 204 with no body; attached and in-use.
    expectFault(
      await s.request('POST', `/v3/attachments/${att.id}/action`, { body: sample('attachment-complete.json'), mv: '3.43' }),
      404,
      'The resource could not be found.',
    );
    const done = await s.request('POST', `/v3/attachments/${att.id}/action`, { body: sample('attachment-complete.json'), mv: '3.44' });
    expect(done.status, done.text).to.equal(204);
    expect(done.text).to.equal('');
    v = await volume(id);
    expect(v.status).to.equal('in-use');
    expect(v.attachments).to.have.length(1);
    expect(v.attachments[0]).to.deep.equal({
      id,
      attachment_id: att.id,
      volume_id: id,
      server_id: INSTANCE,
      host_name: 'tempest-1',
      device: '/dev/vdb',
      attached_at: v.attachments[0].attached_at,
    });
    const shown = await s.request('GET', `/v3/attachments/${att.id}`, { mv: '3.27' });
    expect(keys(shown.body.attachment)).to.deep.equal(sampleKeys('attachment-show-response.json', 'attachment'));
    expect(shown.body.attachment.status).to.equal('attached');
    expectFault(await s.request('DELETE', `/v3/volumes/${id}`), 400, /^Invalid volume: Volume status must be available or error/);

    // 4. Delete: 200 with the remaining attachments; the volume is available again.
    const d = await s.request('DELETE', `/v3/attachments/${att.id}`, { mv: '3.27' });
    expect(d.status, d.text).to.equal(200);
    expect(d.body).to.deep.equal({ attachments: [] });
    v = await volume(id);
    expect(v.status).to.equal('available');
    expect(v.attachments).to.deep.equal([]);
    expectFault(
      await s.request('GET', `/v3/attachments/${att.id}`, { mv: '3.27' }),
      404,
      `Volume attachment could not be found with filter: attachment_id = ${att.id}.`,
    );
    expect((await s.request('DELETE', `/v3/volumes/${id}`)).status).to.equal(202);
  });

  it('connects at once when the create has a connector (200, attaching, connection info)', async () => {
    const id = await create();
    const body = sample('attachment-create-request.json') as { attachment: Record<string, unknown> };
    body.attachment.volume_uuid = id;
    const c = await attach(body, '3.27');
    expect(c.status, c.text).to.equal(200);
    expect(c.body.attachment.status).to.equal('attaching');
    // Below 3.54 Cinder stores its placeholder mode, even with connector.mode.
    expect(c.body.attachment.attach_mode).to.equal('null');
    expect(c.body.attachment.connection_info.device_path).to.equal(path.join(s.config.backend.path, `volume-${id}`));
    expect(c.body.attachment.connection_info.attachment_id).to.equal(c.body.attachment.id);
    expect((await volume(id)).status).to.equal('attaching');
    expect((await s.request('POST', `/v3/attachments/${c.body.attachment.id}/action`, { body: { 'os-complete': null }, mv: '3.70' })).status).to.equal(204);
    expect((await volume(id)).status).to.equal('in-use');
  });

  it('only reserves with the empty connector cinderclient sends (as Cinder: an empty dict is false)', async () => {
    const id = await create();
    const c = await attach({ attachment: { volume_uuid: id, connector: {}, instance_uuid: '7b1d3a52-0c43-4e53-9a7e-3f5bce3a1d11' } }, '3.27');
    expect(c.status, c.text).to.equal(200);
    expect(c.body.attachment).to.include({ status: 'reserved', attached_at: '', attach_mode: 'null' });
    expect(c.body.attachment.connection_info).to.deep.equal({});
    expect((await volume(id)).status).to.equal('reserved');
  });

  it('takes mode from 3.54 (a 400 below), and readonly volumes attach ro', async () => {
    const id = await create();
    expectFault(await attach({ attachment: { volume_uuid: id, mode: 'ro' } }, '3.53'), 400, /Additional properties are not allowed \('mode' was unexpected\)/);
    expectFault(await attach({ attachment: { volume_uuid: id, mode: 'rx' } }, '3.54'), 400, /mode\. Value: 'rx'\. 'rx' is not one of \['rw', 'ro'\]/);
    expect((await volume(id)).status).to.equal('available');
    const c = await attach({ attachment: { volume_uuid: id, mode: 'ro' } }, '3.54');
    expect(c.body.attachment.attach_mode).to.equal('ro');
    const u = await s.request('PUT', `/v3/attachments/${c.body.attachment.id}`, { body: { attachment: { connector: { host: 'h', mode: 'rw' } } }, mv: '3.54' });
    // The create's mode wins over the connector's.
    expect(u.body.attachment.attach_mode).to.equal('ro');
    expect(u.body.attachment.connection_info).to.include({ attachment_id: c.body.attachment.id });
    const other = await create();
    await s.request('POST', `/v3/volumes/${other}/action`, { body: { 'os-update_readonly_flag': { readonly: true } } });
    const ro = await attach({ attachment: { volume_uuid: other, mode: 'rw' } }, '3.54');
    expect(ro.body.attachment.attach_mode).to.equal('ro');
  });

  it('refuses volumes in an error status, and bad input, changing nothing', async () => {
    const id = await create();
    await s.request('POST', `/v3/volumes/${id}/action`, { body: { 'os-reset_status': { status: 'error' } } });
    expectFault(
      await attach({ attachment: { volume_uuid: id } }),
      400,
      `Invalid volume: Volume attachments can not be created if the volume is in an error state. The Volume ${id} currently has a status of: error `,
    );
    await s.request('POST', `/v3/volumes/${id}/action`, { body: { 'os-reset_status': { status: 'available' } } });
    const cases: [unknown, number, RegExp | string][] = [
      [{ attachment: {} }, 400, /^Invalid input for field\/attribute attachment\. Value: \{\}\. 'volume_uuid' is a required property$/],
      [{ attachment: { volume_uuid: 'abc' } }, 400, /volume_uuid\. Value: 'abc'\. 'abc' is not a 'uuid'/],
      [{ attachment: { volume_uuid: id, instance_uuid: null } }, 400, /instance_uuid\. Value: None\. None is not of type 'string'/],
      [{ attachment: { volume_uuid: id, connector: 'x' } }, 400, /connector\. Value: 'x'\. 'x' is not of type 'object', 'null'/],
      [{ attachment: { volume_uuid: id, foo: 1 } }, 400, /'foo' was unexpected/],
      [{ volume_uuid: id }, 400, /'attachment' is a required property|'volume_uuid' was unexpected/],
      [{ attachment: { volume_uuid: MISSING } }, 404, `Volume ${MISSING} could not be found.`],
    ];
    for (const [body, status, message] of cases) expectFault(await attach(body), status, message);
    expect((await volume(id)).status).to.equal('available');
    expect((await s.request('GET', `/v3/attachments?volume_id=${id}`, { mv: MV })).body.attachments).to.deep.equal([]);

    const c = await attach({ attachment: { volume_uuid: id } });
    const aid = c.body.attachment.id;
    expectFault(
      await s.request('PUT', `/v3/attachments/${aid}`, { body: { attachment: { connector: {} } }, mv: MV }),
      400,
      /connector\. Value: \{\}\. \{\} does not have enough properties/,
    );
    expectFault(await s.request('PUT', `/v3/attachments/${aid}`, { body: { attachment: {} }, mv: MV }), 400, /'connector' is a required property/);
    expectFault(
      await s.request('PUT', `/v3/attachments/${MISSING}`, { body: { attachment: { connector: { host: 'h' } } }, mv: MV }),
      404,
      `Volume attachment could not be found with filter: attachment_id = ${MISSING}.`,
    );
    expectFault(
      await s.request('POST', `/v3/attachments/${aid}/action`, { body: { 'os-frob': {} }, mv: MV }),
      400,
      'There is no such action: os-frob. Verify the request body and Content-Type header and try again.',
    );
    expectFault(
      await s.request('POST', `/v3/attachments/${MISSING}/action`, { body: { 'os-complete': {} }, mv: MV }),
      404,
      `Volume attachment could not be found with filter: attachment_id = ${MISSING}.`,
    );
    expectFault(
      await s.request('DELETE', `/v3/attachments/${MISSING}`, { mv: MV }),
      404,
      `Volume attachment could not be found with filter: attachment_id = ${MISSING}.`,
    );
    const shown = await s.request('GET', `/v3/attachments/${aid}`, { mv: MV });
    expect(shown.body.attachment).to.deep.include({ status: 'reserved', connection_info: {}, attach_mode: 'null' });
  });

  it('lists summary and detail with the sample keys; filters; all_tenants for admins', async () => {
    const a = await create();
    const b = await create();
    const ra = (await attach({ attachment: { volume_uuid: a, instance_uuid: INSTANCE } })).body.attachment;
    const rb = (await attach({ attachment: { volume_uuid: b, instance_uuid: INSTANCE_2 } })).body.attachment;
    await s.request('POST', `/v3/attachments/${rb.id}/action`, { body: { 'os-complete': {} }, mv: MV });

    const summary = await s.request('GET', '/v3/attachments', { mv: MV });
    expect(summary.status).to.equal(200);
    const mine = summary.body.attachments.filter((x: { id: string }) => [ra.id, rb.id].includes(x.id));
    expect(mine).to.have.length(2);
    for (const item of mine) expect(keys(item)).to.deep.equal(sampleItemKeys('attachment-list-response.json'));
    const detail = await s.request('GET', `/v3/${s.projectId}/attachments/detail`, { mv: MV });
    for (const item of detail.body.attachments) expect(keys(item)).to.deep.equal(sampleItemKeys('attachment-list-detailed-response.json'));

    const ids = async (query: string) => (await s.request('GET', `/v3/attachments?${query}`, { mv: MV })).body.attachments.map((x: { id: string }) => x.id);
    expect(await ids(`volume_id=${a}`)).to.deep.equal([ra.id]);
    expect(await ids(`instance_id=${INSTANCE_2}`)).to.deep.equal([rb.id]);
    expect(await ids(`attach_status=attached&volume_id=${b}`)).to.deep.equal([rb.id]);
    expect(await ids(`status=reserved&volume_id=${a}`)).to.deep.equal([ra.id]);
    expect(await ids(`status=attached&volume_id=${a}`)).to.deep.equal([]);
    expect(await ids('bogus=1')).to.deep.equal([]);
    expect(await ids(`volume_id=${a}&limit=1&sort=created_at:asc`)).to.deep.equal([ra.id]);

    // Another project's attachment: only with all_tenants.
    const otherToken = 'someone:0f1e2d3c4b5a69788796a5b4c3d2e1f0';
    const vo = await create({}, otherToken);
    const ro = (await attach({ attachment: { volume_uuid: vo } }, MV, otherToken)).body.attachment;
    expect(await ids('')).to.not.include(ro.id);
    expect(await ids('all_tenants=1')).to.include(ro.id);
  });

  it("DELETE returns the volume's remaining attachments (multiattach), and the volume stays in-use", async () => {
    await s.request('POST', '/v3/types', { body: { volume_type: { name: 'multi', extra_specs: { multiattach: '<is> True' } } } });
    const id = await create();
    await s.request('POST', `/v3/volumes/${id}/action`, { body: { 'os-retype': { new_type: 'multi' } } });
    await s.waitForVolume(id, ['available']);
    const first = (await attach({ attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'h1' } } })).body.attachment;
    await s.request('POST', `/v3/attachments/${first.id}/action`, { body: { 'os-complete': {} }, mv: MV });
    const second = await attach({ attachment: { volume_uuid: id, instance_uuid: INSTANCE_2 } });
    expect(second.status, second.text).to.equal(200);
    await s.request('PUT', `/v3/attachments/${second.body.attachment.id}`, { body: { attachment: { connector: { host: 'h2' } } }, mv: MV });
    await s.request('POST', `/v3/attachments/${second.body.attachment.id}/action`, { body: { 'os-complete': {} }, mv: MV });
    expect((await volume(id)).attachments).to.have.length(2);
    const d = await s.request('DELETE', `/v3/attachments/${first.id}`, { mv: MV });
    expect(d.status).to.equal(200);
    expect(d.body.attachments).to.have.length(1);
    expect(d.body.attachments[0]).to.deep.equal({ id: second.body.attachment.id, status: 'attached', instance: INSTANCE_2, volume_id: id });
    const v = await volume(id);
    expect(v.status).to.equal('in-use');
    expect(v.attachments.map((x: { server_id: string }) => x.server_id)).to.deep.equal([INSTANCE_2]);
  });

  it('refuses a volume that is still creating, with or without a connector', async () => {
    const p = await startServer({}, { worker: false });
    try {
      const id = (await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } })).body.volume.id;
      const message = `Invalid volume: Volume ${id} status must be available or downloading to reserve, but the current status is creating.`;
      expectFault(await p.request('POST', '/v3/attachments', { body: { attachment: { volume_uuid: id } }, mv: MV }), 400, message);
      expectFault(await p.request('POST', '/v3/attachments', { body: { attachment: { volume_uuid: id, connector: { host: 'h' } } }, mv: MV }), 400, message);
      expect((await p.request('GET', '/v3/attachments', { mv: MV })).body.attachments).to.deep.equal([]);
    } finally {
      await p.close();
    }
  });

  it('a force-deleted volume takes its attachments with it', async () => {
    const id = await create();
    const c = (await attach({ attachment: { volume_uuid: id, instance_uuid: INSTANCE } })).body.attachment;
    expectFault(await s.request('DELETE', `/v3/volumes/${id}`), 400, /^Invalid volume: Volume status must be available or error/);
    expect((await s.request('POST', `/v3/volumes/${id}/action`, { body: { 'os-force_delete': {} } })).status).to.equal(202);
    await s.waitForVolume(id, ['deleted']);
    expectFault(
      await s.request('GET', `/v3/attachments/${c.id}`, { mv: MV }),
      404,
      `Volume attachment could not be found with filter: attachment_id = ${c.id}.`,
    );
  });

  it('refuses a second connection on a non-multiattach volume (duplicate connectors)', async () => {
    const id = await create();
    const first = (await attach({ attachment: { volume_uuid: id, instance_uuid: INSTANCE, connector: { host: 'h1' } } })).body.attachment;
    await s.request('POST', `/v3/attachments/${first.id}/action`, { body: { 'os-complete': {} }, mv: MV });
    // The same instance may reserve again (a Nova move); connecting it twice is refused.
    const again = await attach({ attachment: { volume_uuid: id, instance_uuid: INSTANCE } });
    expect(again.status, again.text).to.equal(200);
    expectFault(
      await s.request('PUT', `/v3/attachments/${again.body.attachment.id}`, { body: { attachment: { connector: { host: 'h2' } } }, mv: MV }),
      400,
      `Invalid volume: duplicate connectors detected on volume ${id}`,
    );
    expect((await s.request('GET', `/v3/attachments/${again.body.attachment.id}`, { mv: MV })).body.attachment.status).to.equal('reserved');
  });
});
