/*
 * Column groups several tables share, as steps for a CreateTableBuilder (`.$call(softDeleteColumns)`;
 * the builder is immutable, so each step takes one and returns the next).
 *
 * The shipped migrations call these helpers: their code was refactored to, but the DDL they emit did not
 * change by a byte, and test/unit/schema-ddl.test.ts pins it (a fresh SQLite schema and the compiled
 * PostgreSQL statements, against snapshots). So each helper writes exactly the names, types, options and
 * order the migrations wrote out by hand before, and it must keep doing so: a change here is a change to
 * every shipped migration that calls it, which that test rejects. A new table that wants its columns
 * otherwise writes them out (or gets a helper of its own); it does not edit one of these.
 */
import type { CreateTableBuilder, Kysely } from 'kysely';

/** A step adding the columns `Added` to a table being created. */
type ColumnsStep<Added extends string> = <TB extends string, C extends string>(table: CreateTableBuilder<TB, C>) => CreateTableBuilder<TB, C | Added>;

/** `id`: the row's UUID, as text, the primary key. */
export const idColumn: ColumnsStep<'id'> = (table) => table.addColumn('id', 'text', (c) => c.primaryKey());

/** `id`, then the owning `project_id` and the creating `user_id` (volumes, snapshots, backups). */
export const ownedIdColumns: ColumnsStep<'id' | 'project_id' | 'user_id'> = (table) =>
  table
    .$call(idColumn)
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('user_id', 'text', (c) => c.notNull());

/** `created_at` (set on insert) and `updated_at` (null until the first update). */
export const timestampColumns: ColumnsStep<'created_at' | 'updated_at'> = (table) =>
  table.addColumn('created_at', 'text', (c) => c.notNull()).addColumn('updated_at', 'text');

/**
 * The timestamps, then Cinder's soft delete: a deleted row stays, with `deleted_at` set and `deleted` = 1
 * (schema.ts SoftDeleteColumns is the row type).
 */
export const softDeleteColumns: ColumnsStep<'created_at' | 'updated_at' | 'deleted_at' | 'deleted'> = (table) =>
  table
    .$call(timestampColumns)
    .addColumn('deleted_at', 'text')
    .addColumn('deleted', 'integer', (c) => c.notNull().defaultTo(0));

/**
 * A key/value table of another table's rows (volume, snapshot and backup metadata, admin metadata, extra
 * specs): `owner` referencing `references`, `key`, `value`, with `position` (insertion order, which Cinder
 * returns keys in) when `ordered`; primary key `<table>_pk` over (owner, key). Returns the builder: the
 * caller executes it.
 */
export function keyValueTable(db: Kysely<unknown>, table: string, owner: string, references: string, opts: { ordered: boolean }) {
  return db.schema
    .createTable(table)
    .addColumn(owner, 'text', (c) => c.notNull().references(references))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('value', 'text', (c) => c.notNull())
    .$call((t) => (opts.ordered ? t.addColumn('position', 'integer', (c) => c.notNull()) : t))
    .addPrimaryKeyConstraint(`${table}_pk`, [owner, 'key']);
}

/** The `names`, in order, each a not-null text column. */
export function notNullTextColumns<Name extends string>(...names: Name[]): ColumnsStep<Name> {
  return <TB extends string, C extends string>(table: CreateTableBuilder<TB, C>) =>
    names.reduce<CreateTableBuilder<TB, C | Name>>((t, name) => t.addColumn(name, 'text', (c) => c.notNull()), table);
}

/**
 * A table keyed by several not-null text columns (an association, or a value per owner and key): the
 * `keys` first, in order, and primary key `<table>_pk` over them. Returns the builder: the caller adds
 * the other columns (Kysely writes them before the constraint) and executes it.
 */
export function compositeKeyTable(db: Kysely<unknown>, table: string, keys: [string, string, ...string[]]) {
  return db.schema
    .createTable(table)
    .$call(notNullTextColumns(...keys))
    .addPrimaryKeyConstraint(`${table}_pk`, keys);
}
