/*
 * Functional test (issue 9): the real service with `auth.strategy = keystone` against a private real
 * Keystone (test/lib/keystone.ts), started once for this file. Keystone is reached through a recording
 * proxy (startKeystoneProxy), so the tests can count what Keystone is asked (validations, service-token
 * requests) and can make it fail, without looking inside the service.
 *
 * Users: alice (member of alpha), bob (member of beta), alpha-admin (admin in alpha); the service user
 * volume-api (admin + service in project service).
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { recordMessage, ACTIONS, DETAILS } from '../../src/services/user-messages';
import { startServer, tmpDir, type Reply, type RequestOptions, type TestServer } from '../lib/server';
import {
  freePort,
  makeTestCertificate,
  requireKeystone,
  startKeystone,
  startKeystoneProxy,
  type Keystone,
  type KeystoneProxy,
  type Token,
} from '../lib/keystone';

const ROOT = path.resolve(__dirname, '..', '..');
const UNAUTHORIZED = { error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } };
const UNAVAILABLE = { serviceUnavailable: { code: 503, message: 'The Keystone service is temporarily unavailable.' } };
const FORBIDDEN = { forbidden: { code: 403, message: 'Policy does not allow this operation to be performed.' } };

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

describe('Keystone authentication (real Keystone under uwsgi)', function () {
  this.timeout(60_000);
  let ks: Keystone;
  let proxy: KeystoneProxy;
  let api: TestServer;
  let alice: Token;
  let bob: Token;
  let admin: Token;
  const others: TestServer[] = [];

  before(async function () {
    this.timeout(180_000);
    requireKeystone(this);
    ks = await startKeystone();
    proxy = await startKeystoneProxy(ks.url);
    api = await startServer({ auth: { strategy: 'keystone', keystone: ks.serviceAuth({ url: proxy.url }) } });
    [alice, bob, admin] = await Promise.all([ks.issueToken(ks.users.alphaMember), ks.issueToken(ks.users.betaMember), ks.issueToken(ks.users.alphaAdmin)]);
  });

  after(async () => {
    for (const s of others) await s.close().catch(() => undefined);
    await api?.close().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await ks?.stop();
  });

  /** Starts another API (own cache) with these auth.keystone settings; closed in after(). */
  async function anotherApi(keystone: Record<string, unknown>): Promise<TestServer> {
    const s = await startServer({ auth: { strategy: 'keystone', keystone: ks.serviceAuth(keystone) } });
    others.push(s);
    return s;
  }

  /** A request with `t`'s token, under its project's path unless the path starts with /v3/ already. */
  function as(t: Token, method: string, rel: string, opts: RequestOptions = {}, server: TestServer = api): Promise<Reply> {
    const urlPath = rel.startsWith('/v3/') || rel === '/' || rel.startsWith('/healthcheck') ? rel : `/v3/${t.projectId}${rel}`;
    return server.request(method, urlPath, { ...opts, token: t.token });
  }

  async function waitFor(t: Token, kind: 'volumes' | 'snapshots' | 'backups', id: string, status: string): Promise<void> {
    const key = kind.slice(0, -1);
    for (let i = 0; i < 500; i++) {
      const r = await as(t, 'GET', `/${kind}/${id}`);
      expect(r.status, r.text).to.equal(200);
      if (r.body[key].status === status) return;
      if (r.body[key].status === 'error') throw new Error(`${key} ${id} went to error`);
      await sleep(20);
    }
    throw new Error(`${key} ${id} never reached ${status}`);
  }

  async function createVolume(t: Token, extra: Record<string, unknown> = {}): Promise<string> {
    const r = await as(t, 'POST', '/volumes', { body: { volume: { size: 1, ...extra } } });
    expect(r.status, r.text).to.equal(202);
    await waitFor(t, 'volumes', r.body.volume.id, 'available');
    return r.body.volume.id;
  }

  function expect401(r: Reply): void {
    expect(r.status, r.text).to.equal(401);
    expect(r.body).to.deep.equal(UNAUTHORIZED);
    expect(r.headers.get('www-authenticate')).to.equal(`Keystone uri="${proxy.url}"`);
  }

  describe('tokens', () => {
    it('keeps / and /healthcheck open, without asking Keystone', async () => {
      const before = proxy.seen.length;
      expect((await api.request('GET', '/', { token: null })).status).to.equal(300);
      expect((await api.request('GET', '/healthcheck', { token: null, headers: { Accept: 'text/plain' } })).status).to.equal(200);
      expect((await api.request('GET', '/', { token: 'garbage' })).status).to.equal(300);
      expect(proxy.seen.length).to.equal(before);
    });

    it("answers a request without a token with 401, Keystone's body and WWW-Authenticate (no noauth fake login)", async () => {
      expect401(await api.request('GET', '/v3/volumes', { token: null }));
      expect401(await api.request('GET', `/v3/${alice.projectId}/volumes`, { token: null }));
      expect401(await api.request('GET', '/v3/', { token: null }));
    });

    it('answers a garbage token, and a noauth-style token, with 401', async () => {
      expect401(await api.request('GET', `/v3/${alice.projectId}/volumes`, { token: 'gAAAAABnotarealtoken' }));
      expect401(await api.request('GET', `/v3/${alice.projectId}/volumes`, { token: `admin:${alice.projectId}` }));
    });

    it('accepts valid tokens of two projects, each in its own project', async () => {
      const a = await as(alice, 'GET', '/volumes');
      expect(a.status, a.text).to.equal(200);
      expect(a.body).to.deep.equal({ volumes: [] });
      const b = await as(bob, 'GET', '/volumes/detail');
      expect(b.status, b.text).to.equal(200);
      // Without a project in the path (the project-less endpoint template), the token's project applies.
      expect((await as(alice, 'GET', '/v3/volumes')).status).to.equal(200);
    });

    it('takes the Keystone URL with or without /v3, and names it as configured in WWW-Authenticate', async () => {
      const s = await anotherApi({ url: `${proxy.url}/v3/` });
      expect((await as(alice, 'GET', '/volumes', {}, s)).status).to.equal(200);
      const r = await s.request('GET', '/v3/volumes', { token: null });
      expect(r.status).to.equal(401);
      expect(r.headers.get('www-authenticate')).to.equal(`Keystone uri="${proxy.url}/v3"`);
    });

    it('refuses a path naming another project with Cinder\'s 400 "Malformed request url"', async () => {
      const r = await as(bob, 'GET', `/v3/${alice.projectId}/volumes`);
      expect(r.status).to.equal(400);
      expect(r.body).to.deep.equal({ badRequest: { code: 400, message: 'Malformed request url' } });
      const admins = await as(admin, 'GET', `/v3/${bob.projectId}/volumes`);
      expect(admins.status, 'an admin token is scoped too').to.equal(400);
    });

    it('validates a token once and then serves it from the cache; concurrent first uses share one validation', async () => {
      const t = await ks.issueToken(ks.users.alphaMember);
      const t0 = Date.now();
      expect((await as(t, 'GET', '/volumes')).status).to.equal(200);
      const firstMs = Date.now() - t0;
      const t1 = Date.now();
      for (let i = 0; i < 5; i++) expect((await as(t, 'GET', '/volumes')).status).to.equal(200);
      const cachedMs = (Date.now() - t1) / 5;
      expect(proxy.validations(t.token)).to.equal(1);

      const u = await ks.issueToken(ks.users.betaMember);
      const replies = await Promise.all(Array.from({ length: 6 }, () => as(u, 'GET', '/volumes')));
      expect(replies.map((r) => r.status)).to.deep.equal([200, 200, 200, 200, 200, 200]);
      expect(proxy.validations(u.token)).to.equal(1);
      console.log(`      (first request with a new token ${firstMs} ms, cached ${cachedMs.toFixed(1)} ms)`);
    });

    it('keeps trusting a revoked token until cache_ttl, the documented bound (300 s here)', async () => {
      const t = await ks.issueToken(ks.users.alphaMember);
      expect((await as(t, 'GET', '/volumes')).status).to.equal(200);
      await ks.revokeToken(t.token);
      expect((await as(t, 'GET', '/volumes')).status).to.equal(200);
      // A server that has not seen it yet asks Keystone, which says no.
      const fresh = await anotherApi({ url: proxy.url });
      expect401(await as(t, 'GET', '/volumes', {}, fresh));
    });

    it('stops accepting a revoked token once cache_ttl (1 s) has passed', async () => {
      const short = await anotherApi({ url: proxy.url, cache_ttl: 1 });
      const t = await ks.issueToken(ks.users.alphaMember);
      expect((await as(t, 'GET', '/volumes', {}, short)).status).to.equal(200);
      await ks.revokeToken(t.token);
      await sleep(1100);
      expect401(await as(t, 'GET', '/volumes', {}, short));
      expect401(await as(t, 'GET', '/volumes', {}, short));
      expect(proxy.validations(t.token), 'the 401 is cached too').to.equal(2);
    });

    it('renews its own service token when Keystone stops accepting it', async () => {
      const s = await anotherApi({ url: proxy.url, cache_ttl: 0 });
      expect((await as(alice, 'GET', '/volumes', {}, s)).status).to.equal(200);
      const mine = (r: { headers: Record<string, unknown> }) => r.headers['x-subject-token'] === alice.token;
      const serviceToken = proxy.seen.filter(mine).at(-1)!.headers['x-auth-token'] as string;
      await ks.revokeToken(serviceToken);
      const tokenRequests = proxy.tokenRequests();
      const r = await as(alice, 'GET', '/volumes', {}, s);
      expect(r.status, r.text).to.equal(200);
      expect(proxy.tokenRequests()).to.equal(tokenRequests + 1);
      expect(proxy.seen.filter(mine).at(-1)!.headers['x-auth-token']).not.to.equal(serviceToken);
    });

    it('answers 503 (never a pass, never a 401) when Keystone is down or failing, and recovers', async () => {
      const closed = await freePort();
      const down = await anotherApi({ url: `http://127.0.0.1:${closed}` });
      for (const t of [alice, admin]) {
        const r = await as(t, 'GET', '/volumes', {}, down);
        expect(r.status, r.text).to.equal(503);
        expect(r.body).to.deep.equal(UNAVAILABLE);
      }
      expect((await as(alice, 'POST', '/volumes', { body: { volume: { size: 1 } } }, down)).status).to.equal(503);

      const t = await ks.issueToken(ks.users.betaMember);
      proxy.mode = 'fail';
      try {
        const r = await as(t, 'GET', '/volumes');
        expect(r.status, r.text).to.equal(503);
        expect(r.body).to.deep.equal(UNAVAILABLE);
        expect((await api.request('GET', '/v3/volumes', { token: 'garbage-while-down' })).status).to.equal(503);
      } finally {
        proxy.mode = 'forward';
      }
      // Outages are not cached: the same token works as soon as Keystone answers again.
      expect((await as(t, 'GET', '/volumes')).status).to.equal(200);
    });

    it('answers 503 when Keystone does not answer within auth.keystone.timeout', async () => {
      const impatient = await anotherApi({ url: proxy.url, timeout: 0.5 });
      expect((await as(alice, 'GET', '/volumes', {}, impatient)).status, 'service token fetched while Keystone answers').to.equal(200);
      const t = await ks.issueToken(ks.users.alphaMember);
      proxy.mode = 'hang';
      try {
        const r = await as(t, 'GET', '/volumes', {}, impatient);
        expect(r.status, r.text).to.equal(503);
        expect(r.body).to.deep.equal(UNAVAILABLE);
      } finally {
        proxy.mode = 'forward';
      }
      expect((await as(t, 'GET', '/volumes', {}, impatient)).status).to.equal(200);
    });

    it('talks to an https Keystone, trusting the CA of auth.keystone.ca_file (and no other)', async () => {
      const dir = tmpDir('volume-api-keystone-tls-');
      const tls = makeTestCertificate(dir);
      const secure = await startKeystoneProxy(ks.url, { tls });
      try {
        const trusting = await anotherApi({ url: secure.url, ca_file: tls.cert });
        expect((await as(alice, 'GET', '/volumes', {}, trusting)).status).to.equal(200);
        expect(secure.validations(alice.token)).to.equal(1);
        const r = await as(alice, 'GET', '/volumes', {}, await anotherApi({ url: secure.url }));
        expect(r.status, 'a self-signed certificate without ca_file').to.equal(503);
        expect(secure.validations()).to.equal(1);
      } finally {
        await secure.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('refuses a token that is not printable ASCII without asking Keystone', async () => {
      const before = proxy.validations();
      expect401(await api.request('GET', `/v3/${alice.projectId}/volumes`, { token: `${alice.token} x` }));
      expect401(await api.request('GET', `/v3/${alice.projectId}/volumes`, { token: 'é'.repeat(10) }));
      expect(proxy.validations()).to.equal(before);
    });

    it('refuses to start without the service credentials, naming the missing keys', () => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src', 'standalone.ts')], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 30_000,
        env: { ...process.env, VOLUME_API_CONFIG: '', VOLUME_API_AUTH_STRATEGY: 'keystone', VOLUME_API_AUTH_KEYSTONE_URL: ks.url, VOLUME_API_PORT: '0' },
      });
      expect(r.status, r.stderr).to.equal(2);
      expect(r.stderr).to.contain(
        'volume-api: invalid configuration: auth.strategy is "keystone" but auth.keystone.username (env VOLUME_API_AUTH_KEYSTONE_USERNAME), auth.keystone.password (env VOLUME_API_AUTH_KEYSTONE_PASSWORD) are not set',
      );
    });

    it("answers 503 when the service user's password is wrong (a deployment error, not the caller's)", async () => {
      const wrong = await anotherApi({ url: proxy.url, password: 'not-the-password' });
      const r = await as(alice, 'GET', '/volumes', {}, wrong);
      expect(r.status).to.equal(503);
    });
  });

  describe('isolation between projects', () => {
    let vol: string;
    let snap: string;
    let backup: string;
    let attachment: string;
    let transfer: string;
    let message: string;

    before(async function () {
      this.timeout(60_000);
      vol = await createVolume(alice, { name: 'alpha-vol', metadata: { owner: 'alpha' } });
      const s = await as(alice, 'POST', '/snapshots', { body: { snapshot: { volume_id: vol, name: 'alpha-snap' } } });
      expect(s.status, s.text).to.equal(202);
      snap = s.body.snapshot.id;
      await waitFor(alice, 'snapshots', snap, 'available');
      const b = await as(alice, 'POST', '/backups', { body: { backup: { volume_id: vol, name: 'alpha-backup' } } });
      expect(b.status, b.text).to.equal(202);
      backup = b.body.backup.id;
      await waitFor(alice, 'backups', backup, 'available');
      const attVol = await createVolume(alice);
      const a = await as(alice, 'POST', '/attachments', {
        mv: '3.27',
        body: { attachment: { volume_uuid: attVol, instance_uuid: '5e0a3b2d-5d1a-4c59-9e8c-5c4d0b7a9f10' } },
      });
      expect(a.status, a.text).to.equal(200);
      attachment = a.body.attachment.id;
      const trVol = await createVolume(alice);
      const tr = await as(alice, 'POST', '/os-volume-transfer', { body: { transfer: { volume_id: trVol, name: 'alpha-transfer' } } });
      expect(tr.status, tr.text).to.equal(202);
      transfer = tr.body.transfer.id;
      message = await recordMessage(api.services.store.db, {
        projectId: alice.projectId,
        requestId: null,
        resourceType: 'VOLUME',
        resourceId: vol,
        action: ACTIONS.EXTEND_VOLUME,
        detail: DETAILS.UNKNOWN_ERROR,
      });
    });

    it('the owner sees each of its resources', async () => {
      for (const [rel, opts] of [
        [`/volumes/${vol}`, {}],
        [`/volumes/${vol}/metadata/owner`, {}],
        [`/snapshots/${snap}`, {}],
        [`/backups/${backup}`, {}],
        [`/attachments/${attachment}`, { mv: '3.27' }],
        [`/os-volume-transfer/${transfer}`, {}],
        [`/messages/${message}`, { mv: '3.3' }],
      ] as const) {
        const r = await as(alice, 'GET', rel, opts);
        expect(r.status, `${rel}: ${r.text}`).to.equal(200);
      }
    });

    it('another project cannot read them: 404 for each, and its lists do not show them (all_tenants ignored)', async () => {
      for (const [rel, opts] of [
        [`/volumes/${vol}`, {}],
        [`/volumes/${vol}/metadata`, {}],
        [`/volumes/${vol}/metadata/owner`, {}],
        [`/snapshots/${snap}`, {}],
        [`/snapshots/${snap}/metadata`, {}],
        [`/backups/${backup}`, {}],
        [`/backups/${backup}/export_record`, {}],
        [`/attachments/${attachment}`, { mv: '3.27' }],
        [`/os-volume-transfer/${transfer}`, {}],
        [`/volume-transfers/${transfer}`, { mv: '3.55' }],
        [`/messages/${message}`, { mv: '3.3' }],
      ] as const) {
        const r = await as(bob, 'GET', rel, opts);
        expect(r.status, `${rel}: ${r.text}`).to.be.oneOf(rel.includes('export_record') ? [403, 404] : [404]);
      }
      for (const [rel, key, opts] of [
        ['/volumes/detail?all_tenants=1', 'volumes', {}],
        ['/snapshots/detail?all_tenants=1', 'snapshots', {}],
        ['/backups/detail?all_tenants=1', 'backups', {}],
        ['/attachments?all_tenants=1', 'attachments', { mv: '3.27' }],
        ['/os-volume-transfer/detail?all_tenants=1', 'transfers', {}],
        ['/messages?all_tenants=1', 'messages', { mv: '3.3' }],
      ] as const) {
        const r = await as(bob, 'GET', rel, opts);
        expect(r.status, `${rel}: ${r.text}`).to.equal(200);
        expect(r.body[key], rel).to.deep.equal([]);
      }
      const summary = await as(bob, 'GET', '/volumes/summary?all_tenants=1', { mv: '3.12' });
      expect(summary.body['volume-summary']).to.include({ total_count: 0 });
    });

    it('another project cannot change or delete them: 404 for each (403 for admin-only calls)', async () => {
      const calls: [string, string, RequestOptions][] = [
        ['PUT', `/volumes/${vol}`, { body: { volume: { name: 'stolen' } } }],
        ['POST', `/volumes/${vol}/metadata`, { body: { metadata: { x: 'y' } } }],
        ['PUT', `/volumes/${vol}/metadata/owner`, { body: { meta: { owner: 'beta' } } }],
        ['DELETE', `/volumes/${vol}/metadata/owner`, {}],
        ['POST', `/volumes/${vol}/action`, { body: { 'os-extend': { new_size: 2 } } }],
        ['POST', `/volumes/${vol}/action`, { body: { 'os-set_bootable': { bootable: true } } }],
        ['POST', '/snapshots', { body: { snapshot: { volume_id: vol } } }],
        ['POST', '/backups', { body: { backup: { volume_id: vol } } }],
        ['POST', '/os-volume-transfer', { body: { transfer: { volume_id: vol } } }],
        ['POST', '/attachments', { mv: '3.27', body: { attachment: { volume_uuid: vol, instance_uuid: '5e0a3b2d-5d1a-4c59-9e8c-5c4d0b7a9f11' } } }],
        ['PUT', `/snapshots/${snap}`, { body: { snapshot: { name: 'stolen' } } }],
        ['POST', `/snapshots/${snap}/metadata`, { body: { metadata: { x: 'y' } } }],
        ['DELETE', `/snapshots/${snap}`, {}],
        ['POST', `/backups/${backup}/restore`, { body: { restore: {} } }],
        ['DELETE', `/backups/${backup}`, {}],
        ['DELETE', `/attachments/${attachment}`, { mv: '3.27' }],
        ['DELETE', `/os-volume-transfer/${transfer}`, {}],
        ['DELETE', `/messages/${message}`, { mv: '3.3' }],
        ['DELETE', `/volumes/${vol}`, {}],
      ];
      for (const [method, rel, opts] of calls) {
        const r = await as(bob, method, rel, opts);
        expect(r.status, `${method} ${rel}: ${r.text}`).to.equal(404);
      }
      // Everything is still there, unchanged.
      const v = await as(alice, 'GET', `/volumes/${vol}`);
      expect(v.body.volume).to.include({ name: 'alpha-vol', size: 1, status: 'available', bootable: 'false' });
      expect(v.body.volume.metadata).to.deep.equal({ owner: 'alpha' });
      expect((await as(alice, 'GET', `/snapshots/${snap}`)).body.snapshot.name).to.equal('alpha-snap');
      expect((await as(alice, 'GET', `/messages/${message}`, { mv: '3.3' })).status).to.equal(200);
    });

    it("quota sets: a member reads only its own project's; nobody but an admin changes them", async () => {
      expect((await as(bob, 'GET', `/os-quota-sets/${bob.projectId}`)).status).to.equal(200);
      const other = await as(bob, 'GET', `/os-quota-sets/${alice.projectId}`);
      expect(other.status).to.equal(403);
      expect(other.body).to.deep.equal(FORBIDDEN);
      expect((await as(bob, 'GET', `/os-quota-sets/${alice.projectId}?usage=True`)).status).to.equal(403);
      for (const t of [alice, bob]) {
        const r = await as(t, 'PUT', `/os-quota-sets/${t.projectId}`, { body: { quota_set: { volumes: 1000 } } });
        expect(r.status).to.equal(403);
        expect(r.body).to.deep.equal(FORBIDDEN);
        expect((await as(t, 'DELETE', `/os-quota-sets/${t.projectId}`)).status).to.equal(403);
      }
      const limits = await as(bob, 'GET', `/limits?project_id=${alice.projectId}`, { mv: '3.39' });
      expect(limits.body.limits.absolute.totalVolumesUsed).to.equal(0);
    });

    it("the transfer's receiver may accept it with the auth key, which moves the volume to its project", async () => {
      const trVol = await createVolume(alice, { name: 'to-beta' });
      const tr = await as(alice, 'POST', '/os-volume-transfer', { body: { transfer: { volume_id: trVol } } });
      const accepted = await as(bob, 'POST', `/os-volume-transfer/${tr.body.transfer.id}/accept`, {
        body: { accept: { auth_key: tr.body.transfer.auth_key } },
      });
      expect(accepted.status, accepted.text).to.equal(202);
      expect((await as(bob, 'GET', `/volumes/${trVol}`)).body.volume.name).to.equal('to-beta');
      expect((await as(alice, 'GET', `/volumes/${trVol}`)).status).to.equal(404);
    });
  });

  describe('admin and member', () => {
    let vol: string;
    before(async () => {
      vol = await createVolume(alice);
    });

    it('refuses admin-only actions to a member with 403 forbidden', async () => {
      const calls: [string, string, RequestOptions][] = [
        ['POST', `/volumes/${vol}/action`, { body: { 'os-reset_status': { status: 'error' } } }],
        ['POST', `/volumes/${vol}/action`, { body: { 'os-force_delete': {} } }],
        ['POST', `/volumes/${vol}/action`, { body: { 'os-force_detach': {} } }],
        ['POST', '/types', { body: { volume_type: { name: 'member-made' } } }],
        ['PUT', `/os-quota-sets/${alice.projectId}`, { body: { quota_set: { volumes: 50 } } }],
      ];
      for (const [method, rel, opts] of calls) {
        const r = await as(alice, method, rel, opts);
        expect(r.status, `${method} ${rel}: ${r.text}`).to.equal(403);
        expect(r.body).to.deep.equal(FORBIDDEN);
      }
      expect((await as(alice, 'GET', `/volumes/${vol}`)).body.volume.status).to.equal('available');
    });

    it('refuses snapshot and backup admin actions, default types and type changes to a member with 403', async () => {
      const v = await createVolume(alice);
      const snap = (await as(alice, 'POST', '/snapshots', { body: { snapshot: { volume_id: v } } })).body.snapshot.id;
      await waitFor(alice, 'snapshots', snap, 'available');
      const backup = (await as(alice, 'POST', '/backups', { body: { backup: { volume_id: v } } })).body.backup.id;
      await waitFor(alice, 'backups', backup, 'available');
      const typeId = (await as(alice, 'GET', '/types')).body.volume_types[0].id;
      const calls: [string, string, RequestOptions][] = [
        ['POST', `/snapshots/${snap}/action`, { body: { 'os-reset_status': { status: 'error' } } }],
        ['POST', `/snapshots/${snap}/action`, { body: { 'os-force_delete': {} } }],
        ['POST', `/backups/${backup}/action`, { body: { 'os-reset_status': { status: 'error' } } }],
        ['POST', `/backups/${backup}/action`, { body: { 'os-force_delete': {} } }],
        ['PUT', `/types/${typeId}`, { body: { volume_type: { description: 'mine now' } } }],
        ['POST', `/types/${typeId}/extra_specs`, { body: { extra_specs: { k: 'v' } } }],
        ['DELETE', `/types/${typeId}`, {}],
        ['PUT', `/v3/default-types/${alice.projectId}`, { mv: '3.62', body: { default_type: { volume_type: typeId } } }],
        ['GET', '/v3/default-types', { mv: '3.62' }],
      ];
      for (const [method, rel, opts] of calls) {
        const r = await as(alice, method, rel, opts);
        expect(r.status, `${method} ${rel}: ${r.text}`).to.equal(403);
        expect(r.body).to.deep.equal(FORBIDDEN);
      }
      expect((await as(alice, 'GET', `/snapshots/${snap}`)).body.snapshot.status).to.equal('available');
      expect((await as(alice, 'GET', `/backups/${backup}`)).body.backup.status).to.equal('available');
    });

    it('hides private volume types from members', async () => {
      const created = await as(admin, 'POST', '/types', { body: { volume_type: { name: 'private-gold', 'os-volume-type-access:is_public': false } } });
      expect(created.status, created.text).to.equal(200);
      const id = created.body.volume_type.id;
      expect((await as(admin, 'GET', '/types?is_public=None')).body.volume_types.map((t: { id: string }) => t.id)).to.include(id);
      for (const t of [alice, bob]) {
        expect((await as(t, 'GET', '/types?is_public=None')).body.volume_types.map((x: { id: string }) => x.id)).not.to.include(id);
        expect((await as(t, 'GET', `/types/${id}`)).status).to.equal(404);
      }
    });

    it('shows members only the user-visible extra specs of a type', async () => {
      const created = await as(admin, 'POST', '/types', {
        body: { volume_type: { name: 'gold', extra_specs: { volume_backend_name: 'pool-7', multiattach: '<is> True' } } },
      });
      const id = created.body.volume_type.id;
      expect((await as(admin, 'GET', `/types/${id}/extra_specs`)).body.extra_specs).to.deep.equal({ volume_backend_name: 'pool-7', multiattach: '<is> True' });
      expect((await as(alice, 'GET', `/types/${id}/extra_specs`)).body.extra_specs).to.deep.equal({ multiattach: '<is> True' });
      expect((await as(alice, 'GET', `/types/${id}`)).body.volume_type.extra_specs).to.deep.equal({ multiattach: '<is> True' });
      expect((await as(alice, 'GET', `/types/${id}/extra_specs/volume_backend_name`)).status).to.equal(404);
      expect((await as(alice, 'GET', `/types/${id}/extra_specs/multiattach`)).body).to.deep.equal({ multiattach: '<is> True' });
    });

    it('lets an admin of the project do them, and see other projects with all_tenants', async () => {
      const betaVol = await createVolume(bob, { name: 'beta-vol' });
      const reset = await as(admin, 'POST', `/volumes/${vol}/action`, { body: { 'os-reset_status': { status: 'error' } } });
      expect(reset.status, reset.text).to.equal(202);
      expect((await as(alice, 'GET', `/volumes/${vol}`)).body.volume.status).to.equal('error');
      const all = await as(admin, 'GET', '/volumes/detail?all_tenants=1');
      expect(all.body.volumes.map((v: { id: string }) => v.id)).to.include.members([vol, betaVol]);
      expect((await as(alice, 'GET', '/volumes/detail?all_tenants=1')).body.volumes.map((v: { id: string }) => v.id)).not.to.include(betaVol);
      const quota = await as(admin, 'PUT', `/os-quota-sets/${bob.projectId}`, { body: { quota_set: { volumes: 20 } } });
      expect(quota.status, quota.text).to.equal(200);
      expect((await as(bob, 'GET', `/os-quota-sets/${bob.projectId}`)).body.quota_set.volumes).to.equal(20);
      const del = await as(admin, 'POST', `/volumes/${vol}/action`, { body: { 'os-force_delete': {} } });
      expect(del.status, del.text).to.equal(202);
    });

    it('shows tenant attributes to the admin only', async () => {
      const v = await createVolume(bob);
      const asAdmin = await as(admin, 'GET', `/v3/${admin.projectId}/volumes/${v}`);
      expect(asAdmin.body.volume['os-vol-tenant-attr:tenant_id']).to.equal(bob.projectId);
      expect(asAdmin.body.volume).to.have.property('os-vol-host-attr:host');
      const asOwner = await as(bob, 'GET', `/volumes/${v}`);
      expect(asOwner.body.volume['os-vol-tenant-attr:tenant_id']).to.equal(bob.projectId);
      expect(asOwner.body.volume).not.to.have.property('os-vol-host-attr:host');
    });
  });
});
