/*
 * QoS specs (cinder/volume/qos_specs.py, cinder/api/contrib/qos_specs_manage.py): named sets of limits
 * with a consumer (`back-end`, `front-end` or `both`), associated with volume types (a type has at most
 * one). Every operation is admin-only (cinder/policies/qos_specs.py). Specs consumed by the front end
 * reach the host in connection_info.data.qos_specs (`connectionQosSpecs`).
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import type { QosSpecsRow } from '../db/admin-schema';
import * as qq from '../db/queries/qos-specs';
import { getType } from '../db/queries/volume-types';
import { nowIso } from '../db/time';
import {
  BadRequestError,
  InvalidQosSpecsError,
  InvalidVolumeTypeError,
  QosSpecsExistsError,
  QosSpecsKeyNotFoundError,
  QosSpecsNotFoundError,
  VolumeTypeNotFoundError,
} from '../errors';
import { type ListInput, withTieBreak } from './list-pipeline';
import { requireAdmin } from './volume-type-service';

export type { QosColumn, QosFilter } from '../db/queries/qos-specs';
export { QOS_FILTER_COLUMNS, QOS_SORT_COLUMNS } from '../db/queries/qos-specs';

export type QosListInput = ListInput<qq.QosFilter, qq.QosColumn>;

/** Cinder's QoSConsumerValues; a QoS specs without one gets `back-end`. */
export const QOS_CONSUMERS = ['back-end', 'front-end', 'both'] as const;
const DEFAULT_CONSUMER = 'back-end';

/** The consumers whose limits the host applies, so connection_info carries them. */
const FRONT_END_CONSUMERS = ['front-end', 'both'];

export interface QosSpecsRecord {
  row: QosSpecsRow;
  /** The keys, `consumer` aside (a key may be null, as Cinder stores it). */
  specs: Record<string, string | null>;
}

export interface QosAssociation {
  association_type: 'volume_type';
  name: string;
  id: string;
}

/** `consumer` as given (null or absent: the default); 400 for a value that is not one. */
function consumerOf(value: string | null | undefined): string {
  if (value === undefined || value === null) return DEFAULT_CONSUMER;
  if (!(QOS_CONSUMERS as readonly string[]).includes(value)) {
    throw new InvalidQosSpecsError(`Valid consumer of QoS specs are: ${QOS_CONSUMERS.map((c) => `'${c}'`).join(', ')}`);
  }
  return value;
}

function withoutConsumer(specs: Record<string, string | null>): Record<string, string | null> {
  return Object.fromEntries(Object.entries(specs).filter(([k]) => k !== 'consumer'));
}

/** A volume-type id from the query of associate / disassociate; 400 when missing or empty. */
function requireTypeId(typeId: string | undefined): string {
  if (!typeId) throw new BadRequestError('Volume Type id must not be None.');
  return typeId;
}

export class QosSpecService {
  constructor(private readonly store: Store) {}

  private async records(db: Db, rows: QosSpecsRow[]): Promise<QosSpecsRecord[]> {
    const keys = await qq.keysFor(
      db,
      rows.map((r) => r.id),
    );
    return rows.map((row) => ({ row, specs: keys.get(row.id) ?? {} }));
  }

  private async requireSpecs(db: Db, id: string): Promise<QosSpecsRow> {
    const row = await qq.getQosSpecs(db, id);
    if (!row) throw new QosSpecsNotFoundError(id);
    return row;
  }

  /** Newest first by default (Cinder's created_at, id desc); a marker that is no QoS specs is 404. */
  async list(ctx: RequestContext, input: QosListInput): Promise<QosSpecsRecord[]> {
    requireAdmin(ctx);
    const db = this.store.db;
    const marker = input.marker !== undefined ? await this.requireSpecs(db, input.marker) : undefined;
    const rows = await qq.listQosSpecs(db, {
      filters: input.filters,
      matchesNothing: input.matchesNothing,
      sort: withTieBreak(input.sort),
      marker,
      limit: input.limit,
      offset: input.offset,
    });
    return this.records(db, rows);
  }

  async get(ctx: RequestContext, id: string): Promise<QosSpecsRecord> {
    requireAdmin(ctx);
    return (await this.records(this.store.db, [await this.requireSpecs(this.store.db, id)]))[0];
  }

  /** `specs` may hold `consumer`; the other keys are the limits. 409 for a name in use. */
  async create(ctx: RequestContext, input: { name: string; specs: Record<string, string | null> }): Promise<QosSpecsRecord> {
    requireAdmin(ctx);
    const consumer = consumerOf(input.specs.consumer);
    return this.store.transaction(async (trx) => {
      if (await qq.getQosSpecsByName(trx, input.name)) throw new QosSpecsExistsError(input.name);
      const id = randomUUID();
      await qq.insertQosSpecs(trx, { id, name: input.name, consumer, created_at: nowIso() });
      await qq.setKeys(trx, id, withoutConsumer(input.specs));
      return (await this.records(trx, [(await qq.getQosSpecs(trx, id))!]))[0];
    });
  }

