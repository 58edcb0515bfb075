/*
 * Issue 8, without a server: which database errors become a 503 serviceUnavailable (errors.ts toFault),
 * how a PostgreSQL URL is recognised and censored, and how the TLS settings reach the pool.
 */
import { expect } from 'chai';
import { censorDatabaseUrl, ConfigError, databaseEngine, loadConfig } from '../../src/config';
import { DATABASE_UNAVAILABLE_MESSAGE, DatabaseUnavailableError, GENERIC_500_MESSAGE, isDatabaseUnavailable, isStoreBusy, toFault } from '../../src/errors';
import { createPostgresPool } from '../../src/db/postgres';

function withCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

const UNAVAILABLE_BODY = { serviceUnavailable: { code: 503, message: DATABASE_UNAVAILABLE_MESSAGE } };

describe('PostgreSQL: database faults and settings', () => {
  it('maps a database that cannot serve to a clean 503 serviceUnavailable', () => {
    const cases = [
      withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      withCode('read ECONNRESET', 'ECONNRESET'),
      withCode('terminating connection due to administrator command', '57P01'),
      withCode('the database system is starting up', '57P03'),
      withCode('sorry, too many clients already', '53300'),
      withCode('canceling statement due to statement timeout', '57014'),
      withCode('connection failure', '08006'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Client has encountered a connection error and is not queryable'),
      new DatabaseUnavailableError(new Error('x')),
    ];
    for (const err of cases) {
      expect(isDatabaseUnavailable(err), err.message).to.equal(true);
      const f = toFault(err);
      expect(f.statusCode, err.message).to.equal(503);
      expect(f.body, err.message).to.deep.equal(UNAVAILABLE_BODY);
    }
  });

  it('keeps other database errors as a generic 500 that says nothing about the database', () => {
    for (const err of [withCode('duplicate key value violates unique constraint "volumes_pkey"', '23505'), withCode('syntax error at or near "x"', '42601')]) {
      expect(isDatabaseUnavailable(err)).to.equal(false);
      expect(toFault(err)).to.deep.include({ statusCode: 500, body: { computeFault: { code: 500, message: GENERIC_500_MESSAGE } } });
    }
  });

  it('retries a transaction only after a deadlock, a serialization failure or a busy SQLite', () => {
    expect(isStoreBusy(withCode('deadlock detected', '40P01'))).to.equal(true);
    expect(isStoreBusy(withCode('could not serialize access', '40001'))).to.equal(true);
    expect(isStoreBusy(withCode('database is locked', 'SQLITE_BUSY'))).to.equal(true);
    expect(isStoreBusy(withCode('duplicate key', '23505'))).to.equal(false);
    expect(isStoreBusy(new Error('Connection terminated'))).to.equal(false);
  });

  it('selects PostgreSQL for postgres:// and postgresql:// URLs, SQLite otherwise', () => {
    expect(databaseEngine('postgres://u:p@db:5432/volumes')).to.equal('postgres');
    expect(databaseEngine('postgresql://db/volumes')).to.equal('postgres');
    expect(databaseEngine('sqlite:/var/lib/v.sqlite')).to.equal('sqlite');
    expect(databaseEngine('/var/lib/v.sqlite')).to.equal('sqlite');
  });

  it('censors the password in a database URL', () => {
    expect(censorDatabaseUrl('postgres://volume:s3cr%40t@db.example:5432/volumes')).to.equal('postgres://volume:***@db.example:5432/volumes');
    expect(censorDatabaseUrl('postgres://volume@db/volumes')).to.equal('postgres://volume@db/volumes');
    expect(censorDatabaseUrl('sqlite:/var/lib/v.sqlite')).to.equal('sqlite:/var/lib/v.sqlite');
  });

  it('reads the pool settings from the configuration, with environment names', () => {
    const c = loadConfig({
      argv: [],
      env: {
        VOLUME_API_DATABASE_URL: 'postgres://v@db/volumes',
        VOLUME_API_DATABASE_POOL_SIZE: '25',
        VOLUME_API_DATABASE_STATEMENT_TIMEOUT_MS: '2500',
        VOLUME_API_DATABASE_CONNECT_TIMEOUT_MS: '1500',
        VOLUME_API_DATABASE_SSL_MODE: 'verify-full',
      },
    });
    expect(c).to.deep.include({
      database_pool_size: 25,
      database_statement_timeout_ms: 2500,
      database_connect_timeout_ms: 1500,
      database_ssl_mode: 'verify-full',
      database_ssl_ca_file: '',
    });
    expect(() => loadConfig({ argv: [], env: { VOLUME_API_DATABASE_SSL_MODE: 'prefer' } })).to.throw(ConfigError, /database_ssl_mode/);
  });

  it('builds the pool from the settings, TLS included, and refuses TLS parameters in the URL', async () => {
    const base = {
      database_url: 'postgres://v@127.0.0.1:1/volumes',
      database_pool_size: 7,
      database_statement_timeout_ms: 1234,
      database_connect_timeout_ms: 900,
      database_ssl_ca_file: '',
    };
    const plain = createPostgresPool({ ...base, database_ssl_mode: 'disable' });
    const required = createPostgresPool({ ...base, database_ssl_mode: 'require' });
    const full = createPostgresPool({ ...base, database_ssl_mode: 'verify-full' });
    try {
      const options = (p: unknown) => (p as { options: Record<string, unknown> }).options;
      expect(options(plain)).to.deep.include({ max: 7, connectionTimeoutMillis: 900, statement_timeout: 1234, ssl: false });
      expect(options(required).ssl).to.deep.equal({ rejectUnauthorized: false });
      expect(options(full).ssl).to.deep.include({ rejectUnauthorized: true });
    } finally {
      await Promise.all([plain.end(), required.end(), full.end()]);
    }
    expect(() => createPostgresPool({ ...base, database_url: 'postgres://v@db/volumes?sslmode=require', database_ssl_mode: 'disable' })).to.throw(
      ConfigError,
      /database_ssl_mode/,
    );
    expect(() => createPostgresPool({ ...base, database_ssl_mode: 'verify-ca', database_ssl_ca_file: '/nonexistent/ca.pem' })).to.throw(
      ConfigError,
      /database_ssl_ca_file/,
    );
  });
});
