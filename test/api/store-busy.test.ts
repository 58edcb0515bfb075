/*
 * Issue 19: a store that stays locked answers 503, never 500. SQLite: another connection holds the write
 * lock (BEGIN IMMEDIATE) past the busy timeout and the store's retries; released in time, the request
 * succeeds. PostgreSQL (VOLUME_API_TEST_ENGINE=postgres): a trigger raises serialization failures
 * (40001), first a few (retried, then 202), then for ever (503).
 */
import { expect } from 'chai';
import SQLite from 'better-sqlite3';
import { Client } from 'pg';
import { sqlitePath } from '../../src/config';
import { STORE_BUSY_MESSAGE } from '../../src/errors';
import { expectFault, startServer, TEST_ENGINE, type TestServer } from '../lib/server';

const CREATE = { body: { volume: { size: 1, name: 'busy' } } };

describe('API: a busy store answers 503 (issue 19)', function () {
  this.timeout(20000);
  let s: TestServer;

  before(async () => {
    s = await startServer({ sqlite_busy_timeout_ms: 100 });
  });
  after(async () => {
    await s?.close();
  });

  it('SQLite: a write lock held by another connection: 503 while held, retried when released soon', async function () {
    if (TEST_ENGINE !== 'sqlite') this.skip();
    const other = new SQLite(sqlitePath(s.config.database_url));
    try {
      other.exec('begin immediate');
      const started = Date.now();
      const r = await s.request('POST', '/v3/volumes', CREATE);
      expectFault(r, 503, STORE_BUSY_MESSAGE);
      expect(Date.now() - started).to.be.below(3000);
      other.exec('rollback');
      // Held a little less than the busy timeout and the retries: the request waits it out.
      other.exec('begin immediate');
      setTimeout(() => other.exec('rollback'), 150);
      const ok = await s.request('POST', '/v3/volumes', CREATE);
      expect(ok.status, ok.text).to.equal(202);
    } finally {
      if (other.inTransaction) other.exec('rollback');
      other.close();
    }
  });

  it('PostgreSQL: serialization failures are retried, and answered 503 when they persist', async function () {
    if (TEST_ENGINE !== 'postgres') this.skip();
    const admin = new Client({ connectionString: s.config.database_url });
    await admin.connect();
    try {
      await admin.query(`create sequence flaky_19;
        create function flaky_19() returns trigger language plpgsql as $$
        begin
          if nextval('flaky_19') <= current_setting('flaky_19.failures')::int then
            raise exception 'could not serialize access' using errcode = '40001';
          end if;
          return new;
        end $$;
        create trigger flaky_19 before insert on volumes for each row execute function flaky_19()`);
      await admin.query(`alter database ${admin.database} set flaky_19.failures = '2'`);
      // New connections read the setting: drop the pooled ones.
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      await s.request('GET', '/v3/volumes').catch(() => undefined);
      const ok = await s.request('POST', '/v3/volumes', CREATE);
      expect(ok.status, ok.text).to.equal(202);
      await admin.query(`alter database ${admin.database} set flaky_19.failures = '1000000'`);
      await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`);
      await s.request('GET', '/v3/volumes').catch(() => undefined);
      expectFault(await s.request('POST', '/v3/volumes', CREATE), 503, STORE_BUSY_MESSAGE);
    } finally {
      await admin.query('drop trigger if exists flaky_19 on volumes');
      await admin.end();
    }
  });
});
