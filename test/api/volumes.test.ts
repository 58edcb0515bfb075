import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { startServer, sample, type TestServer } from '../lib/server';

const GiB = 1024 ** 3;

function sampleVolumeKeys(file: string, drop: string[] = []): string[] {
  const body = sample(file) as { volume: Record<string, unknown> };
  return Object.keys(body.volume)
    .filter((k) => !drop.includes(k))
    .sort();
}

describe('API: volumes', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
  });
  after(async () => {
    await s.close();
  });

  async function create(volume: Record<string, unknown> = {}, mv?: string): Promise<string> {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, ...volume } }, mv });
    expect(r.status, r.text).to.equal(202);
    return r.body.volume.id;
  }

  it('creates a volume (202, creating) that reaches available with a sparse file of exactly its size', async () => {
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { size: 2, name: '  first  ', description: 'd', metadata: { a: '1' } } } });
    expect(r.status).to.equal(202);
    expect(r.body.volume).to.include({ status: 'creating', size: 2, name: 'first', description: 'd', volume_type: '__DEFAULT__', bootable: 'false' });
    expect(Object.keys(r.body.volume).sort()).to.deep.equal(sampleVolumeKeys('volumes/volume-create-response.json'));
    const id = r.body.volume.id;
    const shown = await s.waitForVolume(id, ['available']);
    expect(shown.body.volume.metadata).to.deep.equal({ a: '1' });
    const file = path.join(s.config.backend.path, `volume-${id}`);
    const st = fs.statSync(file);
    expect(st.size).to.equal(2 * GiB);
    expect(st.blocks * 512).to.be.lessThan(1024 * 1024); // sparse: no data blocks written
  });

  it('shows the detail keys of the samples at 3.0 and at 3.69', async () => {
    const id = await create();
    await s.waitForVolume(id, ['available']);
    const v30 = await s.request('GET', `/v3/volumes/${id}`);
    expect(Object.keys(v30.body.volume).sort()).to.deep.equal(sampleVolumeKeys('volumes/volume-show-response.json'));
    const v369 = await s.request('GET', `/v3/volumes/${id}`, { mv: '3.69' });
    expect(Object.keys(v369.body.volume).sort()).to.deep.equal(sampleVolumeKeys('volumes/v3.69/volume-show-response.json'));
    expect(v369.body.volume.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
  });

  it('builds links in the form the request used (with or without the project id)', async () => {
    const id = await create();
    const withProject = await s.request('GET', `/v3/${s.projectId}/volumes/${id}`);
    expect(withProject.body.volume.links).to.deep.equal([
      { rel: 'self', href: `${s.url}/v3/${s.projectId}/volumes/${id}` },
      { rel: 'bookmark', href: `${s.url}/${s.projectId}/volumes/${id}` },
    ]);
    const without = await s.request('GET', `/v3/volumes/${id}`);
    expect(without.body.volume.links[0].href).to.equal(`${s.url}/v3/volumes/${id}`);
  });

  it('updates name, description and metadata; the response keeps the old updated_at as Cinder', async () => {
    const id = await create({ name: 'old', metadata: { x: '1' } });
    await s.waitForVolume(id, ['available']);
    const before = (await s.request('GET', `/v3/volumes/${id}`)).body.volume;
    const r = await s.request('PUT', `/v3/volumes/${id}`, { body: { volume: { name: 'new', description: 'desc', metadata: { y: '2' } } } });
    expect(r.status).to.equal(200);
    expect(r.body.volume).to.include({ name: 'new', description: 'desc' });
    expect(r.body.volume.metadata).to.deep.equal({ y: '2' });
    expect(r.body.volume.updated_at).to.equal(before.updated_at);
    expect(Object.keys(r.body.volume).sort()).to.deep.equal(sampleVolumeKeys('volumes/volume-update-response.json'));
  });

  it('deletes a volume (202, empty body), after which it is 404 and its file is gone', async () => {
    const id = await create();
    await s.waitForVolume(id, ['available']);
    const file = path.join(s.config.backend.path, `volume-${id}`);
    expect(fs.existsSync(file)).to.equal(true);
    const r = await s.request('DELETE', `/v3/volumes/${id}`);
    expect(r.status).to.equal(202);
    expect(r.text).to.equal('');
    expect(r.headers.get('content-length')).to.equal('0');
    await s.waitForVolume(id, ['deleted']);
    const gone = await s.request('GET', `/v3/volumes/${id}`);
    expect(gone.status).to.equal(404);
    expect(gone.body).to.deep.equal({ itemNotFound: { code: 404, message: `Volume ${id} could not be found.` } });
    expect(fs.existsSync(file)).to.equal(false);
  });

  it("refuses to delete a volume that is not in a deletable status, with Cinder's message", async () => {
    const p = await startServer({}, { worker: false });
    try {
      const r = await p.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      const del = await p.request('DELETE', `/v3/volumes/${r.body.volume.id}`);
      expect(del.status).to.equal(400);
      expect(del.body.badRequest.message).to.match(
        /^Invalid volume: Volume status must be available or error or error_restoring or error_extending or error_managing/,
      );
      expect((await p.request('GET', `/v3/volumes/${r.body.volume.id}`)).body.volume.status).to.equal('creating');
    } finally {
      await p.close();
    }
  });

  it('gives back quota when a volume is deleted', async () => {
    const before = (await s.request('GET', '/v3/limits')).body.limits.absolute;
    const id = await create({ size: 3 });
    await s.waitForVolume(id, ['available']);
    const during = (await s.request('GET', '/v3/limits')).body.limits.absolute;
    expect(during.totalVolumesUsed).to.equal(before.totalVolumesUsed + 1);
    expect(during.totalGigabytesUsed).to.equal(before.totalGigabytesUsed + 3);
    await s.request('DELETE', `/v3/volumes/${id}`);
    await s.waitForVolume(id, ['deleted']);
    const after = (await s.request('GET', '/v3/limits')).body.limits.absolute;
    expect(after.totalVolumesUsed).to.equal(before.totalVolumesUsed);
    expect(after.totalGigabytesUsed).to.equal(before.totalGigabytesUsed);
  });

  it('clones a volume from source_volid', async () => {
    const src = await create({ size: 1 });
    await s.waitForVolume(src, ['available']);
    fs.writeFileSync(path.join(s.config.backend.path, `volume-${src}`), Buffer.from('pattern'), { flag: 'r+' });
    const r = await s.request('POST', '/v3/volumes', { body: { volume: { source_volid: src } } });
    expect(r.status).to.equal(202);
    expect(r.body.volume.size).to.equal(1);
    expect(r.body.volume.source_volid).to.equal(src);
    await s.waitForVolume(r.body.volume.id, ['available']);
    const fd = fs.openSync(path.join(s.config.backend.path, `volume-${r.body.volume.id}`), 'r');
    const buf = Buffer.alloc(7);
    fs.readSync(fd, buf, 0, 7, 0);
    fs.closeSync(fd);
    expect(buf.toString()).to.equal('pattern');
  });

  it('reports the volume summary from 3.12 (metadata from 3.36) and 404 below', async () => {
    const p = await startServer();
    try {
      const a = await p.request('POST', '/v3/volumes', { body: { volume: { size: 2, metadata: { env: 'prod' } } } });
      await p.request('POST', '/v3/volumes', { body: { volume: { size: 3, metadata: { env: 'dev' } } } });
      expect(a.status).to.equal(202);
      expect((await p.request('GET', '/v3/volumes/summary')).status).to.equal(404);
      const v312 = await p.request('GET', '/v3/volumes/summary', { mv: '3.12' });
      expect(v312.body).to.deep.equal({ 'volume-summary': { total_count: 2, total_size: 5 } });
      const v336 = await p.request('GET', '/v3/volumes/summary', { mv: '3.36' });
      expect(v336.body['volume-summary'].metadata).to.deep.equal({ env: ['dev', 'prod'] });
    } finally {
      await p.close();
    }
  });
});
