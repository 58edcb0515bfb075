/*
 * Bad input: every case gets a 4xx Cinder fault naming the problem, and the store is unchanged
 * (checked by counting volumes and reading a known volume before and after each case).
 */
import { expect } from 'chai';
import { startServer, type Reply, type TestServer, type RequestOptions } from '../lib/server';

describe('API: bad input is refused with a Cinder fault and changes nothing', () => {
  let s: TestServer;
  let known: string;
  let snapshot: string;

  async function storeState(): Promise<string> {
    const list = await s.request('GET', '/v3/volumes/detail?all_tenants=1');
    const types = await s.request('GET', '/v3/types?is_public=None');
    const quota = await s.request('GET', `/v3/os-quota-sets/${s.projectId}?usage=true`);
    return JSON.stringify([list.body, types.body, quota.body]);
  }

  before(async () => {
    s = await startServer({ max_body_size: 4096 });
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'keep', metadata: { k: 'v' } } } });
    known = r.body.volume.id;
    await s.waitForVolume(known, ['available']);
    snapshot = await storeState();
  });
  after(async () => {
    await s.close();
  });
  afterEach(async () => {
    expect(await storeState()).to.equal(snapshot);
  });

  async function expectFault(method: string, path: string, opts: RequestOptions, status: number, fault: string, message: RegExp | string): Promise<Reply> {
    const r = await s.request(method, path, opts);
    expect(r.status, r.text).to.equal(status);
    expect(Object.keys(r.body)).to.deep.equal([fault]);
    expect(r.body[fault].code).to.equal(status);
    if (typeof message === 'string') expect(r.body[fault].message).to.equal(message);
    else expect(r.body[fault].message).to.match(message);
    expect(r.headers.get('x-compute-request-id')).to.match(/^req-/);
    return r;
  }

  it('invalid JSON → 400 Malformed request body', async () => {
    await expectFault('POST', '/v3/volumes', { rawBody: '{"volume": {"size": 1' }, 400, 'badRequest', 'Malformed request body');
  });

  it('wrong Content-Type → 415 badMediaType', async () => {
    await expectFault(
      'POST',
      '/v3/volumes',
      { rawBody: 'size=1', contentType: 'application/x-www-form-urlencoded' },
      415,
      'badMediaType',
      'Unsupported Content-Type',
    );
    await expectFault(
      'POST',
      '/v3/volumes',
      { rawBody: '{"volume": {"size": 1}}', contentType: 'text/plain' },
      415,
      'badMediaType',
      'Unsupported Content-Type',
    );
  });

  it('a body that is not an object → 400', async () => {
    await expectFault('POST', '/v3/volumes', { body: [1, 2] }, 400, 'badRequest', /is not of type 'object'/);
    await expectFault('POST', '/v3/volumes', { rawBody: '"volume"' }, 400, 'badRequest', /is not of type 'object'/);
    await expectFault('POST', '/v3/volumes', { rawBody: 'null' }, 400, 'badRequest', /is not of type 'object'/);
  });

  it('missing volume key → 400', async () => {
    await expectFault('POST', '/v3/volumes', { body: { size: 1 } }, 400, 'badRequest', /'volume' is a required property|Additional properties/);
    await expectFault('POST', '/v3/volumes', { body: {} }, 400, 'badRequest', "'volume' is a required property");
  });

  for (const [size, why] of [
    [0, /size\. Value: 0\. 0 is less than the minimum of 1/],
    [-1, /size\. Value: -1\. -1 is less than the minimum of 1/],
    ['abc', /size\. Value: 'abc'\. 'abc' does not match/],
    [1.5, /size\. Value: 1\.5\. 1\.5 is not of type/],
    [1e12, /size\. Value: 1000000000000\. 1000000000000 is greater than the maximum of 2147483647/],
    ['0', /Volume size '0' must be an integer and greater than 0/],
  ] as const) {
    it(`size ${JSON.stringify(size)} → 400 naming size`, async () => {
      await expectFault('POST', '/v3/volumes', { body: { volume: { size } } }, 400, 'badRequest', why);
    });
  }

  it('a size too large for the quota → 413 overLimit with Retry-After', async () => {
    const r = await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { size: 5000 } } },
      413,
      'overLimit',
      /^VolumeSizeExceedsAvailableQuota: Requested volume or snapshot exceeds allowed gigabytes quota\. Requested 5000G, quota is 1000G and 1G has been consumed\.$/,
    );
    expect(r.body.overLimit.retryAfter).to.equal('0');
    expect(r.headers.get('retry-after')).to.equal('0');
  });

  it('name over 255 characters → 400 naming name', async () => {
    await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { size: 1, name: 'x'.repeat(256) } } },
      400,
      'badRequest',
      /field\/attribute name\..*is too long/,
    );
    await expectFault(
      'PUT',
      `/v3/volumes/${known}`,
      { body: { volume: { name: 'x'.repeat(256) } } },
      400,
      'badRequest',
      /field\/attribute name\..*is too long/,
    );
  });

  it('metadata values that are not strings or too long → 400', async () => {
    await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { size: 1, metadata: { a: 1 } } } },
      400,
      'badRequest',
      /field\/attribute a\. Value: 1\. 1 is not of type 'string'/,
    );
    await expectFault(
      'POST',
      `/v3/volumes/${known}/metadata`,
      { body: { metadata: { a: 'x'.repeat(256) } } },
      400,
      'badRequest',
      /field\/attribute a\..*is too long/,
    );
    await expectFault('PUT', `/v3/volumes/${known}/metadata`, { body: { metadata: { a: null } } }, 400, 'badRequest', /None is not of type 'string'/);
    await expectFault('PUT', `/v3/volumes/${known}/metadata/k`, { body: { meta: { other: 'v' } } }, 400, 'badRequest', 'Request body and URI mismatch');
  });

  it('unknown volume type → 404 naming it', async () => {
    await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { size: 1, volume_type: 'gold' } } },
      404,
      'itemNotFound',
      'Volume type with name gold could not be found.',
    );
  });

  it('unknown availability zone → 400', async () => {
    await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { size: 1, availability_zone: 'mars' } } },
      400,
      'badRequest',
      "Invalid input received: Availability zone 'mars' is invalid.",
    );
  });

  it('unknown keys from 3.53 → 400 naming the key', async () => {
    await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { size: 1, foo: 1 } }, mv: '3.53' },
      400,
      'badRequest',
      /Additional properties are not allowed \('foo' was unexpected\)/,
    );
  });

  it('malformed and unknown UUIDs in the path → 404 naming the id', async () => {
    await expectFault('GET', '/v3/volumes/not-a-uuid', {}, 404, 'itemNotFound', 'Volume not-a-uuid could not be found.');
    await expectFault(
      'GET',
      '/v3/volumes/00000000-0000-0000-0000-000000000000',
      {},
      404,
      'itemNotFound',
      'Volume 00000000-0000-0000-0000-000000000000 could not be found.',
    );
    await expectFault('DELETE', '/v3/volumes/00000000-0000-0000-0000-000000000000', {}, 404, 'itemNotFound', /could not be found/);
    await expectFault(
      'PUT',
      '/v3/volumes/00000000-0000-0000-0000-000000000000',
      { body: { volume: { name: 'x' } } },
      404,
      'itemNotFound',
      /could not be found/,
    );
    await expectFault(
      'GET',
      '/v3/types/00000000-0000-0000-0000-000000000000',
      {},
      404,
      'itemNotFound',
      'Volume type 00000000-0000-0000-0000-000000000000 could not be found.',
    );
    await expectFault('GET', `/v3/volumes/${known}/metadata/nokey`, {}, 404, 'itemNotFound', `Volume ${known} has no metadata with key nokey.`);
  });

  it('unknown marker → 404; bad limit, offset, sort key and direction → 400', async () => {
    await expectFault(
      'GET',
      '/v3/volumes?marker=00000000-0000-0000-0000-000000000000',
      {},
      404,
      'itemNotFound',
      'Volume 00000000-0000-0000-0000-000000000000 could not be found.',
    );
    await expectFault('GET', '/v3/volumes?limit=abc', {}, 400, 'badRequest', 'limit param must be an integer');
    await expectFault('GET', '/v3/volumes?limit=-1', {}, 400, 'badRequest', 'limit param must be positive');
    await expectFault('GET', '/v3/volumes?offset=x', {}, 400, 'badRequest', 'offset param must be an integer');
    await expectFault('GET', '/v3/volumes?sort=bogus', {}, 400, 'badRequest', 'Invalid input received: Invalid sort key');
    await expectFault('GET', '/v3/volumes?sort_key=bogus', {}, 400, 'badRequest', 'Invalid input received: Invalid sort key');
    await expectFault('GET', '/v3/volumes?sort=name:sideways', {}, 400, 'badRequest', /Unknown sort direction/);
    await expectFault('GET', '/v3/volumes?sort=name&sort_key=size', {}, 400, 'badRequest', /cannot be used with the 'sort' parameter/);
  });

  it('malformed and out-of-range microversions → 400 and 406', async () => {
    await expectFault('GET', '/v3/volumes', { mv: '3.x' }, 400, 'badRequest', /is of invalid format/);
    await expectFault('POST', '/v3/volumes', { mv: '4.0', body: { volume: { size: 1 } } }, 406, 'computeFault', /Version 4.0 is not supported by the API/);
  });

  it('a body over the limit → 413', async () => {
    await expectFault('POST', '/v3/volumes', { body: { volume: { size: 1, description: 'x'.repeat(5000) } } }, 413, 'overLimit', 'Request is too large.');
  });

  it('unknown route → 404, wrong method → 405, both Cinder faults', async () => {
    await expectFault('GET', '/v3/nothing-here', {}, 404, 'itemNotFound', 'The resource could not be found.');
    await expectFault('GET', '/nope', {}, 404, 'itemNotFound', 'The resource could not be found.');
    await expectFault('PATCH', `/v3/volumes/${known}`, { body: { volume: { name: 'x' } } }, 405, 'badMethod', /not allowed/);
  });

  it('routes above the requested microversion → 404', async () => {
    await expectFault('GET', '/v3/default-types', {}, 404, 'itemNotFound', 'The resource could not be found.');
  });

  it('an empty update from 3.53 → 400; non-admin-only fields are refused', async () => {
    await expectFault(
      'PUT',
      `/v3/volumes/${known}`,
      { body: { volume: {} }, mv: '3.53' },
      400,
      'badRequest',
      'Invalid input for field/attribute volume. Value: {}. {} is not valid under any of the given schemas',
    );
    await expectFault(
      'PUT',
      `/v3/volumes/${known}`,
      { body: { volume: { size: 2 } } },
      400,
      'badRequest',
      /Additional properties are not allowed \('size' was unexpected\)/,
    );
  });

  it('quota updates with unknown keys or bad values → 400', async () => {
    await expectFault(
      'PUT',
      `/v3/os-quota-sets/${s.projectId}`,
      { body: { quota_set: { bogus: 1 } } },
      400,
      'badRequest',
      'Invalid input received: Bad key(s) in quota set: bogus',
    );
    await expectFault('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { volumes: -2 } } }, 400, 'badRequest', /must be -1 or between/);
    await expectFault(
      'PUT',
      `/v3/os-quota-sets/${s.projectId}`,
      { body: { quota_set: { gigabytes: 0 } } },
      400,
      'badRequest',
      'Quota gigabytes limit must be equal or greater than existing resources. Current usage is 1 and the requested limit is 0.',
    );
  });

  it('creating a volume from a snapshot, backup or image that does not exist → 404/400', async () => {
    await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { snapshot_id: '00000000-0000-0000-0000-000000000001' } } },
      404,
      'itemNotFound',
      'Snapshot 00000000-0000-0000-0000-000000000001 could not be found.',
    );
    await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { size: 1, backup_id: '00000000-0000-0000-0000-000000000002' } } },
      404,
      'itemNotFound',
      /Backup .* could not be found/,
    );
    await expectFault(
      'POST',
      '/v3/volumes',
      { body: { volume: { source_volid: '00000000-0000-0000-0000-000000000003' } } },
      404,
      'itemNotFound',
      /Volume .* could not be found/,
    );
    await expectFault('POST', '/v3/volumes', { body: { volume: { snapshot_id: 'nope' } } }, 400, 'badRequest', /'nope' is not a 'uuid'/);
    await expectFault('POST', '/v3/volumes', { body: { volume: {} } }, 400, 'badRequest', /size is required/);
  });
});
