/*
 * GET /extensions (and /extensions/{alias}): Cinder's extension descriptors for what this API serves,
 * derived from the route table; GET /resource_filters (3.33): the user filters of each list, from the
 * table the list routes read (src/api/list-query.ts LIST_RESOURCES), so every filter it names is one a
 * non-admin may use.
 */
import { expect } from 'chai';
import { startServer, type RequestOptions, type Reply, type TestServer } from '../lib/server';
import { servedExtensions } from '../../src/api/extensions';
import type { RouteDef } from '../../src/api/routes';

/** Aliases of extensions whose routes exist since before issue 15 (or come with this part of it). */
const ALWAYS = [
  'os-admin-actions',
  'os-availability-zone',
  'backups',
  'os-extended-snapshot-attributes',
  'os-quota-class-sets',
  'os-quota-sets',
  'OS-SCH-HNT',
  'os-snapshot-actions',
  'os-types-extra-specs',
  'os-types-manage',
  'os-used-limits',
  'os-volume-actions',
  'os-vol-host-attr',
  'os-vol-mig-status-attr',
  'os-vol-tenant-attr',
  'os-volume-transfer',
];

/** Cinder's etc/cinder/resource_filters.json, for the lists this API has. */
const CINDER_FILTERS: Record<string, string[]> = {
  volume: ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at', 'consumes_quota'],
  backup: ['name', 'status', 'volume_id'],
  snapshot: ['name', 'status', 'volume_id', 'metadata', 'availability_zone', 'consumes_quota'],
  attachment: ['volume_id', 'status', 'instance_id', 'attach_status'],
  message: ['resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level'],
  // Issue 16: generic volume groups.
  group: ['name'],
  group_snapshot: ['name', 'status', 'group_id'],
  pool: ['name', 'volume_type'],
  // Cinder also lists extra_specs, a type-list filter this API does not serve.
  volume_type: ['is_public'],
};

