/*
 * Data access for QoS specs (qos_specs, their keys in qos_spec_keys) and their association with volume
 * types (volume_types.qos_specs_id). A deleted QoS specs row stays, marked deleted; its keys go.
 * Column names reach SQL only from the fixed sets below.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db } from '../store';
import type { QosSpecsRow } from '../admin-schema';
import type { Database, VolumeTypeRow } from '../schema';
import { inChunks, keyValuesOf, upsertKeyValues } from './key-values';
import { SortableTable, type SortKey } from './keyset';
import { insertNewRow } from './soft-delete';

/** Columns a QoS specs list may be sorted by. */
export const QOS_SORT_COLUMNS = ['id', 'name', 'consumer', 'created_at', 'updated_at'] as const;
export type QosColumn = (typeof QOS_SORT_COLUMNS)[number];

/** Columns a QoS specs list may be filtered on (Cinder: id, name, consumer), exact match. */
export const QOS_FILTER_COLUMNS = ['id', 'name', 'consumer'] as const;

export interface QosFilter {
  column: (typeof QOS_FILTER_COLUMNS)[number];
  value: string;
}

export interface QosListQuery {
  filters: QosFilter[];
  /** A filter that can match nothing (an unknown key): the list is empty. */
  matchesNothing: boolean;
  sort: SortKey<QosColumn>[];
  marker?: QosSpecsRow;
  limit: number;
  offset: number;
}

type Eb = ExpressionBuilder<Database, 'qos_specs'>;

const SORTABLE = new SortableTable('qos_specs', new Set(['updated_at']));

function where(eb: Eb, q: QosListQuery): Expression<SqlBool> {
  const parts: Expression<SqlBool>[] = [eb('qos_specs.deleted', '=', 0)];
  if (q.matchesNothing) parts.push(sql<SqlBool>`1 = 0`);
  for (const f of q.filters) parts.push(eb(`qos_specs.${f.column}`, '=', f.value));
  if (q.marker) parts.push(SORTABLE.after(eb, q.sort, q.marker));
  return eb.and(parts);
}

export async function listQosSpecs(db: Db, q: QosListQuery): Promise<QosSpecsRow[]> {
  let query = db
    .selectFrom('qos_specs')
    .selectAll()
    .where((eb) => where(eb, q));
  for (const key of q.sort) query = query.orderBy((eb) => SORTABLE.column(eb, key.column), key.dir);
  return query.limit(q.limit).offset(q.offset).execute();
}

export async function getQosSpecs(db: Db, id: string): Promise<QosSpecsRow | undefined> {
  return db.selectFrom('qos_specs').selectAll().where('id', '=', id).where('deleted', '=', 0).executeTakeFirst();
}

export async function getQosSpecsByName(db: Db, name: string): Promise<QosSpecsRow | undefined> {
  return db.selectFrom('qos_specs').selectAll().where('name', '=', name).where('deleted', '=', 0).executeTakeFirst();
}

export async function insertQosSpecs(db: Db, row: Omit<QosSpecsRow, 'deleted' | 'deleted_at' | 'updated_at'>): Promise<void> {
  await insertNewRow(db, 'qos_specs', row);
}

export async function updateQosSpecs(db: Db, id: string, changes: Partial<Pick<QosSpecsRow, 'consumer' | 'updated_at'>>): Promise<void> {
  await db.updateTable('qos_specs').set(changes).where('id', '=', id).where('deleted', '=', 0).execute();
}

export async function markQosSpecsDeleted(db: Db, id: string, at: string): Promise<void> {
  await db.deleteFrom('qos_spec_keys').where('qos_specs_id', '=', id).execute();
  await db.updateTable('qos_specs').set({ deleted: 1, deleted_at: at }).where('id', '=', id).execute();
}

/** The keys of each QoS specs, in key order; `{}` for ids without keys. */
export async function keysFor(db: Db, ids: readonly string[]): Promise<Map<string, Record<string, string | null>>> {
  return keyValuesOf(db, 'qos_spec_keys', ids);
}

export async function setKeys(db: Db, id: string, specs: Record<string, string | null>): Promise<void> {
  await upsertKeyValues(db, 'qos_spec_keys', id, specs);
}

export async function deleteKeys(db: Db, id: string, keys: readonly string[]): Promise<void> {
  for (const chunk of inChunks(keys, 1)) {
    await db.deleteFrom('qos_spec_keys').where('qos_specs_id', '=', id).where('key', 'in', chunk).execute();
  }
}

/** The live volume types associated with a QoS specs, oldest first. */
export async function typesOf(db: Db, qosId: string): Promise<VolumeTypeRow[]> {
  return db.selectFrom('volume_types').selectAll().where('qos_specs_id', '=', qosId).where('deleted', '=', 0).orderBy('created_at').orderBy('id').execute();
}

export async function associate(db: Db, typeId: string, qosId: string, at: string): Promise<void> {
  await db.updateTable('volume_types').set({ qos_specs_id: qosId, updated_at: at }).where('id', '=', typeId).where('deleted', '=', 0).execute();
}

/** Clears the association of one type, when it is with `qosId`. */
export async function disassociate(db: Db, typeId: string, qosId: string, at: string): Promise<void> {
  await db.updateTable('volume_types').set({ qos_specs_id: null, updated_at: at }).where('id', '=', typeId).where('qos_specs_id', '=', qosId).execute();
}

export async function disassociateAll(db: Db, qosId: string, at: string): Promise<void> {
  await db.updateTable('volume_types').set({ qos_specs_id: null, updated_at: at }).where('qos_specs_id', '=', qosId).execute();
}

/** The QoS specs a volume type (deleted ones too: a volume keeps its type) is associated with. */
export async function qosSpecsIdOfType(db: Db, typeId: string): Promise<string | null> {
  const row = await db.selectFrom('volume_types').select('qos_specs_id').where('id', '=', typeId).executeTakeFirst();
  return row?.qos_specs_id ?? null;
}
