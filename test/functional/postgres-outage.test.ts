/*
 * Issue 8: PostgreSQL dies for a moment under load. Two API processes and a worker run against a private
 * cluster (the shared one must not go down under other tests) while clients keep creating, reading and
 * deleting volumes; the server is killed (`pg_ctl stop -m immediate`, a crash: no shutdown checkpoint,
 * clients' connections cut) and started again two seconds later.
 *
 * Expected: during the outage requests get a clean 503 serviceUnavailable (never a 500, never a dropped
 * connection), /healthcheck says 503 so a balancer can take the host out, no process dies, and the
 * service answers again without a restart. Afterwards nothing is corrupt: every volume a client was told
 * exists (202) is there, none is stuck in a transitional status, quota usage equals what the volume rows
 * say, and every operation finished. The cluster keeps synchronous_commit on: what was committed stays.
 */
import { expect } from 'chai';
import fs from 'node:fs';
import { loadConfig } from '../../src/config';
import { openStore, type Store } from '../../src/db/store';
import { DATABASE_UNAVAILABLE_MESSAGE } from '../../src/errors';
import { createTestDatabase, requirePostgres, startCluster, stopCluster, type PgCluster } from '../lib/postgres';
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

const CLIENTS = 6;
const OUTAGE_AFTER_MS = 2000;
const OUTAGE_MS = 2000;
const LOAD_MS = 9000;

interface Sample {
  at: number;
  op: string;
  status: number;
  ms: number;
  body?: any;
}

