/*
 * The DDL the shipped migrations emit, pinned. A fresh SQLite database is migrated through the store's
 * real path (openStore, Kysely's Migrator over src/db/migrations) and its schema (sqlite_master, the
 * applied migration names, the seeded default type) is compared with test/unit/fixtures/schema-sqlite.sql;
 * every migration's `up()` is also run against a PostgreSQL Kysely whose driver only records the
 * compiled statements (no server), compared with test/unit/fixtures/schema-postgres.sql.
 *
 * A shipped migration must never change the DDL it emits (src/db/migrations/index.ts): refactoring its
 * code is fine as long as both snapshots stay byte-identical. Adding a migration changes them on
 * purpose: regenerate with `VOLUME_API_UPDATE_SCHEMA_SNAPSHOT=1 npx mocha test/unit/schema-ddl.test.ts`
 * and review the diff (only the new migration's statements may appear).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import {
  type CompiledQuery,
  type DatabaseConnection,
  type Driver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  sql,
} from 'kysely';
import { loadConfig } from '../../src/config';
import { MIGRATIONS } from '../../src/db/migrations';
import { openStore } from '../../src/db/store';

const FIXTURES = path.join(__dirname, 'fixtures');
const UPDATE = process.env.VOLUME_API_UPDATE_SCHEMA_SNAPSHOT === '1';

function matchesSnapshot(actual: string, file: string): void {
  const snapshot = path.join(FIXTURES, file);
  if (UPDATE) fs.writeFileSync(snapshot, actual);
  expect(actual, `${file} (regenerate only for a new migration, see the top of this file)`).to.equal(fs.readFileSync(snapshot, 'utf8'));
}

interface MasterRow {
  type: string;
  name: string;
  tbl_name: string;
  sql: string | null;
}

async function sqliteSchema(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'volume-api-schema-ddl-'));
  const store = await openStore(loadConfig({ argv: [], env: {}, overrides: { database_url: `sqlite:${path.join(dir, 'volume-api.db')}` } }));
  try {
    const master = await sql<MasterRow>`select type, name, tbl_name, sql from sqlite_master where name not like 'sqlite_%' order by name`.execute(store.db);
    const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(store.db);
    const types = await store.db.selectFrom('volume_types').select(['name', 'description', 'is_public', 'qos_specs_id', 'deleted']).orderBy('name').execute();
    const out = master.rows.map((r) => `-- ${r.type} ${r.name} (${r.tbl_name})\n${r.sql ?? '(no sql)'};\n`);
    out.push(`-- applied migrations\n${applied.rows.map((r) => r.name).join('\n')}\n`);
    out.push(`-- volume_types rows (name, description, is_public, qos_specs_id, deleted)\n${types.map((t) => JSON.stringify(Object.values(t))).join('\n')}\n`);
    return out.join('\n');
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A driver that runs nothing: it records each compiled statement and answers with no rows. */
class RecordingDriver implements Driver {
  readonly queries: CompiledQuery[] = [];

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return {
      executeQuery: async <R>(query: CompiledQuery): Promise<QueryResult<R>> => {
        this.queries.push(query);
        return { rows: [] };
      },
      streamQuery: () => {
        throw new Error('streamQuery is not recorded');
      },
    };
  }

  async beginTransaction(): Promise<void> {}
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

async function postgresDdl(): Promise<string> {
  const out: string[] = [];
  for (const [name, migration] of Object.entries(MIGRATIONS)) {
    const driver = new RecordingDriver();
    const db = new Kysely<unknown>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => driver,
        createIntrospector: (k) => new PostgresIntrospector(k),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
    });
    await migration.up(db);
    await db.destroy();
    // Parameter values are left out: the seed row's id and timestamp differ on every run.
    const statements = driver.queries.map((q) => `${q.sql};${q.parameters.length ? ` -- ${q.parameters.length} parameters` : ''}`);
    out.push(`-- ${name}\n${statements.join('\n')}\n`);
  }
  return out.join('\n');
}

describe('schema DDL of the shipped migrations', () => {
  it('migrates a fresh SQLite database to exactly the pinned schema', async () => {
    matchesSnapshot(await sqliteSchema(), 'schema-sqlite.sql');
  });

  it('compiles the migrations for PostgreSQL to exactly the pinned statements', async () => {
    matchesSnapshot(await postgresDdl(), 'schema-postgres.sql');
  });
});
