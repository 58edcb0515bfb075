/*
 * Shared pieces of every list query (volumes, snapshots, attachments, messages): sortable column
 * expressions, the keyset condition "sorts after the marker row", and substring LIKE matching.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';

export interface SortKey<Column extends string = string> {
  column: Column;
  dir: 'asc' | 'desc';
}

// Generic over tables: the column names reaching these helpers come from each module's fixed sets.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyEb = ExpressionBuilder<any, any>;

/** A table's sortable columns. Nullable text sorts as '' so keyset comparisons never meet NULL. */
export class SortableTable {
  constructor(
    private readonly table: string,
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
 * `ref` contains `value`, ignoring case, with %, _ and \ in it taken literally (ESCAPE '\'). Both sides
 * go through lower(): SQLite's LIKE ignores (ASCII) case and PostgreSQL's does not, so plain LIKE would
 * answer differently on the two engines (issue 8).
 */
export function containsLike(ref: Expression<unknown>, value: string): Expression<SqlBool> {
  return sql<SqlBool>`lower(${ref}) like lower(${`%${value.replace(/[\\%_]/g, (c) => `\\${c}`)}%`}) escape '\\'`;
}