describe('PostgreSQL: the database dies under load', function () {
  this.timeout(180000);
  const procs: ServiceProcess[] = [];
  let cluster: PgCluster | undefined;
  let dataDir: string | undefined;
  let store: Store | undefined;

  before(function () {
    requirePostgres(this);
  });

  afterEach(async () => {
    await killAll(procs);
    await store?.close().catch(() => undefined);
    store = undefined;
    if (cluster) stopCluster(cluster.dir);
    cluster = undefined;
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    dataDir = undefined;
  });

  it('answers 503 while it is down, recovers by itself, and loses or corrupts nothing', async () => {
    cluster = await startCluster({ durableCommits: true });
    const db = await createTestDatabase(cluster);
    dataDir = tmpDir('volume-api-pg-outage-');
    const env = {
      VOLUME_API_DATABASE_URL: db.url,
      VOLUME_API_DATA_DIR: dataDir,
      VOLUME_API_HOST: '127.0.0.1',
      VOLUME_API_PORT: '0',
      VOLUME_API_DATABASE_CONNECT_TIMEOUT_MS: '1000',
      VOLUME_API_WORKER_POLL_INTERVAL_MS: '100',
      // An operation interrupted by the crash is taken again when its lease runs out: keep that short.
      VOLUME_API_WORKER_LEASE_SECONDS: '3',
      VOLUME_API_QUOTA_VOLUMES: '-1',
      VOLUME_API_QUOTA_GIGABYTES: '-1',
    };
    const apis = await Promise.all([1, 2].map((i) => startServiceProcess(procs, `api-${i}`, 'server', env, isListening)));
    const worker = await startServiceProcess(procs, 'worker', 'worker', env, isWorkerRunning);
    const ports = apis.map(listeningPort);

    const t0 = Date.now();
    const samples: Sample[] = [];
    const acknowledged = new Set<string>();
    const deleted = new Set<string>();
    let healthDown = 0;
    let healthUpAgainAt = 0;
    let stoppedAt = 0;
    let startedAt = 0;

    async function timed(op: string, port: number, method: string, url: string, body?: unknown) {
      const start = Date.now();
      const r = await apiCall(port, method, url, body);
      samples.push({ at: start - t0, op, status: r.status, ms: Date.now() - start, body: r.status >= 500 ? r.body : undefined });
      return r;
    }

    async function client(i: number) {
      const port = ports[i % ports.length];
      const mine: string[] = [];
      for (let n = 0; Date.now() - t0 < LOAD_MS; n++) {
        const c = await timed('create', port, 'POST', '/v3/volumes', { volume: { size: 1, name: `c${i}-${n}` } });
        if (c.status === 202) {
          acknowledged.add(c.body.volume.id);
          mine.push(c.body.volume.id);
        }
        await timed('list', port, 'GET', '/v3/volumes/detail?limit=20');
        // Delete an older volume of ours once it is available (the others may still be creating).
        if (mine.length > 2) {
          const id = mine[0];
          const d = await timed('delete', port, 'DELETE', `/v3/volumes/${id}`);
          if (d.status === 202) {
            mine.shift();
            deleted.add(id);
          }
        }
      }
    }

    async function outage() {
      await new Promise((r) => setTimeout(r, OUTAGE_AFTER_MS));
      cluster!.stop('immediate');
      stoppedAt = Date.now() - t0;
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      const h = await apiCall(ports[0], 'GET', '/healthcheck');
      if (h.status === 503) healthDown++;
      await new Promise((r) => setTimeout(r, OUTAGE_MS / 2));
      cluster!.start();
      startedAt = Date.now() - t0;
      await waitUntil('healthcheck 200 again', async () => ((await apiCall(ports[1], 'GET', '/healthcheck')).status === 200 ? true : undefined), 20000);
      healthUpAgainAt = Date.now() - t0;
    }

    await Promise.all([...Array.from({ length: CLIENTS }, (_, i) => client(i)), outage()]);

    // Every process survived.
    expect(procs.filter((p) => !p.alive).map((p) => p.name)).to.deep.equal([]);
    // Only clean answers: success, or a 503 with the serviceUnavailable body (or a 400 for a delete of a
    // volume the worker has not made available yet, which is retried later).
    const bad = samples.filter((s) => ![200, 202, 503].includes(s.status) && !(s.op === 'delete' && s.status === 400));
    expect(bad, JSON.stringify(bad.slice(0, 3))).to.deep.equal([]);
    const unavailable = samples.filter((s) => s.status === 503);
    expect(unavailable.length).to.be.greaterThan(0);
    for (const s of unavailable) expect(s.body).to.deep.equal({ serviceUnavailable: { code: 503, message: DATABASE_UNAVAILABLE_MESSAGE } });
    expect(healthDown).to.equal(1);
    // 503s only around the outage; afterwards everything succeeds again.
    const lastUnavailable = Math.max(...unavailable.map((s) => s.at + s.ms));
    expect(lastUnavailable).to.be.lessThan(healthUpAgainAt + 1000);
    const afterRecovery = samples.filter((s) => s.at > healthUpAgainAt);
    expect(afterRecovery.length).to.be.greaterThan(0);
    expect(afterRecovery.filter((s) => s.status >= 500)).to.deep.equal([]);

    // Nothing lost or corrupt once the worker has caught up.
    store = await openStore(loadConfig({ argv: [], env: {}, overrides: { database_url: db.url } }), { migrate: false });
    await allOperationsFinished(store);
    const rows = await store.db.selectFrom('volumes').select(['id', 'status', 'deleted', 'size']).where('project_id', '=', PROJECT_ID).execute();
    const byId = new Map(rows.map((r) => [r.id, r]));
    const missing = [...acknowledged].filter((id) => !byId.has(id));
    expect(missing, 'acknowledged creates must exist').to.deep.equal([]);
    const live = rows.filter((r) => r.deleted === 0);
    expect(live.filter((r) => r.status !== 'available').map((r) => `${r.id} ${r.status}`)).to.deep.equal([]);
    for (const id of deleted) expect(byId.get(id)?.deleted, `deleted ${id}`).to.equal(1);
    const u = await usageAndRows(store);
    expect(u.rows).to.equal(live.length);
    expect(u.volumes).to.equal(u.rows);
    expect(u.gigabytes).to.equal(u.rowsGb);
    const ops = await store.db.selectFrom('operations').select(['state', 'attempts']).execute();
    expect(ops.filter((o) => o.state !== 'succeeded')).to.deep.equal([]);
    // The worker logged the outage and went on.
    expect(worker.lines.some((l) => l.msg === 'worker loop error' || l.msg === 'database connection lost')).to.equal(true);

    const latencies = unavailable.map((s) => s.ms).sort((a, b) => a - b);
    console.log(
      `      ${samples.length} requests, ${unavailable.length} got 503 (max latency ${latencies[latencies.length - 1]} ms); ` +
        `db down at ${stoppedAt} ms, up at ${startedAt} ms, healthcheck 200 again ${healthUpAgainAt - startedAt} ms after start; ` +
        `${acknowledged.size} creates acknowledged, ${deleted.size} deletes; ${ops.length} operations, ${ops.filter((o) => o.attempts > 1).length} retried`,
    );
  });
});