describe('API: extensions and resource filters', () => {
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

  describe('extensions', () => {
    it("lists Cinder's descriptors of what is served, with Cinder's keys and texts, at any version and path", async () => {
      const r = await s.request('GET', '/v3/extensions');
      expect(r.status, r.text).to.equal(200);
      expect(Object.keys(r.body)).to.deep.equal(['extensions']);
      const list = r.body.extensions as Record<string, unknown>[];
      for (const e of list) {
        expect(Object.keys(e).sort()).to.deep.equal(['alias', 'description', 'links', 'name', 'updated']);
        expect(e.links).to.deep.equal([]);
        expect(Number.isNaN(Date.parse(String(e.updated))), String(e.updated)).to.equal(false);
      }
      const aliases = list.map((e) => e.alias);
      expect(aliases).to.include.members(ALWAYS);
      expect(new Set(aliases).size).to.equal(aliases.length);
      for (const absent of ['cgsnapshots', 'consistencygroups', 'os-volume-manage', 'os-snapshot-manage', 'os-volume-unmanage', 'os-vol-image-meta']) {
        expect(aliases).not.to.include(absent);
      }
      expect(list.find((e) => e.alias === 'os-quota-class-sets')).to.deep.equal({
        name: 'QuotaClasses',
        alias: 'os-quota-class-sets',
        description: 'Quota classes management support.',
        updated: '2012-03-12T00:00:00+00:00',
        links: [],
      });
      expect((await s.request('GET', `/v3/${s.projectId}/extensions`, { mv: '3.70' })).body).to.deep.equal(r.body);
      // No policy: a member sees the same list.
      expect((await member.request('GET', '/v3/extensions')).body).to.deep.equal(r.body);
    });

    it('shows one extension by alias; an alias not listed is 404', async () => {
      const r = await s.request('GET', '/v3/extensions/os-quota-sets');
      expect(r.status).to.equal(200);
      expect(r.body).to.deep.equal({
        extension: { name: 'Quotas', alias: 'os-quota-sets', description: 'Quota management support.', updated: '2011-08-08T00:00:00+00:00', links: [] },
      });
      for (const alias of ['cgsnapshots', 'no-such-thing']) {
        const missing = await s.request('GET', `/v3/extensions/${alias}`);
        expect(missing.status).to.equal(404);
        expect(missing.body).to.deep.equal({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
      }
    });

    it('an extension is listed exactly when all of its routes are in the route table', () => {
      const routes = s.app.routes;
      const aliases = (rs: readonly RouteDef[]) => servedExtensions(rs).map((e) => e.alias);
      expect(aliases(routes)).to.include('os-quota-class-sets');
      expect(aliases(routes.filter((r) => !(r.method === 'put' && r.path.startsWith('/os-quota-class-sets'))))).not.to.include('os-quota-class-sets');
      const stub: RouteDef['handler'] = async () => {};
      const withHosts = routes
        .filter((r) => !r.path.startsWith('/os-hosts'))
        .concat(
          { name: 'ListHosts', method: 'get', path: '/os-hosts', handler: stub },
          { name: 'GetHost', method: 'get', path: '/os-hosts/:host', handler: stub },
        );
      const hosts = servedExtensions(withHosts).find((e) => e.alias === 'os-hosts');
      expect(hosts).to.deep.equal({ name: 'Hosts', alias: 'os-hosts', description: 'Admin-only host administration.', updated: '2011-06-29T00:00:00+00:00' });
      expect(aliases(routes.filter((r) => !r.path.startsWith('/os-hosts')))).not.to.include('os-hosts');
      // Any parameter name stands for any other: /types/:type_id matches the table's /types/:id.
      expect(aliases([{ name: 'X', method: 'get', path: '/types/:volume_type_id/extra_specs', handler: stub }])).to.deep.equal(['os-types-extra-specs']);
    });
  });

  describe('resource filters', () => {
    it("lists each list's user filters (3.33+), Cinder's keys for the resources we list", async () => {
      const r = await s.request('GET', '/v3/resource_filters', { mv: '3.33' });
      expect(r.status, r.text).to.equal(200);
      expect(Object.keys(r.body)).to.deep.equal(['resource_filters']);
      const byResource = Object.fromEntries((r.body.resource_filters as { resource: string; filters: string[] }[]).map((e) => [e.resource, e.filters]));
      expect(byResource).to.deep.equal(CINDER_FILTERS);
      for (const e of r.body.resource_filters) expect(Object.keys(e)).to.deep.equal(['resource', 'filters']);
      expect((await member.request('GET', `/v3/${s.projectId}/resource_filters`, { mv: '3.70' })).body).to.deep.equal(r.body);
    });

    it('?resource= picks one resource; a resource no list has gives an empty list; below 3.33 the route is 404', async () => {
      const one = await s.request('GET', '/v3/resource_filters?resource=volume', { mv: '3.33' });
      expect(one.body).to.deep.equal({ resource_filters: [{ resource: 'volume', filters: CINDER_FILTERS.volume }] });
      expect((await s.request('GET', '/v3/resource_filters?resource=backup', { mv: 'latest' })).body.resource_filters).to.deep.equal([
        { resource: 'backup', filters: CINDER_FILTERS.backup },
      ]);
      expect((await s.request('GET', '/v3/resource_filters?resource=nothing', { mv: '3.33' })).body).to.deep.equal({ resource_filters: [] });
      expect((await s.request('GET', '/v3/resource_filters?resource=', { mv: '3.33' })).body.resource_filters).to.have.length(9);
      expect((await s.request('GET', '/v3/resource_filters?resource=pool', { mv: '3.33' })).body.resource_filters).to.deep.equal([
        { resource: 'pool', filters: ['name', 'volume_type'] },
      ]);
      const old = await s.request('GET', '/v3/resource_filters', { mv: '3.32' });
      expect(old.status).to.equal(404);
      expect(old.body).to.deep.equal({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    });

    it('every filter it names is accepted from a non-admin by that list; another key is 400', async () => {
      const listed = (await s.request('GET', '/v3/resource_filters', { mv: '3.70' })).body.resource_filters as { resource: string; filters: string[] }[];
      const paths: Record<string, string> = {
        volume: '/v3/volumes',
        snapshot: '/v3/snapshots',
        backup: '/v3/backups',
        attachment: '/v3/attachments',
        message: '/v3/messages',
        group: '/v3/groups',
        group_snapshot: '/v3/group_snapshots',
      };
      const values: Record<string, string> = {
        metadata: "{'k': 'v'}",
        bootable: 'true',
        size: '1',
        created_at: 'gt:2020-01-01T00:00:00',
        updated_at: 'gt:2020-01-01T00:00:00',
        consumes_quota: 'true',
      };
      // Pools (admin-only) and volume types (no unknown-key 400) are checked by their own route tests.
      for (const { resource, filters } of listed.filter((e) => paths[e.resource])) {
        for (const key of filters) {
          const q = new URLSearchParams({ [key]: values[key] ?? 'x' });
          const r = await member.request('GET', `${paths[resource]}?${q}`, { mv: '3.70' });
          expect(r.status, `${resource} ${key}: ${r.text}`).to.equal(200);
        }
        const bad = await member.request('GET', `${paths[resource]}?not_a_filter=1`, { mv: '3.70' });
        expect(bad.status, resource).to.equal(400);
        expect(bad.body.badRequest.message).to.equal('Invalid filters not_a_filter are found in query options.');
      }
    });
  });
});
