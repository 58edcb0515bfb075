/*
 * Shared pieces of every list query (volumes, snapshots, backups, attachments, messages, transfers): the
 * query's common fields, sortable column expressions, the keyset condition "sorts after the marker row",
 * one page of a list and its count, and substring LIKE matching. Each module supplies only its own
 * conditions (filters, metadata, ...), marker aside.
 */
import { sql, type Expression, type ExpressionBuilder, type Kysely, type Selectable, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Database } from '../schema';
import type { Db } from '../store';

export interface SortKey<Column extends string = string> {
  column: Column;
  dir: 'asc' | 'desc';
}

/** What every list query carries besides its resource's own fields (metadata, zone, ...). */
export interface ListQuery<Row, Column extends string, Filter> {
  /** Restrict to one project; undefined lists every project. */
  projectId?: string;
  filters: Filter[];
  /** A filter that can match nothing (an admin's unknown key): the list is empty. */
  matchesNothing: boolean;
  sort: SortKey<Column>[];
  /** The page starts after this row. */
  marker?: Row;
  limit: number;
  offset: number;
}

// Generic over tables: the column names reaching these helpers come from each module's fixed sets.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyEb = ExpressionBuilder<any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnySelect<O> = SelectQueryBuilder<any, any, O>;
type AnyListQuery = ListQuery<object, string, unknown>;

/** A list's conditions without the marker: listing adds "after the marker", counting leaves it out. */
export type ListConditions<DB, TB extends keyof DB, Q> = (eb: ExpressionBuilder<DB, TB>, q: Q) => Expression<SqlBool>[];

/**
 * The conditions a list of a project's soft-deleted rows starts from: live rows only, none at all when a
 * filter can match nothing, and only `q.projectId`'s rows when it is set.
 */
export function scopeConditions(eb: AnyEb, table: keyof Database & string, q: Pick<AnyListQuery, 'projectId' | 'matchesNothing'>): Expression<SqlBool>[] {
  const parts: Expression<SqlBool>[] = [eb(`${table}.deleted`, '=', 0)];
  if (q.matchesNothing) parts.push(sql<SqlBool>`1 = 0`);
  if (q.projectId !== undefined) parts.push(eb(`${table}.project_id`, '=', q.projectId));
  return parts;
}

/** A table's sortable columns. Nullable text sorts as '' so keyset comparisons never meet NULL. */
export class SortableTable<Table extends string = string> {
  constructor(
    readonly table: Table,
    private readonly nullableText: ReadonlySet<string>,
  ) {}

  column(eb: AnyEb, column: string): Expression<unknown> {
    const ref = eb.ref(`${this.table}.${column}`);
    return this.nullableText.has(column) ? eb.fn.coalesce(ref, sql.lit('')) : ref;
  }

  /** Rows that sort after `marker` under `sort` (which ends in a unique key, id). */
  after(eb: AnyEb, sort: readonly SortKey[], marker: object): Expression<SqlBool> {
    const m = marker as Record<string, unknown>;
    const value = (c: string) => (this.nullableText.has(c) ? (m[c] ?? '') : m[c]);
    return eb.or(
      sort.map((key, i) => {
        const ands: Expression<SqlBool>[] = sort.slice(0, i).map((prev) => eb(this.column(eb, prev.column), '=', value(prev.column)));
        ands.push(eb(this.column(eb, key.column), key.dir === 'asc' ? '>' : '<', value(key.column)));
        return eb.and(ands);
      }),
    );
  }
}

/**
 * One page of `query`: the rows matching `conditions` that sort after `q.marker`, in `q.sort` order,
 * `q.limit` of them from `q.offset`. For lists that join (transfers); the others use listRows.
 */
export async function keysetPage<DB, TB extends keyof DB, O, Q extends AnyListQuery>(
  query: SelectQueryBuilder<DB, TB, O>,
  sortable: SortableTable,
  conditions: ListConditions<DB, TB, Q>,
  q: Q,
): Promise<O[]> {
  // Kysely's where/orderBy overloads do not resolve for a generic DB and TB: build on the loose type.
  let page = (query as AnySelect<O>).where((eb) => {
    const parts = conditions(eb, q);
    return eb.and(q.marker ? [...parts, sortable.after(eb, q.sort, q.marker)] : parts);
  });
  for (const key of q.sort) page = page.orderBy((eb) => sortable.column(eb, key.column), key.dir);
  return page.limit(q.limit).offset(q.offset).execute();
}

/** One page of a table's rows (keysetPage over every column of `sortable.table`). */
export async function listRows<T extends keyof Database & string, Q extends AnyListQuery>(
  db: Db,
  sortable: SortableTable<T>,
  conditions: ListConditions<Database, T, Q>,
  q: Q,
): Promise<Selectable<Database[T]>[]> {
  return keysetPage(looseDb(db).selectFrom(sortable.table).selectAll() as AnySelect<Selectable<Database[T]>>, sortable, conditions, q);
}

/** How many rows of `table` match `conditions`: the whole list, whatever the marker and page. */
export async function countRows<T extends keyof Database & string, Q extends AnyListQuery>(
  db: Db,
  table: T,
  conditions: ListConditions<Database, T, Q>,
  q: Q,
): Promise<number> {
  const row = await looseDb(db)
    .selectFrom(table as string)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where((eb: AnyEb) => eb.and(conditions(eb, q)))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * `db` typed over any tables: Kysely cannot build a query on a generic table name of `Database` (the
 * lists here, the writes soft-delete.ts and key-values.ts share between tables).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function looseDb(db: Db): Kysely<any> {
  return db;
}

/**
 * `ref` contains `value`, ignoring case, with %, _ and \ in it taken literally (ESCAPE '\'). Both sides
 * go through lower(): SQLite's LIKE ignores (ASCII) case and PostgreSQL's does not, so plain LIKE would
 * answer differently on the two engines (issue 8).
 */
export function containsLike(ref: Expression<unknown>, value: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${ref}) like lower(${`%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}) escape '\\'`;
}
