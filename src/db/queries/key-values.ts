/*
 * The key/value tables of other tables' rows (migrations/columns.ts keyValueTable, and the QoS keys):
 * reading many owners' keys at once, setting, replacing and deleting keys. The queries run on the loose
 * handle (keyset.ts looseDb); each owner's module exports them with its own names and types.
 */
import { sql, type Expression, type Selectable, type SqlBool } from 'kysely';
import type { Database } from '../schema';
import type { Db } from '../store';
import { looseDb, type AnyEb } from './keyset';

/** Each key/value table and the column naming the row its keys belong to. */
const OWNER_COLUMNS = {
  volume_metadata: 'volume_id',
  volume_admin_metadata: 'volume_id',
  snapshot_metadata: 'snapshot_id',
  backup_metadata: 'backup_id',
  volume_type_extra_specs: 'volume_type_id',
  qos_spec_keys: 'qos_specs_id',
  group_type_specs: 'group_type_id',
} as const;

type KeyValueTable = keyof typeof OWNER_COLUMNS;

/**
 * Bound values one statement may carry: SQLite's limit (SQLITE_MAX_VARIABLE_NUMBER, 32766) is the
 * lower of the two engines' (PostgreSQL: 65535). A request may send more keys than that (issue 19: 8192
 * metadata keys of 4 values each were a 500), so bulk inserts and IN-lists go in chunks, a little under
 * the limit to leave room for the statement's other values.
 */
const MAX_BOUND_VALUES = 32000;

/** `items` in slices of at most MAX_BOUND_VALUES bound values, `valuesPerItem` each (none when empty). */
export function inChunks<T>(items: readonly T[], valuesPerItem: number): T[][] {
  const size = Math.floor(MAX_BOUND_VALUES / valuesPerItem);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** The tables that keep insertion order (`position`): Cinder returns metadata keys in the order they were set. */
type OrderedTable = 'volume_metadata' | 'snapshot_metadata' | 'backup_metadata';
const ORDERED: ReadonlySet<KeyValueTable> = new Set<OrderedTable>(['volume_metadata', 'snapshot_metadata', 'backup_metadata']);

/** A table's value type (null allowed in qos_spec_keys only). */
type ValueOf<T extends KeyValueTable> = Selectable<Database[T]> extends { value: infer Value } ? Value : never;

/** The keys of each owner in `ids` (`{}` for one without keys): in insertion order where kept, else in key order. */
export async function keyValuesOf<T extends KeyValueTable>(db: Db, table: T, ids: readonly string[]): Promise<Map<string, Record<string, ValueOf<T>>>> {
  const out = new Map<string, Record<string, ValueOf<T>>>(ids.map((id) => [id, {}]));
  if (ids.length === 0) return out;
  const owner: string = OWNER_COLUMNS[table];
  for (const chunk of inChunks([...new Set(ids)], 1)) {
    const rows: Record<string, string>[] = await looseDb(db)
      .selectFrom(table as string)
      .select([owner, 'key', 'value'])
      .where(owner, 'in', chunk)
      .orderBy(ORDERED.has(table) ? 'position' : 'key')
      .execute();
    for (const r of rows) out.get(r[owner])![r.key] = r.value as ValueOf<T>;
  }
  return out;
}

/** Sets each key of `ownerId`, replacing the value of a key it has. */
export async function upsertKeyValues<T extends 'volume_type_extra_specs' | 'qos_spec_keys' | 'group_type_specs'>(
  db: Db,
  table: T,
  ownerId: string,
  entries: Record<string, ValueOf<T>>,
): Promise<void> {
  const owner: string = OWNER_COLUMNS[table];
  for (const [key, value] of Object.entries(entries)) {
    await looseDb(db)
      .insertInto(table as string)
      .values({ [owner]: ownerId, key, value })
      .onConflict((oc) => oc.columns([owner, 'key']).doUpdateSet({ value }))
      .execute();
  }
}

/** Replaces the whole set of `ownerId`, keeping the order given. */
export async function replaceOrderedKeyValues(db: Db, table: OrderedTable, ownerId: string, entries: Record<string, string>): Promise<void> {
  const owner = OWNER_COLUMNS[table];
  await looseDb(db).deleteFrom(table).where(owner, '=', ownerId).execute();
  const rows = Object.entries(entries).map(([key, value], position) => ({ [owner]: ownerId, key, value, position }));
  // Several statements when the keys are many; the caller's transaction keeps them all-or-nothing.
  for (const chunk of inChunks(rows, 4)) await looseDb(db).insertInto(table).values(chunk).execute();
}

/** Sets keys of `ownerId`: existing keys keep their position, new ones go last. */
export async function mergeOrderedKeyValues(db: Db, table: OrderedTable, ownerId: string, entries: Record<string, string>): Promise<void> {
  const current = (await keyValuesOf(db, table, [ownerId])).get(ownerId)!;
  await replaceOrderedKeyValues(db, table, ownerId, { ...current, ...entries });
}

/**
 * A list's metadata filter: for each item, that the listed row (`rowId`, such as `volumes.id`) has that
 * key with that value in `table`.
 */
export function hasMetadataItems(
  eb: AnyEb,
  table: 'volume_metadata' | 'snapshot_metadata',
  rowId: string,
  metadata: Record<string, string>,
): Expression<SqlBool>[] {
  const items = Object.entries(metadata).map(([key, value]) =>
    eb.exists(
      eb
        .selectFrom(`${table} as m`)
        .select(sql.lit(1).as('one'))
        .whereRef(`m.${OWNER_COLUMNS[table]}`, '=', rowId)
        .where('m.key', '=', key)
        .where('m.value', '=', value),
    ),
  );
  return items.length > 0 ? [balancedAnd(eb, items)] : [];
}

/**
 * `a and b and ...` as a balanced tree: SQLite parses a flat chain of N terms N deep, and refuses a tree
 * deeper than 1000 (a filter of many metadata items was a 500); balanced, the depth is log2(N).
 */
function balancedAnd(eb: AnyEb, items: Expression<SqlBool>[]): Expression<SqlBool> {
  if (items.length <= 8) return items.length === 1 ? items[0] : eb.and(items);
  const half = Math.ceil(items.length / 2);
  return eb.and([balancedAnd(eb, items.slice(0, half)), balancedAnd(eb, items.slice(half))]);
}

/** The metadata operations on one ordered table, bound to it (services/metadata-service.ts MetadataTable takes them). */
export function orderedMetadata(table: OrderedTable) {
  return {
    metadataFor: (db: Db, ids: readonly string[]) => keyValuesOf(db, table, ids),
    replace: (db: Db, ownerId: string, metadata: Record<string, string>) => replaceOrderedKeyValues(db, table, ownerId, metadata),
    merge: (db: Db, ownerId: string, metadata: Record<string, string>) => mergeOrderedKeyValues(db, table, ownerId, metadata),
    deleteKey: (db: Db, ownerId: string, key: string) => deleteKeyValue(db, table, ownerId, key),
  };
}

/** Deletes one key of `ownerId`; false when it has no such key. */
export async function deleteKeyValue(db: Db, table: KeyValueTable, ownerId: string, key: string): Promise<boolean> {
  const res = await looseDb(db).deleteFrom(table).where(OWNER_COLUMNS[table], '=', ownerId).where('key', '=', key).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
