/*
 * Quotas: limits (project overrides over configured defaults), usage counters, and the check-and-consume
 * step that runs inside the caller's transaction, right beside the insert or resize it pays for. On
 * SQLite that transaction holds the write lock (BEGIN IMMEDIATE); on PostgreSQL `usage()` and every
 * change lock the project's usage rows first (db/queries/quotas.ts). Either way concurrent creates in
 * several processes see each other's usage and can never exceed a limit together.
 *
 * Defaults (Cinder's get_defaults with use_default_quota_class): the quota class `default` where it sets
 * a resource, else config `quota` (per-type resources: -1). So config gives the initial defaults and a
 * PUT on os-quota-class-sets/default changes them for every project without overrides of its own.
 */
import type { Config } from '../config';
import type { Db, Store } from '../db/store';
import * as q from '../db/queries/quotas';
import * as qc from '../db/queries/quota-classes';
import { listTypes } from '../db/queries/volume-types';
import type { RequestContext } from '../context';
import { InvalidInputError, QuotaExceededError, BadRequestError } from '../errors';
import { requireAdmin } from './volume-type-service';

export const BASE_RESOURCES = ['volumes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes', 'groups', 'per_volume_gigabytes'] as const;
export const PER_TYPE_PREFIXES = ['volumes', 'gigabytes', 'snapshots'] as const;
/** The quota class whose limits are every project's defaults (Cinder's _DEFAULT_QUOTA_NAME). */
export const DEFAULT_QUOTA_CLASS = 'default';
/** Cinder checks a quota class name's length on update (validate_string_length, 1 to 255). */
const MAX_CLASS_NAME = 255;
/** Largest limit Cinder stores (constants.DB_MAX_INT). */
export const MAX_QUOTA_LIMIT = 2147483647;

export interface Usage {
  limit: number;
  in_use: number;
  reserved: number;
}

export class QuotaService {
  constructor(
    private readonly config: Config,
    private readonly store: Store,
  ) {}

  // --- the quota-set API (os-quota-sets, limits): each call reads or owns its transaction ---------

  /** A project's limits, or its usage with `withUsage` (GET os-quota-sets/{id}[?usage=true]). */
  async projectQuotas(projectId: string, withUsage: boolean): Promise<Record<string, number> | Record<string, Usage>> {
    return withUsage ? this.usage(this.store.db, projectId) : this.limits(this.store.db, projectId);
  }

  async projectUsage(projectId: string): Promise<Record<string, Usage>> {
    return this.usage(this.store.db, projectId);
  }

  async defaultQuotas(): Promise<Record<string, number>> {
    return this.defaults(this.store.db);
  }

  /** GET os-quota-class-sets/{name}: the class's limits, the defaults where it sets none (admin). */
  async classQuotas(ctx: RequestContext, className: string): Promise<Record<string, number>> {
    requireAdmin(ctx);
    return this.classLimits(this.store.db, className);
  }

  /**
   * PUT os-quota-class-sets/{name} (admin): the name has at most 255 characters, every key must be a
   * quota resource (400 "Bad key(s) in quota class set"), values are integers >= -1 (the schema checked
   * them). Unlike a project's quota set, usage is not compared. Returns the class's limits after it.
   */
  async updateClass(ctx: RequestContext, className: string, changes: Record<string, number>): Promise<Record<string, number>> {
    requireAdmin(ctx);
    if (className.length > MAX_CLASS_NAME) throw new InvalidInputError(`quota_class_name has ${className.length} characters, more than ${MAX_CLASS_NAME}.`);
    return this.store.transaction(async (trx) => {
      const known = await this.defaults(trx);
      const bad = Object.keys(changes).filter((k) => !(k in known));
      if (bad.length > 0) throw new InvalidInputError(`Bad key(s) in quota class set: ${bad.join(', ')}`);
      for (const [resource, limit] of Object.entries(changes)) await qc.setClassLimit(trx, className, resource, limit);
      return this.classLimits(trx, className);
    });
  }

  /** PUT os-quota-sets/{id}: validates and writes in one transaction; returns the limits after it. */
  async updateProject(projectId: string, changes: Record<string, unknown>): Promise<Record<string, number>> {
    return this.store.transaction((trx) => this.update(trx, projectId, changes));
  }

