import { expect } from 'chai';
import { startServer, sample, type TestServer } from '../lib/server';

describe('API: volume lists (paging, sorting, filters, counts, tenants)', () => {
  let s: TestServer;
  const ids: Record<string, string> = {};

  before(async () => {
    s = await startServer({ quota: { volumes: 50 } });
    const specs = [
      { name: 'alpha', size: 1, metadata: { env: 'prod', tier: 'web' } },
      { name: 'beta', size: 3, metadata: { env: 'dev' } },
      { name: 'gamma', size: 2, metadata: { env: 'prod' } },
      { name: 'alphabet', size: 1 },
      { name: 'delta', size: 2 },
    ];
    for (const spec of specs) {
      const r = await s.request('POST', '/v3/volumes', { body: { volume: spec } });
      ids[spec.name] = r.body.volume.id;
      await new Promise((res) => setTimeout(res, 3)); // distinct created_at
    }
    for (const id of Object.values(ids)) await s.waitForVolume(id, ['available']);
    // another project's volume, visible to admins with all_tenants only
    const other = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'foreign' } }, token: 'u2:ffff0000' });
    ids.foreign = other.body.volume.id;
  });
  after(async () => {
    await s.close();
  });

  const names = (body: { volumes: { name: string }[] }) => body.volumes.map((v) => v.name);

  it('lists summaries with the sample keys, newest first by default', async () => {
    const r = await s.request('GET', '/v3/volumes');
    expect(r.status).to.equal(200);
    expect(names(r.body)).to.deep.equal(['delta', 'alphabet', 'gamma', 'beta', 'alpha']);
    const expected = sample('volumes/volumes-list-response.json') as { volumes: Record<string, unknown>[] };
    expect(Object.keys(r.body.volumes[0]).sort()).to.deep.equal(Object.keys(expected.volumes[0]).sort());
    expect(r.body).not.to.have.property('volumes_links');
  });

  it('lists details with the same volumes as show', async () => {
    const r = await s.request('GET', '/v3/volumes/detail');
    const shown = await s.request('GET', `/v3/volumes/${ids.alpha}`);
    expect(r.body.volumes.find((v: { id: string }) => v.id === ids.alpha)).to.deep.equal(shown.body.volume);
  });

  it('sorts by sort=key:dir and by the legacy sort_key/sort_dir, with display_name as cinderclient sends', async () => {
    expect(names((await s.request('GET', '/v3/volumes?sort=name:asc')).body)).to.deep.equal(['alpha', 'alphabet', 'beta', 'delta', 'gamma']);
    expect(names((await s.request('GET', '/v3/volumes?sort=display_name:desc')).body)).to.deep.equal(['gamma', 'delta', 'beta', 'alphabet', 'alpha']);
    expect(names((await s.request('GET', '/v3/volumes?sort_key=size&sort_dir=asc')).body).slice(0, 2)).to.have.members(['alpha', 'alphabet']);
    expect(names((await s.request('GET', '/v3/volumes?sort=size:desc,name:asc')).body)).to.deep.equal(['beta', 'delta', 'gamma', 'alpha', 'alphabet']);
  });

  it('pages with limit and marker, following volumes_links to the end', async () => {
    const seen: string[] = [];
    let next: string | undefined = '/v3/volumes?limit=2&sort=name:asc';
    let pages = 0;
    while (next && pages < 10) {
      const r = await s.request('GET', next);
      expect(r.status).to.equal(200);
      seen.push(...names(r.body));
      const link = r.body.volumes_links?.[0];
      if (link) {
        expect(link.rel).to.equal('next');
        expect(link.href.startsWith(`${s.url}/v3/volumes?`)).to.equal(true);
        expect(link.href).to.match(/sort=name%3Aasc&marker=[0-9a-f-]+$/);
      }
      next = link ? link.href.slice(s.url.length) : undefined;
      pages++;
    }
    // a full last page still gets a link, so the walk ends on an empty page, as Cinder's does
    expect(seen).to.deep.equal(['alpha', 'alphabet', 'beta', 'delta', 'gamma']);
    expect(pages).to.equal(3);
  });

  it('keeps the project id in next links when the request had it', async () => {
    const r = await s.request('GET', `/v3/${s.projectId}/volumes/detail?limit=1`);
    expect(r.body.volumes_links[0].href).to.match(new RegExp(`^${s.url}/v3/${s.projectId}/volumes/detail\\?limit=1&marker=`));
  });

  it('skips with offset', async () => {
    expect(names((await s.request('GET', '/v3/volumes?sort=name:asc&offset=3')).body)).to.deep.equal(['delta', 'gamma']);
  });

  it('counts matches with with_count from 3.45 (and treats it as a filter below)', async () => {
    const r = await s.request('GET', '/v3/volumes?with_count=true&limit=2', { mv: '3.45' });
    expect(r.body.count).to.equal(5);
    expect(r.body.volumes).to.have.length(2);
    const old = await s.request('GET', '/v3/volumes?with_count=true');
    expect(old.body).not.to.have.property('count');
    expect(old.body.volumes).to.deep.equal([]);
  });

  it('filters by name, status, size, bootable and metadata (JSON or Python literal)', async () => {
    expect(names((await s.request('GET', '/v3/volumes?name=beta')).body)).to.deep.equal(['beta']);
    expect((await s.request('GET', '/v3/volumes?status=available')).body.volumes).to.have.length(5);
    expect((await s.request('GET', '/v3/volumes?status=error')).body.volumes).to.have.length(0);
    expect(names((await s.request('GET', '/v3/volumes?size=2&sort=name:asc')).body)).to.deep.equal(['delta', 'gamma']);
    expect((await s.request('GET', '/v3/volumes?bootable=false')).body.volumes).to.have.length(5);
    const json = encodeURIComponent('{"env": "prod"}');
    expect(names((await s.request(`GET`, `/v3/volumes?metadata=${json}&sort=name:asc`)).body)).to.deep.equal(['alpha', 'gamma']);
    const py = encodeURIComponent("{'env': 'prod', 'tier': 'web'}");
    expect(names((await s.request('GET', `/v3/volumes?metadata=${py}`)).body)).to.deep.equal(['alpha']);
  });

  it('matches name~ as a substring from 3.34', async () => {
    const r = await s.request('GET', '/v3/volumes?name~=alph&sort=name:asc', { mv: '3.34' });
    expect(names(r.body)).to.deep.equal(['alpha', 'alphabet']);
  });

  it('treats _ and % in like filters as plain characters', async () => {
    const token = 'admin:cccc3333';
    for (const name of ['a_b', 'axb', '50%']) await s.request('POST', '/v3/volumes', { token, body: { volume: { size: 1, name } } });
    expect(names((await s.request('GET', '/v3/volumes?name~=a_b', { token, mv: '3.34' })).body)).to.deep.equal(['a_b']);
    expect(names((await s.request('GET', `/v3/volumes?name~=${encodeURIComponent('0%')}`, { token, mv: '3.34' })).body)).to.deep.equal(['50%']);
  });

  it('compares created_at from 3.60', async () => {
    const alpha = (await s.request('GET', `/v3/volumes/${ids.alpha}`)).body.volume;
    const r = await s.request('GET', `/v3/volumes?created_at=gt:${encodeURIComponent(alpha.created_at)}&sort=name:asc`, { mv: '3.60' });
    expect(names(r.body)).to.deep.equal(['alphabet', 'beta', 'delta', 'gamma']);
    const bad = await s.request('GET', '/v3/volumes?created_at=gt:yesterday', { mv: '3.60' });
    expect(bad.status).to.equal(400);
  });

  it('gives admins an empty list for an unknown filter, as Cinder does', async () => {
    const r = await s.request('GET', '/v3/volumes?colour=blue', { mv: '3.70' });
    expect(r.status).to.equal(200);
    expect(r.body.volumes).to.deep.equal([]);
  });

  it('shows other projects only with all_tenants (admin), or one project with project_id', async () => {
    expect(names((await s.request('GET', '/v3/volumes')).body)).not.to.include('foreign');
    const all = await s.request('GET', '/v3/volumes/detail?all_tenants=1');
    const foreign = all.body.volumes.find((v: { name: string }) => v.name === 'foreign');
    expect(foreign['os-vol-tenant-attr:tenant_id']).to.equal('ffff0000');
    const one = await s.request('GET', '/v3/volumes?all_tenants=1&project_id=ffff0000');
    expect(names(one.body)).to.deep.equal(['foreign']);
  });
});
