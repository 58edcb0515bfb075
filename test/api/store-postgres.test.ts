/*
 * Issue 8: the store on a real PostgreSQL 15 (test/lib/postgres.ts starts it): engine selection and row
 * shapes, migrations under the advisory lock (several openers at once, `npm run migrate`), the quota
 * row locks and the SKIP LOCKED claim under concurrency, what happens when the server goes away (503s,
 * no half-written transaction, recovery without a restart), and moving an SQLite deployment over.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { sql } from 'kysely';
import { loadConfig } from '../../src/config';
import { openStore, type Store } from '../../src/db/store';
import { claimNextOperation, enqueueOperation } from '../../src/db/queries/operations';
import { MIGRATIONS } from '../../src/db/migrations';
import { nowIso } from '../../src/db/time';
import { DATABASE_UNAVAILABLE_MESSAGE, DatabaseUnavailableError } from '../../src/errors';
import { adminQuery, createTestDatabase, requirePostgres, sharedCluster, startCluster, stopCluster, type PgCluster, type TestDatabase } from '../lib/postgres';
import { waitUntil } from '../lib/processes';
import { startServer, tmpDir, type TestServer } from '../lib/server';

const run = promisify(execFile);
const ROOT = path.join(__dirname, '..', '..');

function storeConfig(url: string, extra: Record<string, unknown> = {}) {
  return loadConfig({ argv: [], env: {}, overrides: { database_url: url, ...extra } });
}

describe('PostgreSQL store', function () {
  this.timeout(60000);
  let db: TestDatabase | undefined;
  const stores: Store[] = [];

  before(function () {
    requirePostgres(this);
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
    await db?.drop();
    db = undefined;
  });

  it('selects PostgreSQL for a postgres:// URL and returns rows shaped as on SQLite', async () => {
    db = await createTestDatabase();
    const store = await openStore(storeConfig(db.url));
    stores.push(store);
    expect(store.engine).to.equal('postgres');
    const now = nowIso();
    await enqueueOperation(store.db, { kind: 'create_volume', resource_type: 'volume', resource_id: 'v1' }, now);
    const row = await store.db.selectFrom('operations').selectAll().executeTakeFirstOrThrow();
    expect(row.created_at).to.equal(now);
    expect(row.attempts).to.equal(0);
    const count = await store.db
      .selectFrom('operations')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(count.n).to.equal(1);
    const sum = await sql<{ total: number }>`select sum(attempts::bigint) as total from operations`.execute(store.db);
    expect(sum.rows[0].total).to.equal(0);
    // The session settings every pooled connection starts with.
    const settings = await sql<{ st: string; idle: string; app: string }>`select current_setting('statement_timeout') as st,
      current_setting('idle_in_transaction_session_timeout') as idle, current_setting('application_name') as app`.execute(store.db);
    expect(settings.rows[0]).to.deep.equal({ st: '10s', idle: '30s', app: 'volume-api' });
  });

  it('migrates exactly once when several processes open a fresh database at the same moment', async () => {
    db = await createTestDatabase();
    const url = db.url;
    const results = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const store = await openStore(storeConfig(url), { migrate: false });
        stores.push(store);
        return store.migrate();
      }),
    );
    const applied = results.flat();
    // Every migration there is (0005 came with several hosts), each applied once.
    const all = Object.keys(MIGRATIONS);
    expect(all.slice(0, 4)).to.deep.equal(['0001-initial', '0002-storage-operations', '0003-backups', '0004-transfers']);
    expect(applied.sort()).to.deep.equal(all);
    expect(results.filter((r) => r.length > 0)).to.have.length(1);
    const rows = await adminQuery(await sharedCluster(), 'select count(*)::int as n from kysely_migration', db.name);
    expect(rows[0].n).to.equal(all.length);
    const types = await adminQuery(await sharedCluster(), "select count(*)::int as n from volume_types where name = '__DEFAULT__'", db.name);
    expect(types[0].n).to.equal(1);
  });

  it('npm run migrate -- --dry-run lists pending migrations and writes nothing; without it, applies them', async () => {
    db = await createTestDatabase();
    const env = { ...process.env, VOLUME_API_DATABASE_URL: db.url };
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    const dry = await run(tsx, ['scripts/migrate.ts', '--dry-run'], { cwd: ROOT, env });
    const all = Object.keys(MIGRATIONS);
    expect(dry.stdout).to.contain(`${all.length} pending (dry run, nothing applied)`);
    expect(dry.stdout).to.contain(all[all.length - 1]);
    const tables = await adminQuery(await sharedCluster(), "select count(*)::int as n from pg_tables where schemaname = 'public'", db.name);
    expect(tables[0].n).to.equal(0);
    const applied = await run(tsx, ['scripts/migrate.ts'], { cwd: ROOT, env });
    expect(applied.stdout).to.contain(`applied ${all.length}`);
    const again = await run(tsx, ['scripts/migrate.ts', '--dry-run'], { cwd: ROOT, env });
    expect(again.stdout).to.contain('up to date');
  });

  it('claims each operation once when many workers claim at once (FOR UPDATE SKIP LOCKED)', async () => {
    db = await createTestDatabase();
    const store = await openStore(storeConfig(db.url, { database_pool_size: 20 }));
    stores.push(store);
    const now = nowIso();
    for (let i = 0; i < 10; i++) await enqueueOperation(store.db, { kind: 'create_volume', resource_type: 'volume', resource_id: `v${i}` }, now);
    const lease = nowIso(new Date(Date.now() + 60000));
    const claims = await Promise.all(Array.from({ length: 16 }, (_, i) => claimNextOperation(store.db, `worker-${i}`, nowIso(), lease)));
    const taken = claims.filter((c) => c !== undefined);
    expect(taken).to.have.length(10);
    expect(new Set(taken.map((c) => c.id)).size).to.equal(10);
    for (const c of taken) expect(c).to.include({ state: 'running', attempts: 1 });
    const rows = await store.db.selectFrom('operations').select(['owner', 'attempts']).execute();
    expect(rows.every((r) => r.attempts === 1 && r.owner !== null)).to.equal(true);
  });

  it('cancels a statement after database_statement_timeout_ms with a 503-class error', async () => {
    db = await createTestDatabase();
    const store = await openStore(storeConfig(db.url, { database_statement_timeout_ms: 200 }));
    stores.push(store);
    const err = await sql`select pg_sleep(2)`.execute(store.db).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).to.be.instanceOf(DatabaseUnavailableError);
    // Migrations are not bound by it (they may wait for another host's).
    expect(await store.migrate()).to.deep.equal([]);
  });

  it('rolls back a transaction whose connection is killed halfway, and the pool recovers', async () => {
    db = await createTestDatabase();
    const cluster = await sharedCluster();
    const store = await openStore(storeConfig(db.url));
    stores.push(store);
    const err = await store
      .transaction(async (trx) => {
        await enqueueOperation(trx, { kind: 'create_volume', resource_type: 'volume', resource_id: 'half' }, nowIso());
        const pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(trx)).rows[0].pid;
        await adminQuery(cluster, `select pg_terminate_backend(${pid})`);
        await enqueueOperation(trx, { kind: 'create_volume', resource_type: 'volume', resource_id: 'second' }, nowIso());
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).to.be.instanceOf(DatabaseUnavailableError);
    const rows = await store.db.selectFrom('operations').select('resource_id').execute();
    expect(rows).to.deep.equal([]);
  });
});

describe('PostgreSQL store: TLS', function () {
  this.timeout(60000);
  let cluster: PgCluster | undefined;
  const stores: Store[] = [];

  before(function () {
    requirePostgres(this);
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
    if (cluster) stopCluster(cluster.dir);
    cluster = undefined;
  });

  it('connects with database_ssl_mode require and verify-full (with the CA file), and refuses an untrusted certificate', async () => {
    cluster = await startCluster({ tls: true });
    const db = await createTestDatabase(cluster);
    const encrypted = async (s: Store) => (await sql<{ ssl: boolean }>`select ssl from pg_stat_ssl where pid = pg_backend_pid()`.execute(s.db)).rows[0].ssl;
    for (const mode of ['require', 'verify-full', 'verify-ca'] as const) {
      const s = await openStore(storeConfig(db.url, { database_ssl_mode: mode, database_ssl_ca_file: mode === 'require' ? '' : cluster.caFile }));
      stores.push(s);
      expect(await encrypted(s), mode).to.equal(true);
    }
    const plain = await openStore(storeConfig(db.url, { database_ssl_mode: 'disable' }));
    stores.push(plain);
    expect(await encrypted(plain)).to.equal(false);
    // Without the CA file the self-signed certificate is not trusted: the store does not open.
    const err = await openStore(storeConfig(db.url, { database_ssl_mode: 'verify-full' })).then(
      (s) => {
        stores.push(s);
        return undefined;
      },
      (e: unknown) => e as Error,
    );
    expect(err?.message).to.match(/self[- ]signed certificate/);
  });
});

describe('PostgreSQL store: API over the store', function () {
  this.timeout(60000);
  let s: TestServer | undefined;
  let db: TestDatabase | undefined;

  before(function () {
    requirePostgres(this);
  });

  afterEach(async () => {
    await s?.close().catch(() => undefined);
    s = undefined;
    await db?.drop();
    db = undefined;
  });

  it('never exceeds a quota under concurrent creates in one project, and leaves usage exact', async () => {
    db = await createTestDatabase();
    s = await startServer({ database_url: db.url, database_pool_size: 20 });
    const q = await s.request('PUT', `/v3/os-quota-sets/${s.projectId}`, { body: { quota_set: { volumes: 7, gigabytes: 100 } } });
    expect(q.status).to.equal(200);
    const replies = await Promise.all(Array.from({ length: 25 }, () => s!.request('POST', '/v3/volumes', { body: { volume: { size: 1 } } })));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((st) => st === 202)).to.have.length(7);
    expect(statuses.filter((st) => st === 413)).to.have.length(18);
    const usage = await s.request('GET', `/v3/os-quota-sets/${s.projectId}?usage=true`);
    expect(usage.body.quota_set.volumes.in_use).to.equal(7);
    expect(usage.body.quota_set.gigabytes.in_use).to.equal(7);
    const rows = await s.services.store.db
      .selectFrom('volumes')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('deleted', '=', 0)
      .executeTakeFirstOrThrow();
    expect(rows.n).to.equal(7);
  });
  it('filters as on SQLite: name~ ignores case, values of the wrong type match nothing instead of failing', async () => {
    db = await createTestDatabase();
    s = await startServer({ database_url: db.url });
    const v = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'MixedCase' } } });
    await s.waitForVolume(v.body.volume.id, ['available']);
    expect((await s.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: v.body.volume.id } } })).status).to.equal(202);
    const count = async (url: string, mv: string, key: string) => {
      const r = await s!.request('GET', url, { mv });
      expect(r.status, url).to.equal(200);
      return r.body[key].length as number;
    };
    expect(await count('/v3/volumes?name~=mixed', '3.34', 'volumes')).to.equal(1);
    expect(await count('/v3/volumes?name~=MIXED', '3.34', 'volumes')).to.equal(1);
    expect(await count('/v3/volumes?name~=nomatch', '3.34', 'volumes')).to.equal(0);
    expect(await count('/v3/volumes?created_at=abc', '3.0', 'volumes')).to.equal(0);
    expect(await count('/v3/snapshots?size=abc', '3.0', 'snapshots')).to.equal(0);
    expect(await count('/v3/snapshots?size~=1', '3.34', 'snapshots')).to.equal(1);
    expect(await count('/v3/snapshots?size=1', '3.0', 'snapshots')).to.equal(1);
    expect(await count('/v3/attachments?instance_id=abc', '3.27', 'attachments')).to.equal(0);
  });
});

describe('PostgreSQL store: the database goes away', function () {
  this.timeout(90000);
  let cluster: PgCluster | undefined;
  let s: TestServer | undefined;

  before(function () {
    requirePostgres(this);
  });

  afterEach(async () => {
    // The private cluster may be down: the store's close must not hang, then the cluster goes.
    await s?.close().catch(() => undefined);
    s = undefined;
    if (cluster) stopCluster(cluster.dir);
    cluster = undefined;
  });

  it('answers 503 (health and API) while the server is down and recovers by itself when it is back', async () => {
    cluster = await startCluster();
    const db = await createTestDatabase(cluster);
    s = await startServer({ database_url: db.url, database_connect_timeout_ms: 1000, worker: { poll_interval_ms: 100 } });
    const before = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'before' } } });
    expect(before.status).to.equal(202);
    await s.waitForVolume(before.body.volume.id, ['available']);

    cluster.stop('fast');
    const health = await s.request('GET', '/healthcheck', { token: null });
    expect(health.status).to.equal(503);
    expect(health.body.reasons.map((r: { reason: string; class: string }) => [r.class, r.reason])).to.deep.equal([['StoreCheck', 'STORE UNAVAILABLE']]);
    for (const [method, url, body] of [
      ['GET', '/v3/volumes', undefined],
      ['GET', `/v3/volumes/${before.body.volume.id}`, undefined],
      ['POST', '/v3/volumes', { volume: { size: 1, name: 'during' } }],
    ] as const) {
      const r = await s.request(method, url, { body });
      expect(r.status, `${method} ${url}`).to.equal(503);
      expect(r.body, `${method} ${url}`).to.deep.equal({ serviceUnavailable: { code: 503, message: DATABASE_UNAVAILABLE_MESSAGE } });
    }

    cluster.start();
    expect((await s.request('GET', '/healthcheck', { token: null })).status).to.equal(200);
    const after = await s.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'after' } } });
    expect(after.status).to.equal(202);
    // The worker loop survived the outage and still runs operations.
    await s.waitForVolume(after.body.volume.id, ['available'], 15000);
    const list = await s.request('GET', '/v3/volumes');
    expect(list.body.volumes.map((v: { name: string }) => v.name).sort()).to.deep.equal(['after', 'before']);
  });
});

describe('PostgreSQL store: moving an SQLite deployment (npm run migrate -- --from)', function () {
  this.timeout(90000);
  const servers: TestServer[] = [];
  let db: TestDatabase | undefined;
  let dir: string | undefined;

  before(function () {
    requirePostgres(this);
  });

  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close().catch(() => undefined);
    await db?.drop();
    db = undefined;
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function snapshotOf(s: TestServer) {
    const mv = '3.69';
    return {
      volumes: (await s.request('GET', '/v3/volumes/detail', { mv })).body,
      snapshots: (await s.request('GET', '/v3/snapshots/detail', { mv })).body,
      types: (await s.request('GET', '/v3/types', { mv })).body,
      quota: (await s.request('GET', `/v3/os-quota-sets/${s.projectId}?usage=true`, { mv })).body,
      metadata: (await s.request('GET', `/v3/volumes/${(await s.request('GET', '/v3/volumes?name=first')).body.volumes[0].id}/metadata`)).body,
    };
  }

  it('copies every row into an empty PostgreSQL database, which then serves the same answers', async () => {
    dir = tmpDir('volume-api-move-');
    const sqliteUrl = `sqlite:${path.join(dir, 'old.sqlite')}`;
    const backend = { path: path.join(dir, 'volumes') };
    // Links carry the public endpoint, not each test server's port.
    const public_endpoint = 'http://volume.example';
    const old = await startServer({ database_url: sqliteUrl, backend, public_endpoint });
    servers.push(old);
    expect(old.services.store.engine).to.equal('sqlite');
    expect((await old.request('PUT', `/v3/os-quota-sets/${old.projectId}`, { body: { quota_set: { volumes: 20 } } })).status).to.equal(200);
    const gold = await old.request('POST', '/v3/types', { body: { volume_type: { name: 'gold', extra_specs: { 'vendor:tier': 'fast' } } } });
    expect(gold.status).to.equal(200);
    const first = await old.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'first', metadata: { a: '1', b: '2' } } } });
    const second = await old.request('POST', '/v3/volumes', { body: { volume: { size: 2, name: 'second', volume_type: 'gold' } } });
    await old.waitForVolume(first.body.volume.id, ['available']);
    await old.waitForVolume(second.body.volume.id, ['available']);
    const snap = await old.request('POST', '/v3/snapshots', { body: { snapshot: { volume_id: first.body.volume.id, name: 's1' } } });
    expect(snap.status).to.equal(202);
    await waitUntil(
      'snapshot available',
      async () => ((await old.request('GET', `/v3/snapshots/${snap.body.snapshot.id}`)).body.snapshot.status === 'available' ? true : undefined),
      10000,
    );
    const before = await snapshotOf(old);
    await old.close();
    servers.splice(0);

    db = await createTestDatabase();
    const tsx = path.join(ROOT, 'node_modules', '.bin', 'tsx');
    const env = { ...process.env, VOLUME_API_DATABASE_URL: db.url };
    const dry = await run(tsx, ['scripts/migrate.ts', '--dry-run', '--from', sqliteUrl], { cwd: ROOT, env });
    expect(dry.stdout).to.contain('dry run, nothing copied');
    const copy = await run(tsx, ['scripts/migrate.ts', '--from', sqliteUrl], { cwd: ROOT, env });
    expect(copy.stdout).to.match(/copied sqlite:.* -> postgres:.*: \d+ rows/);
    expect(copy.stdout).to.contain('volumes: 2');

    const moved = await startServer({ database_url: db.url, backend, public_endpoint });
    servers.push(moved);
    expect(moved.services.store.engine).to.equal('postgres');
    expect(await snapshotOf(moved)).to.deep.equal(before);
    // It goes on working: a new volume of the copied type, quota counted on top of the copied usage.
    const third = await moved.request('POST', '/v3/volumes', { body: { volume: { size: 1, name: 'third', volume_type: 'gold' } } });
    expect(third.status).to.equal(202);
    await moved.waitForVolume(third.body.volume.id, ['available']);
    const usage = await moved.request('GET', `/v3/os-quota-sets/${moved.projectId}?usage=true`);
    expect(usage.body.quota_set.volumes.in_use).to.equal(3);

    // A second copy into the now used database is refused, and changes nothing.
    const again = await run(tsx, ['scripts/migrate.ts', '--from', sqliteUrl], { cwd: ROOT, env }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(again?.code).to.equal(1);
    expect(again?.stderr).to.match(/target is not empty/);
  });
});
