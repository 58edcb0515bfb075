/*
 * Issue 8: several processes on one PostgreSQL database, as on several hosts. Three API processes
 * (`src/server.ts`) and two volume workers (`src/worker.ts`), all started at once on a fresh database
 * (so they also race to migrate it), share one data dir for the file backend. Bursts of concurrent
 * creates, spread over the three APIs, hit a project's quota edge, then deletes and creates run
 * together; afterwards usage must equal what the volume rows say, the limit must never have been
 * passed, and every operation must have run exactly once (one claim, one success line in the logs).
 *
 * Every process is started in its own process group and killed in afterEach, whatever the outcome; the
 * database is dropped and the data dir removed.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { loadConfig } from '../../src/config';
import { openStore, type Store } from '../../src/db/store';
import { MIGRATIONS } from '../../src/db/migrations';
import { createTestDatabase, requirePostgres, type TestDatabase } from '../lib/postgres';
import {
  allOperationsFinished,
  apiCall,
  isListening,
  isWorkerRunning,
  killAll,
  listeningPort,
  startServiceProcess,
  usageAndRows,
  waitUntil,
  type ServiceProcess,
} from '../lib/processes';
import { PROJECT_ID, tmpDir } from '../lib/server';

const QUOTA_VOLUMES = 12;

describe('PostgreSQL: 3 API processes and 2 workers on one database', function () {
  this.timeout(180000);
  const procs: ServiceProcess[] = [];
  let db: TestDatabase | undefined;
  let dataDir: string | undefined;
  let store: Store | undefined;

  before(function () {
    requirePostgres(this);
  });

  afterEach(async () => {
    await killAll(procs);
    await store?.close().catch(() => undefined);
    store = undefined;
    await db?.drop();
    db = undefined;
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it('never passes the quota, keeps usage exact and runs every operation once', async () => {
    db = await createTestDatabase();
    dataDir = tmpDir('volume-api-pg-multi-');
    const env = {
      VOLUME_API_DATABASE_URL: db.url,
      VOLUME_API_DATA_DIR: dataDir,
      VOLUME_API_HOST: '127.0.0.1',
      VOLUME_API_PORT: '0',
      VOLUME_API_WORKER_POLL_INTERVAL_MS: '50',
      VOLUME_API_DATABASE_POOL_SIZE: '8',
    };
    // All five at once on an empty database: they race to migrate it, too.
    const started = Date.now();
    const [apis, workers] = await Promise.all([
      Promise.all([1, 2, 3].map((i) => startServiceProcess(procs, `api-${i}`, 'server', env, isListening))),
      Promise.all([1, 2].map((i) => startServiceProcess(procs, `worker-${i}`, 'worker', env, isWorkerRunning))),
    ]);
    const startupMs = Date.now() - started;
    const owners = workers.map((w) => String(w.lines.find(isWorkerRunning)!.owner));
    store = await openStore(loadConfig({ argv: [], env: {}, overrides: { database_url: db.url } }), { migrate: false });
    const migrations = await store.db
      .selectFrom('kysely_migration' as never)
      .selectAll()
      .execute();
    expect(migrations).to.have.length(Object.keys(MIGRATIONS).length);

    const ports = apis.map(listeningPort);
    expect((await apiCall(ports[0], 'PUT', `/v3/os-quota-sets/${PROJECT_ID}`, { quota_set: { volumes: QUOTA_VOLUMES, gigabytes: 1000 } })).status).to.equal(
      200,
    );

    // Round 1: 48 creates at once, round-robin over the three APIs, at a limit of 12.
    const t1 = Date.now();
    const round1 = await Promise.all(
      Array.from({ length: 48 }, (_, i) => apiCall(ports[i % 3], 'POST', '/v3/volumes', { volume: { size: 1 + (i % 2), name: `r1-${i}` } })),
    );
    const round1Ms = Date.now() - t1;
    const r1Statuses = round1.map((r) => r.status);
    expect(
      r1Statuses.filter((s) => s !== 202 && s !== 413),
      'no other status',
    ).to.deep.equal([]);
    expect(r1Statuses.filter((s) => s === 202)).to.have.length(QUOTA_VOLUMES);
    let u = await usageAndRows(store);
    expect(u).to.deep.equal({ volumes: QUOTA_VOLUMES, gigabytes: u.rowsGb, rows: QUOTA_VOLUMES, rowsGb: u.rowsGb });

    const created = round1.filter((r) => r.status === 202).map((r) => r.body.volume.id as string);
    await waitUntil('round 1 volumes available', async () => {
      const rows = await store!.db.selectFrom('volumes').select('status').where('id', 'in', created).execute();
      return rows.every((r) => r.status === 'available') ? true : undefined;
    });

    // Round 2: delete half while 30 more creates race for the freed quota, all through different APIs.
    const toDelete = created.slice(0, 6);
    const t2 = Date.now();
    const round2 = await Promise.all([
      ...toDelete.map((id, i) => apiCall(ports[i % 3], 'DELETE', `/v3/volumes/${id}`)),
      ...Array.from({ length: 30 }, (_, i) => apiCall(ports[(i + 1) % 3], 'POST', '/v3/volumes', { volume: { size: 1, name: `r2-${i}` } })),
    ]);
    const round2Ms = Date.now() - t2;
    expect(round2.slice(0, toDelete.length).map((r) => r.status)).to.deep.equal(toDelete.map(() => 202));
    const r2Creates = round2.slice(toDelete.length).map((r) => r.status);
    expect(
      r2Creates.filter((s) => s !== 202 && s !== 413),
      'no other status',
    ).to.deep.equal([]);
    // Quota is given back when a delete completes (in the worker), so at most the freed 6 get in.
    expect(r2Creates.filter((s) => s === 202).length).to.be.at.most(toDelete.length);

    // Let every operation finish, then compare usage with the rows.
    await allOperationsFinished(store);
    u = await usageAndRows(store);
    expect(u.volumes).to.equal(u.rows);
    expect(u.gigabytes).to.equal(u.rowsGb);
    expect(u.rows).to.be.at.most(QUOTA_VOLUMES);

    // Every operation ran exactly once: one claim each, succeeded, one success line in one worker's log.
    const ops = await store.db.selectFrom('operations').select(['id', 'state', 'attempts', 'owner']).execute();
    expect(ops.filter((o) => o.state !== 'succeeded' || o.attempts !== 1)).to.deep.equal([]);
    const successLines = workers.flatMap((w) => w.lines.filter((l) => l.msg === 'operation succeeded').map((l) => String(l.op_id)));
    expect(successLines.sort()).to.deep.equal(ops.map((o) => o.id).sort());
    const perWorker = owners.map((owner) => ops.filter((o) => o.owner === owner).length);
    expect(perWorker.reduce((a, b) => a + b, 0)).to.equal(ops.length);
    // No API process logged a 5xx.
    const serverErrors = apis.flatMap((a) => a.lines.filter((l) => l.audit === true && Number(l.status) >= 500));
    expect(serverErrors).to.deep.equal([]);

    // The numbers, for docs/scaling.md.
    console.log(
      `      startup (5 processes, migrations) ${startupMs} ms; round 1: 48 creates in ${round1Ms} ms (12 accepted); ` +
        `round 2: 6 deletes + 30 creates in ${round2Ms} ms (${r2Creates.filter((s) => s === 202).length} accepted); ` +
        `${ops.length} operations, per worker ${perWorker.join('/')}`,
    );
  });
});
