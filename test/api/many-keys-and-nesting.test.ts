/*
 * Issue 19: inputs under the body limit that used to be a 500. More metadata keys than one SQL statement
 * may bind (8191 x 4 values) are written in chunks inside one transaction; a list filter of many metadata
 * items stays within SQLite's expression depth; a deeply nested body gets the validator's 400 with a
 * bounded message instead of a stack overflow.
 */
import { expect } from 'chai';
import { countVolumes, listVolumes } from '../../src/db/queries/volumes';
import { startServer, TEST_ENGINE, type TestServer } from '../lib/server';

/** `n` distinct short keys with empty values: 9000 of them fit in the default 112 KiB body limit. */
function manyKeys(n: number, value = ''): Record<string, string> {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [i.toString(36), value]));
}

const MANY = 9000;

describe('API: many metadata keys and deep bodies (issue 19)', function () {
  this.timeout(30000);
  let s: TestServer;
  let volumeId: string;

  before(async () => {
    s = await startServer();
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, metadata: manyKeys(MANY) } } });
    expect(r.status, r.text).to.equal(202);
    volumeId = r.body.volume.id;
    await s.waitForVolume(volumeId, ['available']);
  });
  after(async () => {
    await s.close();
  });

  it('volume create keeps all 9000 keys, in order', async () => {
    const r = await s.request('GET', `/v3/volumes/${volumeId}/metadata`);
    expect(Object.keys(r.body.metadata)).to.deep.equal(Object.keys(manyKeys(MANY)));
  });

  it('volume metadata PUT and POST of 9000 keys', async () => {
    const put = await s.request('PUT', `/v3/volumes/${volumeId}/metadata`, { body: { metadata: manyKeys(MANY, 'p') } });
    expect(put.status, put.text.slice(0, 200)).to.equal(200);
    const post = await s.request('POST', `/v3/volumes/${volumeId}/metadata`, { body: { metadata: manyKeys(MANY, 'q') } });
    expect(post.status, post.text.slice(0, 200)).to.equal(200);
    const r = await s.request('GET', `/v3/volumes/${volumeId}/metadata`);
    expect(Object.keys(r.body.metadata)).to.have.length(MANY);
    expect(r.body.metadata['0']).to.equal('q');
  });

  it('snapshot create and snapshot metadata PUT of 9000 keys', async () => {
    const c = await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: volumeId, metadata: manyKeys(MANY) } } });
    expect(c.status, c.text.slice(0, 200)).to.equal(202);
    const id = c.body.snapshot.id;
    const put = await s.request('PUT', `/v3/snapshots/${id}/metadata`, { body: { metadata: manyKeys(MANY, 's') } });
    expect(put.status, put.text.slice(0, 200)).to.equal(200);
    const r = await s.request('GET', `/v3/snapshots/${id}/metadata`);
    expect(Object.keys(r.body.metadata)).to.have.length(MANY);
  });

  it("a filter of 1500 metadata items stays under SQLite's expression depth", async function () {
    if (TEST_ENGINE !== 'sqlite') this.skip();
    // Node's 16 KiB header limit keeps such a URL out today; the query must not depend on it.
    const q = {
      filters: [],
      metadata: manyKeys(1500, 'x'),
      matchesNothing: false,
      sort: [{ column: 'id' as const, dir: 'asc' as const }],
      limit: 10,
      offset: 0,
    };
    expect(await listVolumes(s.services.store.db, q)).to.deep.equal([]);
    expect(await countVolumes(s.services.store.db, q)).to.equal(0);
  });

  it('a 50000-deep nested body is a 400 with a short message', async () => {
    const deep = '{"volume": {"size": 1, "name": ' + '['.repeat(50000) + ']'.repeat(50000) + '}}';
    const r = await s.request('POST', '/v3/volumes', { rawBody: deep });
    expect(r.status, r.text.slice(0, 300)).to.equal(400);
    expect(r.body.badRequest.message.length).to.be.below(2000);
    const wide = { volume: { size: 1, name: Array.from({ length: 5000 }, (_, i) => ({ [i]: [i] })) } };
    const w = await s.request('POST', '/v3/volumes', { body: wide });
    expect(w.status).to.equal(400);
    expect(w.body.badRequest.message).to.match(/^Invalid input for field\/attribute name\. Value: \[\{'0': \[0\]\}, .*\.\.\..* is not of type 'string'/);
    expect(w.body.badRequest.message.length).to.be.below(2000);
  });
});