  /** DELETE os-quota-sets/{id}: the project's overrides go; its limits are the defaults again. */
  async resetProject(projectId: string): Promise<void> {
    await this.store.transaction((trx) => this.reset(trx, projectId));
  }

  // --- inside the caller's transaction ---------------------------------------------------------

  /**
   * Default limits of every resource (the base ones and the per-type ones of each volume type), sorted
   * as Cinder prints them: the `default` class's value, else the configured one (-1 per type).
   */
  async defaults(db: Db): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of BASE_RESOURCES) out[r] = this.config.quota[r];
    for (const t of await listTypes(db, undefined)) for (const p of PER_TYPE_PREFIXES) out[`${p}_${t.name}`] = -1;
    for (const [resource, limit] of await qc.classLimits(db, DEFAULT_QUOTA_CLASS)) if (resource in out) out[resource] = limit;
    return sortKeys(out);
  }

  /** A class's limits over the defaults (Cinder's get_class_quotas); rows of resources that no longer exist are ignored. */
  private async classLimits(db: Db, className: string): Promise<Record<string, number>> {
    const limits = await this.defaults(db);
    for (const [resource, limit] of await qc.classLimits(db, className)) if (resource in limits) limits[resource] = limit;
    return limits;
  }

  async limits(db: Db, projectId: string, defaults?: Record<string, number>): Promise<Record<string, number>> {
    const limits = { ...(defaults ?? (await this.defaults(db))) };
    for (const [resource, limit] of await q.projectLimits(db, projectId)) if (resource in limits) limits[resource] = limit;
    return limits;
  }

  async usage(db: Db, projectId: string): Promise<Record<string, Usage>> {
    const defaults = await this.defaults(db);
    // Inside a transaction, usage is read to decide a change: on PostgreSQL hold the project's usage
    // rows (and its limits with them) until the change commits (queries/quotas.ts). Nothing on SQLite.
    await q.lockProjectUsage(db, projectId, Object.keys(defaults));
    const limits = await this.limits(db, projectId, defaults);
    const used = await q.projectUsage(db, projectId);
    const out: Record<string, Usage> = {};
    for (const [resource, limit] of Object.entries(limits)) {
      const u = used.get(resource);
      out[resource] = { limit, in_use: u?.in_use ?? 0, reserved: u?.reserved ?? 0 };
    }
    return out;
  }

  /**
   * Checks and consumes quota for a new volume of `size` GB of type `typeName`. Must run inside the
   * transaction that inserts the volume. Throws 413 with Cinder's message on the first limit exceeded.
   */
  async consumeVolume(trx: Db, projectId: string, typeName: string, size: number): Promise<void> {
    const usage = await this.usage(trx, projectId);
    const perVolume = usage.per_volume_gigabytes.limit;
    if (perVolume >= 0 && size > perVolume) {
      throw new QuotaExceededError('VolumeSizeExceedsLimit', `Requested volume size ${size}G is larger than maximum allowed limit ${perVolume}G.`);
    }
    requireGigabytes(usage, typeName, size);
    for (const resource of ['volumes', `volumes_${typeName}`]) {
      const u = usage[resource];
      if (u && u.limit >= 0 && u.in_use + u.reserved + 1 > u.limit) {
        throw new QuotaExceededError('VolumeLimitExceeded', `Maximum number of volumes allowed (${u.limit}) exceeded for quota '${resource}'.`);
      }
    }
    await this.add(trx, projectId, typeName, 1, size);
  }

  /** Checks and consumes one `groups` (group create and create-from-src, in the insert's transaction). */
  async consumeGroup(trx: Db, projectId: string): Promise<void> {
    const u = (await this.usage(trx, projectId)).groups;
    if (u.limit >= 0 && u.in_use + u.reserved + 1 > u.limit) {
      throw new QuotaExceededError('GroupLimitExceeded', `Maximum number of groups allowed (${u.limit}) exceeded`);
    }
    await q.addUsage(trx, projectId, 'groups', 1);
  }

  /** Gives back the `groups` of a deleted group. */
  async releaseGroup(trx: Db, projectId: string): Promise<void> {
    await q.addUsage(trx, projectId, 'groups', -1);
  }

  /** Gives back what a volume consumed (after its deletion completes). */
  async releaseVolume(trx: Db, projectId: string, typeName: string, size: number): Promise<void> {
    await this.add(trx, projectId, typeName, -1, -size);
  }

  /**
   * Checks and consumes quota for a new snapshot of a volume of `size` GB and type `typeName`: +1
   * `snapshots` and +size `gigabytes` (and the per-type keys), as Cinder counts them. Must run inside
   * the transaction that inserts the snapshot. The checks follow Cinder's order (snapshots, gigabytes,
   * gigabytes_<type>, snapshots_<type>); the first one over gives 413.
   */
  async consumeSnapshot(trx: Db, projectId: string, typeName: string, size: number): Promise<void> {
    const usage = await this.usage(trx, projectId);
    const over = (resource: string, delta: number) => {
      const u = usage[resource];
      return u !== undefined && u.limit >= 0 && u.in_use + u.reserved + delta > u.limit ? u : undefined;
    };
    for (const resource of ['snapshots', 'gigabytes', `gigabytes_${typeName}`, `snapshots_${typeName}`]) {
      if (resource.startsWith('gigabytes')) {
        const u = over(resource, size);
        if (u) {
          throw new QuotaExceededError(
            'VolumeSizeExceedsAvailableQuota',
            `Requested volume or snapshot exceeds allowed ${resource} quota. Requested ${size}G, quota is ${u.limit}G and ${u.in_use + u.reserved}G has been consumed.`,
          );
        }
      } else {
        const u = over(resource, 1);
        if (u) throw new QuotaExceededError('SnapshotLimitExceeded', `Maximum number of snapshots allowed (${u.limit}) exceeded`);
      }
    }
    await this.addSnapshot(trx, projectId, typeName, 1, size);
  }

  /** Gives back what a snapshot consumed (when its deletion completes). */
  async releaseSnapshot(trx: Db, projectId: string, typeName: string, size: number): Promise<void> {
    await this.addSnapshot(trx, projectId, typeName, -1, -size);
  }

  private async addSnapshot(trx: Db, projectId: string, typeName: string, snapshots: number, gigabytes: number): Promise<void> {
    await q.addUsage(trx, projectId, 'snapshots', snapshots);
    await q.addUsage(trx, projectId, `snapshots_${typeName}`, snapshots);
    await q.addUsage(trx, projectId, 'gigabytes', gigabytes);
    await q.addUsage(trx, projectId, `gigabytes_${typeName}`, gigabytes);
  }

  private async add(trx: Db, projectId: string, typeName: string, volumes: number, gigabytes: number): Promise<void> {
    await q.addUsage(trx, projectId, 'volumes', volumes);
    await q.addUsage(trx, projectId, `volumes_${typeName}`, volumes);
    await q.addUsage(trx, projectId, 'gigabytes', gigabytes);
    await q.addUsage(trx, projectId, `gigabytes_${typeName}`, gigabytes);
  }

  /**
   * os-extend: checks `per_volume_gigabytes` against the new size, then `gigabytes` and
   * `gigabytes_<type>` against the increase (413 on the first one over), and consumes the increase.
   * Must run inside the transaction that moves the volume to `extending`.
   */
  async consumeExtend(trx: Db, projectId: string, typeName: string, oldSize: number, newSize: number): Promise<void> {
    const usage = await this.usage(trx, projectId);
    const perVolume = usage.per_volume_gigabytes.limit;
    if (perVolume >= 0 && newSize > perVolume) {
      throw new QuotaExceededError('VolumeSizeExceedsLimit', `Requested volume size ${newSize}G is larger than maximum allowed limit ${perVolume}G.`);
    }
    const increase = newSize - oldSize;
    requireGigabytes(usage, typeName, increase);
    await q.addUsage(trx, projectId, 'gigabytes', increase);
    await q.addUsage(trx, projectId, `gigabytes_${typeName}`, increase);
  }

  /** Gives back the increase of a failed extend. */
  async releaseExtend(trx: Db, projectId: string, typeName: string, increase: number): Promise<void> {
    await q.addUsage(trx, projectId, 'gigabytes', -increase);
    await q.addUsage(trx, projectId, `gigabytes_${typeName}`, -increase);
  }

  /**
   * os-retype: checks and consumes the per-type keys of the new type (`gigabytes_<type>`, then
   * `volumes_<type>`) for one volume of `size` GB. The old type's keys are given back when the retype
   * completes (`releaseVolumeType`), so during the retype the volume counts under both, like Cinder's
   * reservation.
   */
  async consumeVolumeType(trx: Db, projectId: string, typeName: string, size: number): Promise<void> {
    const usage = await this.usage(trx, projectId);
    const gb = usage[`gigabytes_${typeName}`];
    if (gb && gb.limit >= 0 && gb.in_use + gb.reserved + size > gb.limit) {
      throw new QuotaExceededError(
        'VolumeSizeExceedsAvailableQuota',
        `Requested volume or snapshot exceeds allowed gigabytes_${typeName} quota. Requested ${size}G, quota is ${gb.limit}G and ${gb.in_use + gb.reserved}G has been consumed.`,
      );
    }
    const vols = usage[`volumes_${typeName}`];
    if (vols && vols.limit >= 0 && vols.in_use + vols.reserved + 1 > vols.limit) {
      throw new QuotaExceededError('VolumeLimitExceeded', `Maximum number of volumes allowed (${vols.limit}) exceeded for quota 'volumes_${typeName}'.`);
    }
    await q.addUsage(trx, projectId, `volumes_${typeName}`, 1);
    await q.addUsage(trx, projectId, `gigabytes_${typeName}`, size);
  }

  /** Gives back the per-type keys of one volume of `size` GB of type `typeName`. */
  async releaseVolumeType(trx: Db, projectId: string, typeName: string, size: number): Promise<void> {
    await q.addUsage(trx, projectId, `volumes_${typeName}`, -1);
    await q.addUsage(trx, projectId, `gigabytes_${typeName}`, -size);
  }

  /** PUT os-quota-sets: validates every key and value first, then writes them all. */
  async update(trx: Db, projectId: string, changes: Record<string, unknown>): Promise<Record<string, number>> {
    const usage = await this.usage(trx, projectId);
    const bad = Object.keys(changes).filter((k) => !(k in usage));
    if (bad.length > 0) throw new InvalidInputError(`Bad key(s) in quota set: ${bad.join(', ')}`);
    const parsed: Record<string, number> = {};
    for (const [key, raw] of Object.entries(changes)) {
      const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new BadRequestError(
          `Invalid input for field/attribute ${key}. Value: ${JSON.stringify(raw)}. ${JSON.stringify(raw)} is not of type 'integer', 'string'`,
        );
      }
      if (value < -1 || value > MAX_QUOTA_LIMIT) {
        throw new InvalidInputError(`Quota limit ${value} for ${key} must be -1 or between 0 and ${MAX_QUOTA_LIMIT}.`);
      }
      const inUse = usage[key].in_use + usage[key].reserved;
      if (value !== -1 && key !== 'per_volume_gigabytes' && value < inUse) {
        throw new BadRequestError(
          `Quota ${key} limit must be equal or greater than existing resources. Current usage is ${inUse} and the requested limit is ${value}.`,
        );
      }
      parsed[key] = value;
    }
    for (const [key, value] of Object.entries(parsed)) await q.setProjectLimit(trx, projectId, key, value);
    return this.limits(trx, projectId);
  }

  async reset(trx: Db, projectId: string): Promise<void> {
    await q.deleteProjectLimits(trx, projectId);
  }
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** `gigabytes` and `gigabytes_<type>` must hold `amount` more (413 naming the first that cannot). */
function requireGigabytes(usage: Record<string, { limit: number; in_use: number; reserved: number } | undefined>, typeName: string, amount: number): void {
  for (const resource of ['gigabytes', `gigabytes_${typeName}`]) {
    const u = usage[resource];
    if (u && u.limit >= 0 && u.in_use + u.reserved + amount > u.limit) {
      throw new QuotaExceededError(
        'VolumeSizeExceedsAvailableQuota',
        `Requested volume or snapshot exceeds allowed ${resource} quota. Requested ${amount}G, quota is ${u.limit}G and ${u.in_use + u.reserved}G has been consumed.`,
      );
    }
  }
}
