/*
 * Prepared statements for better-sqlite3, cached and read as arrays.
 *
 * Profiling the API under a read load (docs/performance.md) showed two costs in the SQLite layer that
 * have nothing to do with the queries themselves:
 * - Kysely's SQLite driver calls `db.prepare(sql)` for every query; parsing and planning cost about as
 *   much as running our small indexed queries (13 % of the API's CPU). Queries come from a fixed set of
 *   shapes, so the distinct SQL texts are few: a bounded LRU map from SQL text to statement makes each
 *   shape prepare once per connection.
 * - better-sqlite3 builds each row object property by property, about twice as slow as reading the row
 *   as an array (`raw`) and building the object with a per-statement constructor that has the columns'
 *   names as literal keys (one hidden class for every row). The 100-volume detail list spent most of its
 *   database time there.
 *
 * The driver only uses `reader`, `all` and `run` (and `iterate` when streaming), so the hook hands it a
 * small object with those; everything else keeps its plain better-sqlite3 statement. A cached statement
 * is only reused when it is not busy (still iterating): otherwise the caller gets a fresh one. SQLite
 * re-prepares a cached statement by itself after a schema change.
 */
import type SQLite from 'better-sqlite3';

const MAX_STATEMENTS = 500;

type Row = Record<string, unknown>;

/** `(r) => ({ "id": r[0], "name": r[1], ... })`: duplicate names keep the last, as better-sqlite3 does. */
function rowBuilder(columns: readonly { name: string }[]): (raw: unknown[]) => Row {
  const fields = columns.map((c, i) => `${JSON.stringify(c.name)}: r[${i}]`).join(', ');
  return new Function('r', `return { ${fields} };`) as (raw: unknown[]) => Row;
}

class CachedStatement {
  readonly reader: boolean;
  private readonly build?: (raw: unknown[]) => Row;

  constructor(
    private readonly statement: SQLite.Statement,
    private readonly fresh: () => SQLite.Statement,
  ) {
    this.reader = statement.reader;
    if (this.reader) {
      statement.raw(true);
      this.build = rowBuilder(statement.columns());
    }
  }

  get busy(): boolean {
    return this.statement.busy;
  }

  all(parameters: unknown[]): Row[] {
    if (!this.build) return this.fresh().all(parameters) as Row[];
    const rows = this.statement.all(parameters) as unknown[];
    for (let i = 0; i < rows.length; i++) rows[i] = this.build(rows[i] as unknown[]);
    return rows as Row[];
  }

  run(parameters: unknown[]): SQLite.RunResult {
    return this.statement.run(parameters);
  }

  iterate(parameters: unknown[]): IterableIterator<unknown> {
    return this.fresh().iterate(parameters);
  }
}

export function cacheStatements(db: SQLite.Database): SQLite.Database {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, CachedStatement>();
  db.prepare = ((source: string) => {
    let statement = cache.get(source);
    if (statement && !statement.busy) {
      // Refresh its place: the map's insertion order is the eviction order (least recently used first).
      cache.delete(source);
      cache.set(source, statement);
      return statement;
    }
    if (statement) return prepare(source);
    statement = new CachedStatement(prepare(source), () => prepare(source));
    cache.set(source, statement);
    if (cache.size > MAX_STATEMENTS) cache.delete(cache.keys().next().value as string);
    return statement;
  }) as unknown as SQLite.Database['prepare'];
  return db;
}