  /** PUT /qos-specs/{id}: sets (adds or overwrites) keys; `consumer` changes the consumer. */
  async setKeys(ctx: RequestContext, id: string, specs: Record<string, string | null>): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await this.requireSpecs(trx, id);
      const consumer = 'consumer' in specs ? consumerOf(specs.consumer) : undefined;
      await qq.setKeys(trx, id, withoutConsumer(specs));
      await qq.updateQosSpecs(trx, id, { ...(consumer !== undefined ? { consumer } : {}), updated_at: nowIso() });
    });
  }

  /**
   * Removes keys. All or nothing: a key the specs do not have is 404 and nothing is removed (Cinder
   * removes the keys before the first missing one).
   */
  async deleteKeys(ctx: RequestContext, id: string, keys: readonly string[]): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await this.requireSpecs(trx, id);
      const have = (await qq.keysFor(trx, [id])).get(id) ?? {};
      const missing = keys.find((k) => !(k in have));
      if (missing !== undefined) throw new QosSpecsKeyNotFoundError(id, missing);
      await qq.deleteKeys(trx, id, keys);
      await qq.updateQosSpecs(trx, id, { updated_at: nowIso() });
    });
  }

  /** 400 while volume types are associated, unless `force` (which disassociates them first). */
  async delete(ctx: RequestContext, id: string, force: boolean): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await this.requireSpecs(trx, id);
      const now = nowIso();
      if ((await qq.typesOf(trx, id)).length > 0) {
        if (!force) throw new BadRequestError('Qos specs still in use.');
        await qq.disassociateAll(trx, id, now);
      }
      await qq.markQosSpecsDeleted(trx, id, now);
    });
  }

  async associations(ctx: RequestContext, id: string): Promise<QosAssociation[]> {
    requireAdmin(ctx);
    await this.requireSpecs(this.store.db, id);
    return (await qq.typesOf(this.store.db, id)).map((t) => ({ association_type: 'volume_type', name: t.name, id: t.id }));
  }

  /** A type has at most one QoS specs: 400 when it has another; associating again is a no-op. */
  async associate(ctx: RequestContext, id: string, typeId: string | undefined): Promise<void> {
    requireAdmin(ctx);
    const tid = requireTypeId(typeId);
    await this.store.transaction(async (trx) => {
      await this.requireSpecs(trx, id);
      const type = await getType(trx, tid);
      if (!type) throw new VolumeTypeNotFoundError(tid);
      if (type.qos_specs_id === id) return;
      if (type.qos_specs_id !== null && (await qq.getQosSpecs(trx, type.qos_specs_id))) {
        throw new InvalidVolumeTypeError(`Type ${tid} is already associated with another qos specs: ${type.qos_specs_id}`);
      }
      await qq.associate(trx, tid, id, nowIso());
    });
  }

  /** Clears the type's association when it is with these specs (else nothing changes). */
  async disassociate(ctx: RequestContext, id: string, typeId: string | undefined): Promise<void> {
    requireAdmin(ctx);
    const tid = requireTypeId(typeId);
    await this.store.transaction(async (trx) => {
      await this.requireSpecs(trx, id);
      if (!(await getType(trx, tid))) throw new VolumeTypeNotFoundError(tid);
      await qq.disassociate(trx, tid, id, nowIso());
    });
  }

  async disassociateAll(ctx: RequestContext, id: string): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await this.requireSpecs(trx, id);
      await qq.disassociateAll(trx, id, nowIso());
    });
  }
}

/** Limits Cinder scales with the volume size (`<limit>_per_gb`, floor `_per_gb_min`, cap `_max`). */
const PER_GB_LIMITS = ['read_iops_sec', 'read_bytes_sec', 'write_iops_sec', 'write_bytes_sec', 'total_iops_sec', 'total_bytes_sec'];

const INT_RE = /^\s*[-+]?\d+\s*$/;

/**
 * connection_info.data.qos_specs (cinder/volume/manager.py _parse_connection_options): the specs of the
 * volume type's QoS specs when their consumer is `front-end` or `both`, with per-GB limits turned into
 * absolute ones for this volume's size; else null.
 */
export async function connectionQosSpecs(db: Db, volume: { volume_type_id: string; size: number }): Promise<Record<string, unknown> | null> {
  const qosId = await qq.qosSpecsIdOfType(db, volume.volume_type_id);
  if (!qosId) return null;
  const qos = await qq.getQosSpecs(db, qosId);
  if (!qos || !FRONT_END_CONSUMERS.includes(qos.consumer)) return null;
  const specs: Record<string, unknown> = { ...((await qq.keysFor(db, [qos.id])).get(qos.id) ?? {}) };
  for (const option of PER_GB_LIMITS) {
    const perGb = specs[`${option}_per_gb`];
    // Cinder fails on a value that is not an integer; such a spec is passed on as it is.
    if (typeof perGb !== 'string' || !INT_RE.test(perGb)) continue;
    const min = specs[`${option}_per_gb_min`];
    const max = specs[`${option}_max`];
    if ((min !== undefined && (typeof min !== 'string' || !INT_RE.test(min))) || (max !== undefined && (typeof max !== 'string' || !INT_RE.test(max))))
      continue;
    const perGbValue = Math.max(min === undefined ? 0 : Number(min), Number(perGb) * volume.size);
    specs[option] = Math.min(perGbValue, max === undefined ? perGbValue : Number(max));
    delete specs[`${option}_per_gb`];
    delete specs[`${option}_per_gb_min`];
    delete specs[`${option}_max`];
  }
  return specs;
}
