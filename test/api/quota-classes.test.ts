/*
 * Quota class sets (os-quota-class-sets, admin only): show and update, Cinder's bodies and messages, and
 * the `default` class driving every project's defaults (GET os-quota-sets/{p}/defaults, the limits of a
 * project without overrides, /limits and quota checks); config gives the initial defaults.
 */
import { expect } from 'chai';
import { startServer, type RequestOptions, type Reply, type TestServer } from '../lib/server';

const BASE = { volumes: 10, snapshots: 10, gigabytes: 1000, backups: 10, backup_gigabytes: 1000, groups: 10, per_volume_gigabytes: -1 };
const PER_TYPE = { volumes___DEFAULT__: -1, gigabytes___DEFAULT__: -1, snapshots___DEFAULT__: -1 };

describe('API: quota class sets', () => {
  let s: TestServer;
  /** The same server, called as a non-admin member of its project (role tokens, test/lib/role-auth.ts). */
  const member = {
    request: (method: string, urlPath: string, opts: RequestOptions = {}): Promise<Reply> =>
      s.request(method, urlPath, { ...opts, token: `member:${s.projectId}` }),
  };

  before(async () => {
    s = await startServer({}, { roleTokens: true });
  });
  after(async () => {
    await s.close();
  });

  const put = (name: string, body: unknown) => s.request('PUT', `/v3/os-quota-class-sets/${name}`, { body });

  it('shows the default class: the configured defaults with every per-type key, and the class name as id', async () => {
    const r = await s.request('GET', '/v3/os-quota-class-sets/default');
    expect(r.status, r.text).to.equal(200);
    expect(r.body).to.deep.equal({ quota_class_set: { ...BASE, ...PER_TYPE, id: 'default' } });
    // Sorted as Cinder prints them, the id last.
    expect(Object.keys(r.body.quota_class_set)).to.deep.equal([...Object.keys({ ...BASE, ...PER_TYPE }).sort(), 'id']);
    const withProject = await s.request('GET', `/v3/${s.projectId}/os-quota-class-sets/default`);
    expect(withProject.body).to.deep.equal(r.body);
  });

  it('an update of the default class changes the defaults of every project without overrides; config stays the initial default', async () => {
    const type = await s.request('POST', '/v3/types', { body: { volume_type: { name: 'gold' } } });
    expect(type.status, type.text).to.equal(200);
    const changes = { volumes: 11, gigabytes: '1001', backups: 12, volumes_gold: 3, gigabytes_gold: 7, snapshots_gold: 2 };
    const up = await put('default', { quota_class_set: changes });
    expect(up.status, up.text).to.equal(200);
    const expected = { ...BASE, ...PER_TYPE, volumes: 11, gigabytes: 1001, backups: 12, volumes_gold: 3, gigabytes_gold: 7, snapshots_gold: 2 };
    // No id in the update's answer (Cinder's update returns the limits only).
    expect(up.body).to.deep.equal({ quota_class_set: expected });
    expect((await s.request('GET', '/v3/os-quota-class-sets/default')).body.quota_class_set).to.deep.equal({ ...expected, id: 'default' });

    const defaults = await s.request('GET', `/v3/os-quota-sets/${s.projectId}/defaults`);
    expect(defaults.body.quota_set).to.deep.equal({ ...expected, id: s.projectId });
    const fresh = 'f0e1d2c3b4a5968778695a4b3c2d1e0f';
    const freshQuotas = await s.request('GET', `/v3/os-quota-sets/${fresh}`, { token: `admin:${fresh}` });
    expect(freshQuotas.body.quota_set).to.include({ volumes: 11, gigabytes: 1001, volumes_gold: 3 });
    const limits = await s.request('GET', '/v3/limits', { token: `admin:${fresh}` });
    expect(limits.body.limits.absolute).to.include({ maxTotalVolumes: 11, maxTotalVolumeGigabytes: 1001, maxTotalBackups: 12 });

    // A project's own override still wins over the class.
    const other = '0f1e2d3c4b5a69788796a5b4c3d2e1f0';
    await s.request('PUT', `/v3/os-quota-sets/${other}`, { body: { quota_set: { volumes: 4 } } });
    const otherQuotas = await s.request('GET', `/v3/os-quota-sets/${other}`);
    expect(otherQuotas.body.quota_set).to.include({ volumes: 4, gigabytes: 1001 });

    // The new per-type default is enforced: a fourth gold volume is over volumes_gold.
    const create = (n: number) =>
      s.request('POST', '/v3/volumes', { token: `admin:${fresh}`, body: { volume: { size: 1, volume_type: 'gold', name: `g${n}` } } });
    for (let n = 0; n < 3; n++) expect((await create(n)).status).to.equal(202);
    const over = await create(3);
    expect(over.status).to.equal(413);
    expect(over.body.overLimit.message).to.equal("VolumeLimitExceeded: Maximum number of volumes allowed (3) exceeded for quota 'volumes_gold'.");

    expect(s.config.quota.volumes).to.equal(10);
    // Put the defaults back (as Tempest's cleanup does) for the other tests.
    const back = await put('default', {
      quota_class_set: { volumes: 10, gigabytes: 1000, backups: 10, volumes_gold: -1, gigabytes_gold: -1, snapshots_gold: -1 },
    });
    expect(back.status).to.equal(200);
    expect((await s.request('GET', `/v3/os-quota-sets/${fresh}/defaults`, { token: `admin:${fresh}` })).body.quota_set.volumes).to.equal(10);
  });

  it('another class starts as the defaults and keeps its own limits; the default class is not touched', async () => {
    const before = await s.request('GET', '/v3/os-quota-class-sets/silver');
    expect(before.status).to.equal(200);
    expect(before.body.quota_class_set).to.include({ ...BASE, id: 'silver' });
    const up = await put('silver', { quota_class_set: { snapshots: 0, per_volume_gigabytes: 50 } });
    expect(up.body.quota_class_set).to.include({ snapshots: 0, per_volume_gigabytes: 50, volumes: 10 });
    expect((await s.request('GET', '/v3/os-quota-class-sets/silver')).body.quota_class_set).to.include({ snapshots: 0, id: 'silver' });
    expect((await s.request('GET', '/v3/os-quota-class-sets/default')).body.quota_class_set).to.include({ snapshots: 10, per_volume_gigabytes: -1 });
  });

  it("refuses bad bodies, bad keys and long names with 400 and Cinder's messages", async () => {
    const cases: [unknown, string][] = [
      [{ quota_class_set: { bogus: 1, volumes: 2 } }, 'Invalid input received: Bad key(s) in quota class set: bogus'],
      [{ quota_class_set: { volumes: -2 } }, 'Invalid input for field/attribute volumes. Value: -2. -2 is less than the minimum of -1'],
      [{ quota_class_set: { volumes: 'ten' } }, "Invalid input for field/attribute volumes. Value: 'ten'. 'ten' does not match '^[0-9]*$'"],
      [{ quota_class_set: { volumes: 1.5 } }, "Invalid input for field/attribute volumes. Value: 1.5. 1.5 is not of type 'integer', 'string'"],
      [
        { quota_class_set: { volumes: 2147483648 } },
        'Invalid input for field/attribute volumes. Value: 2147483648. 2147483648 is greater than the maximum of 2147483647',
      ],
      [{ quota_class_set: { volumes: 1 }, extra: 1 }, "Additional properties are not allowed ('extra' was unexpected)"],
      [{}, "'quota_class_set' is a required property"],
    ];
    for (const [body, message] of cases) {
      const r = await put('default', body);
      expect(r.status, JSON.stringify(body)).to.equal(400);
      expect(r.body, JSON.stringify(body)).to.deep.equal({ badRequest: { code: 400, message } });
    }
    const long = await put('x'.repeat(256), { quota_class_set: { volumes: 1 } });
    expect(long.body).to.deep.equal({ badRequest: { code: 400, message: 'Invalid input received: quota_class_name has 256 characters, more than 255.' } });
    expect((await s.request('GET', '/v3/os-quota-class-sets/default')).body.quota_class_set.volumes).to.equal(10);
  });

  it('is admin only: 403 for a member, for show and update', async () => {
    const show = await member.request('GET', '/v3/os-quota-class-sets/default');
    expect(show.status).to.equal(403);
    expect(show.body).to.deep.equal({ forbidden: { code: 403, message: 'Policy does not allow this operation to be performed.' } });
    const up = await member.request('PUT', '/v3/os-quota-class-sets/default', { body: { quota_class_set: { volumes: 1 } } });
    expect(up.status).to.equal(403);
    expect((await s.request('GET', '/v3/os-quota-class-sets/default')).body.quota_class_set.volumes).to.equal(10);
  });
});
