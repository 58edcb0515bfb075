/*
 * User messages (3.3+): a create that fails for real in the worker leaves a message the owner can read,
 * with Cinder's event id and the request id of the create call; free-space refusal (the file backend's
 * capacity check); list scope, expiry, paging/sorting/filters (3.5+), show, delete, 404s, 3.2 gating.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from '../lib/server';
import { recordMessage, ACTIONS, DETAILS, MESSAGE_TTL_SECONDS } from '../../src/services/user-messages';
import { parseMessageFilters } from '../../src/api/list-query';
import { ApiVersion } from '../../src/api/microversions';
import { nowIso } from '../../src/db/time';
import type { RequestContext } from '../../src/context';

const MESSAGE_KEYS = [
  'created_at',
  'event_id',
  'guaranteed_until',
  'id',
  'links',
  'message_level',
  'request_id',
  'resource_type',
  'resource_uuid',
  'user_message',
];
const OTHER_PROJECT = '7e57aa0b0c1d4e2f8a9b0c1d2e3f4a5b';

/** Stored timestamps are naive UTC; parse one as UTC milliseconds. */
function ms(stamp: string): number {
  return Date.parse(`${stamp.slice(0, 23)}Z`);
}

describe('API: user messages', function () {
  this.timeout(60000);
  let s: TestServer;

  before(async () => {
    s = await startServer({ worker: { poll_interval_ms: 50 } });
  });
  after(async () => {
    await s.close();
  });

  async function seed(
    projectId: string,
    over: Partial<{
      resourceId: string;
      requestId: string;
      action: (typeof ACTIONS)[keyof typeof ACTIONS];
      detail: (typeof DETAILS)[keyof typeof DETAILS];
    }> = {},
  ): Promise<string> {
    const id = await recordMessage(s.services.store.db, {
      projectId,
      requestId: over.requestId ?? `req-${randomUUID()}`,
      resourceType: 'VOLUME',
      resourceId: over.resourceId ?? randomUUID(),
      action: over.action ?? ACTIONS.SCHEDULE_ALLOCATE_VOLUME,
      detail: over.detail ?? DETAILS.UNKNOWN_ERROR,
    });
    // Distinct created_at values (millisecond clock), so the default order is known.
    await new Promise((r) => setTimeout(r, 3));
    return id;
  }

  async function operationOf(volumeId: string) {
    return s.services.store.db.selectFrom('operations').selectAll().where('resource_id', '=', volumeId).executeTakeFirstOrThrow();
  }

  it("a volume larger than the backend's free space ends in error at once, with a readable message carrying the create's request id", async () => {
    const freeGb = Math.floor((fs.statfsSync(s.config.backend.path).bavail * fs.statfsSync(s.config.backend.path).bsize) / 1024 ** 3);
    const size = Math.max(100000, freeGb * 2 + 10);
    const quota = await s.request('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { gigabytes: -1 } } });
    expect(quota.status, quota.text).to.equal(200);
    const created = await s.request('POST', '/v3/volumes', { body: { volume: { size, name: 'too big' } } });
    expect(created.status, created.text).to.equal(202);
    const requestId = created.headers.get('x-openstack-request-id');
    expect(requestId).to.match(/^req-[0-9a-f-]{36}$/);
    const id = created.body.volume.id;
    await s.waitForVolume(id, ['error'], 10000);

    const op = await operationOf(id);
    // The scheduler's CapacityFilter finds no pool with room (issue 16): failed before any worker runs it.
    expect(op).to.include({ state: 'failed', attempts: 0, request_id: requestId });
    expect(op.error).to.match(/No valid backend was found/);
    expect(fs.existsSync(`${s.config.backend.path}/volume-${id}`)).to.equal(false);

    const list = await s.request('GET', '/v3/messages', { mv: '3.3' });
    expect(list.status, list.text).to.equal(200);
    const found = list.body.messages.filter((m: { resource_uuid?: string }) => m.resource_uuid === id);
    expect(found).to.have.length(1);
    const m = found[0];
    expect(Object.keys(m).sort()).to.deep.equal(MESSAGE_KEYS);
    expect(m).to.include({
      event_id: 'VOLUME_VOLUME_001_003',
      user_message: 'schedule allocate volume:Could not find any available weighted backend.',
      message_level: 'ERROR',
      resource_type: 'VOLUME',
      resource_uuid: id,
      request_id: requestId,
    });
    expect(m.created_at).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?$/);
    expect(ms(m.guaranteed_until) - ms(m.created_at)).to.equal(MESSAGE_TTL_SECONDS * 1000);
    expect(m.links).to.deep.equal([
      { rel: 'self', href: `${s.url}/v3/messages/${m.id}` },
      { rel: 'bookmark', href: `${s.url}/messages/${m.id}` },
    ]);

    const shown = await s.request('GET', `/v3/${s.projectId}/messages/${m.id}`, { mv: '3.3' });
    expect(shown.status).to.equal(200);
    expect(Object.keys(shown.body)).to.deep.equal(['message']);
    expect(shown.body.message).to.deep.equal({
      ...m,
      links: [
        { rel: 'self', href: `${s.url}/v3/${s.projectId}/messages/${m.id}` },
        { rel: 'bookmark', href: `${s.url}/${s.projectId}/messages/${m.id}` },
      ],
    });
  });

  it('a create the backend fails at (its directory replaced by a file) ends in error after the last attempt with an unknown-error message', async () => {
    const dir = s.config.backend.path;
    fs.rmSync(dir, { recursive: true, force: true });
    fs.writeFileSync(dir, 'not a directory');
    try {
      const created = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } });
      const id = created.body.volume.id;
      await s.waitForVolume(id, ['error'], 15000);
      const op = await operationOf(id);
      expect(op).to.include({ state: 'failed', attempts: s.config.worker.max_attempts });
      expect(op.error).to.match(/ENOTDIR|not a directory/);
      const list = await s.request('GET', `/v3/messages?resource_uuid=${id}`, { mv: '3.5' });
      expect(list.body.messages).to.have.length(1);
      expect(list.body.messages[0]).to.include({
        event_id: 'VOLUME_VOLUME_001_001',
        user_message: 'schedule allocate volume:An unknown error occurred.',
        request_id: created.headers.get('x-openstack-request-id'),
      });
      // Internals (paths, errno) never reach the user.
      expect(list.body.messages[0].user_message).not.to.match(/ENOTDIR|\//);
    } finally {
      fs.rmSync(dir, { force: true });
      fs.mkdirSync(dir, { recursive: true });
    }
  });

  it('exists from 3.3 only: list, show and delete are 404 at 3.2', async () => {
    const id = await seed(s.projectId);
    for (const [method, path] of [
      ['GET', '/v3/messages'],
      ['GET', `/v3/messages/${id}`],
      ['DELETE', `/v3/messages/${id}`],
    ]) {
      const r = await s.request(method, path, { mv: '3.2' });
      expect(r.status, `${method} ${path}`).to.equal(404);
      expect(r.body).to.deep.equal({ itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    }
    expect((await s.request('GET', '/v3/messages')).status).to.equal(404); // no header: 3.0
    expect((await s.request('GET', `/v3/messages/${id}`, { mv: '3.3' })).status).to.equal(200);
  });

  it('show and delete: 404 for unknown ids, 204 with an empty body, then gone', async () => {
    const unknown = randomUUID();
    const missing = await s.request('GET', `/v3/messages/${unknown}`, { mv: '3.3' });
    expect(missing.status).to.equal(404);
    expect(missing.body).to.deep.equal({ itemNotFound: { code: 404, message: `Message ${unknown} could not be found.` } });
    expect((await s.request('DELETE', `/v3/messages/${unknown}`, { mv: '3.3' })).status).to.equal(404);

    const id = await seed(s.projectId);
    const del = await s.request('DELETE', `/v3/${s.projectId}/messages/${id}`, { mv: '3.70' });
    expect(del.status).to.equal(204);
    expect(del.text).to.equal('');
    expect((await s.request('GET', `/v3/messages/${id}`, { mv: '3.3' })).status).to.equal(404);
    expect((await s.request('DELETE', `/v3/messages/${id}`, { mv: '3.3' })).status).to.equal(404);
    const list = await s.request('GET', '/v3/messages', { mv: '3.3' });
    expect(list.body.messages.map((m: { id: string }) => m.id)).not.to.include(id);
    // Soft delete, as Cinder's message_destroy.
    const row = await s.services.store.db.selectFrom('messages').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.deleted).to.equal(1);
  });

  it("lists the caller's project; an admin sees other projects with all_tenants or project_id", async () => {
    const mine = await seed(s.projectId);
    const theirs = await seed(OTHER_PROJECT);
    const ids = (r: { body: { messages: { id: string }[] } }) => r.body.messages.map((m) => m.id);

    const own = await s.request('GET', '/v3/messages', { mv: '3.3' });
    expect(ids(own)).to.include(mine).and.not.include(theirs);
    const all = await s.request('GET', '/v3/messages?all_tenants=1', { mv: '3.3' });
    expect(ids(all)).to.include(mine).and.include(theirs);
    const one = await s.request('GET', `/v3/messages?project_id=${OTHER_PROJECT}`, { mv: '3.5' });
    expect(ids(one)).to.deep.equal([theirs]);
    // The other project's own view.
    const other = await s.request('GET', '/v3/messages', { mv: '3.3', token: `someone:${OTHER_PROJECT}` });
    expect(ids(other)).to.deep.equal([theirs]);
    // noauth callers are admins: an admin reads any message by id (Cinder's project_only rule).
    expect((await s.request('GET', `/v3/messages/${theirs}`, { mv: '3.3' })).status).to.equal(200);
  });

  it('never shows an expired message', async () => {
    const id = randomUUID();
    const past = new Date(Date.now() - 1000);
    await s.services.store.db
      .insertInto('messages')
      .values({
        id,
        project_id: s.projectId,
        request_id: `req-${randomUUID()}`,
        resource_type: 'VOLUME',
        resource_uuid: randomUUID(),
        event_id: 'VOLUME_VOLUME_001_001',
        message_level: 'ERROR',
        user_message: 'schedule allocate volume:An unknown error occurred.',
        created_at: nowIso(new Date(past.getTime() - MESSAGE_TTL_SECONDS * 1000)),
        expires_at: nowIso(past),
      })
      .execute();
    expect((await s.request('GET', `/v3/messages/${id}`, { mv: '3.3' })).status).to.equal(404);
    const all = await s.request('GET', '/v3/messages?all_tenants=1', { mv: '3.70' });
    expect(all.body.messages.map((m: { id: string }) => m.id)).not.to.include(id);
  });

  describe('paging, sorting and filters (3.5+)', () => {
    const project = 'c0ffee00c0ffee00c0ffee00c0ffee00';
    const token = `admin:${project}`;
    let seeded: string[] = [];
    const resource = randomUUID();

    before(async () => {
      seeded = [
        await seed(project, { resourceId: resource }),
        await seed(project, { detail: DETAILS.NO_BACKEND_AVAILABLE }),
        await seed(project, { action: ACTIONS.EXTEND_VOLUME, requestId: 'req-00000000-0000-0000-0000-000000000001' }),
      ];
    });
    const ids = (r: { body: { messages: { id: string }[] } }) => r.body.messages.map((m) => m.id);

    it('orders newest first, pages with limit and marker, and links the next page', async () => {
      const all = await s.request('GET', '/v3/messages', { mv: '3.5', token });
      expect(ids(all)).to.deep.equal([...seeded].reverse());
      expect(all.body).not.to.have.property('messages_links');

      const first = await s.request('GET', '/v3/messages?limit=2', { mv: '3.5', token });
      expect(ids(first)).to.deep.equal([seeded[2], seeded[1]]);
      expect(first.body.messages_links).to.deep.equal([{ rel: 'next', href: `${s.url}/v3/messages?limit=2&marker=${seeded[1]}` }]);
      const next = new URL(first.body.messages_links[0].href);
      const second = await s.request('GET', next.pathname + next.search, { mv: '3.5', token });
      expect(ids(second)).to.deep.equal([seeded[0]]);
      expect(second.body).not.to.have.property('messages_links');

      const offset = await s.request('GET', '/v3/messages?limit=1&offset=1', { mv: '3.5', token });
      expect(ids(offset)).to.deep.equal([seeded[1]]);
    });

    it('sorts by a column in either direction', async () => {
      expect(ids(await s.request('GET', '/v3/messages?sort=created_at:asc', { mv: '3.5', token }))).to.deep.equal(seeded);
      expect(ids(await s.request('GET', '/v3/messages?sort_key=event_id&sort_dir=asc', { mv: '3.5', token }))).to.deep.equal([seeded[0], seeded[1], seeded[2]]);
      const bad = await s.request('GET', '/v3/messages?sort=bogus', { mv: '3.5', token });
      expect(bad.status).to.equal(400);
      expect(bad.body.badRequest.message).to.equal('Invalid input received: Invalid sort key');
    });

    it("filters by the message keys; substring filters from 3.34; an admin's unknown filter matches nothing", async () => {
      expect(ids(await s.request('GET', `/v3/messages?resource_uuid=${resource}`, { mv: '3.5', token }))).to.deep.equal([seeded[0]]);
      expect(ids(await s.request('GET', '/v3/messages?event_id=VOLUME_VOLUME_001_003', { mv: '3.5', token }))).to.deep.equal([seeded[1]]);
      expect(ids(await s.request('GET', '/v3/messages?request_id=req-00000000-0000-0000-0000-000000000001', { mv: '3.5', token }))).to.deep.equal([seeded[2]]);
      expect(ids(await s.request('GET', '/v3/messages?message_level=ERROR&resource_type=VOLUME', { mv: '3.5', token }))).to.have.length(3);
      expect(ids(await s.request('GET', '/v3/messages?event_id~=_007_', { mv: '3.34', token }))).to.deep.equal([seeded[2]]);
      // Below 3.34 `event_id~` is an unknown key: for an admin, nothing matches.
      expect(ids(await s.request('GET', '/v3/messages?event_id~=_007_', { mv: '3.33', token }))).to.deep.equal([]);
      expect(ids(await s.request('GET', '/v3/messages?bogus=1', { mv: '3.5', token }))).to.deep.equal([]);
    });

    it('ignores paging, sorting and filters below 3.5', async () => {
      const r = await s.request('GET', '/v3/messages?limit=1&sort=created_at:asc&event_id=nothing', { mv: '3.4', token });
      expect(r.status).to.equal(200);
      expect(ids(r)).to.deep.equal([...seeded].reverse());
    });

    it('refuses an unknown or invisible marker with 404', async () => {
      const unknown = randomUUID();
      const r = await s.request('GET', `/v3/messages?marker=${unknown}`, { mv: '3.5', token });
      expect(r.status).to.equal(404);
      expect(r.body.itemNotFound.message).to.equal(`Message ${unknown} could not be found.`);
      const foreign = await seed(OTHER_PROJECT);
      expect((await s.request('GET', `/v3/messages?marker=${foreign}`, { mv: '3.5', token })).status).to.equal(404);
    });
  });

  describe('filter rules for non-admin callers (no HTTP: noauth makes every caller an admin)', () => {
    const user: RequestContext = { userId: 'u', projectId: 'p', isAdmin: false, roles: [], requestId: 'req-x' };

    it('refuses unknown filters from 3.31, ignores them below, and keeps admin-only keys for admins', () => {
      expect(() => parseMessageFilters(user, ApiVersion.parse('3.31'), { project_id: 'x', bogus: '1' })).to.throw(
        'Invalid filters project_id,bogus are found in query options.',
      );
      expect(parseMessageFilters(user, ApiVersion.parse('3.30'), { bogus: '1', event_id: 'E' })).to.deep.equal({
        filters: [{ column: 'event_id', op: 'eq', value: 'E' }],
        matchesNothing: false,
      });
      expect(parseMessageFilters({ ...user, isAdmin: true }, ApiVersion.parse('3.70'), { project_id: 'x' })).to.deep.equal({
        filters: [],
        matchesNothing: false,
        projectId: 'x',
      });
    });
  });
});
