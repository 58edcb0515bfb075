/*
 * Volume transfers (cinder/transfer/api.py, cinder/db/sqlalchemy/api.py transfer_*): a project offers a
 * volume; another project accepts it with the one-time auth key. Create moves the volume to
 * `awaiting-transfer` (which every status guard elsewhere refuses); delete puts it back to `available`;
 * accept moves the volume (and, unless `no_snapshots`, its snapshots) and their quota usage from donor
 * to acceptor. Each of these is ONE transaction, so a failure (wrong key, acceptor over quota, wrong
 * status) leaves nothing half-moved.
 *
 * The key is 16 lower-case hex characters; only a random salt and the SHA-1 HMAC of the key are stored.
 */
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { RequestContext } from '../context';
import type { Store, Db } from '../db/store';
import type { TransferRow, VolumeRow } from '../db/schema';
import * as tq from '../db/queries/transfers';
import { addUsage } from '../db/queries/quotas';
import { snapshotsOfVolume, updateSnapshot } from '../db/queries/snapshots';
import { getVolume, updateVolume } from '../db/queries/volumes';
import { typeNameOf } from '../db/queries/volume-types';
import { nowIso } from '../db/time';
import { BadRequestError, GigabytesQuotaExceededError, InvalidSnapshotError, InvalidVolumeError, QuotaExceededError, TransferNotFoundError } from '../errors';
import type { QuotaService, Usage } from './quota-service';
import { LIST_SOURCES, listPage, requireVisible, type LIST_COLUMNS, type ListInput } from './list-pipeline';

/** Cinder's config `volume_transfer_key_length` default: 16 hex characters. */
export const TRANSFER_KEY_LENGTH = 16;
const SALT_LENGTH = 8;

/** A transfer as the views need it; `authKey` only right after create. */
export interface TransferRecord {
  row: TransferRow;
  authKey?: string;
}

export interface CreateTransferInput {
  volumeId: string;
  name?: string | null;
  noSnapshots: boolean;
  /** 3.70: encrypted volumes may be transferred (with their snapshots). */
  allowEncrypted: boolean;
}

/** A parsed transfer list query (src/api/list-query.ts); `project_id` arrives as a source_project_id filter. */
export type TransferListInput = ListInput<tq.TransferFilter, (typeof LIST_COLUMNS.transfers.sort)[number]>;

export function cryptHash(salt: string, key: string): string {
  return createHmac('sha1', salt).update(key, 'utf8').digest('hex');
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

/** 413 without the exception-name prefix, as Cinder words the gigabytes refusal of an accept. */
function gigabytesOverLimit(resource: string, requested: number, u: Usage): GigabytesQuotaExceededError {
  return new GigabytesQuotaExceededError(resource, requested, u.limit, u.in_use + u.reserved);
}

export class TransferService {
  constructor(
    private readonly store: Store,
    private readonly quota: QuotaService,
  ) {}

  async get(ctx: RequestContext, id: string): Promise<TransferRecord> {
    return { row: await requireVisible(LIST_SOURCES.transfers, ctx, id, this.store.db) };
  }

  /** POST /os-volume-transfer, /volume-transfers → 202 with the auth key. */
  async create(ctx: RequestContext, input: CreateTransferInput): Promise<TransferRecord> {
    const id = randomUUID();
    const authKey = randomBytes(TRANSFER_KEY_LENGTH / 2).toString('hex');
    const salt = randomBytes(SALT_LENGTH).toString('hex').slice(0, SALT_LENGTH);
    return this.store.transaction(async (trx) => {
      const volume = await requireVisible(LIST_SOURCES.volumes, ctx, input.volumeId, trx);
      if (volume.status !== 'available') throw new InvalidVolumeError('status must be available');
      if (volume.encrypted) {
        if (!input.allowEncrypted) throw new InvalidVolumeError('transferring encrypted volume is not supported');
        if (input.noSnapshots) throw new InvalidVolumeError('transferring an encrypted volume without its snapshots is not supported');
      }
      if (!input.noSnapshots) {
        for (const s of await snapshotsOfVolume(trx, volume.id)) {
          if (s.status !== 'available') throw new InvalidSnapshotError(`Snapshot: ${s.id} status must be available`);
        }
      }
      const now = nowIso();
      if (!(await updateVolume(trx, volume.id, { status: 'awaiting-transfer', updated_at: now }, ['available']))) {
        throw new InvalidVolumeError('status must be available');
      }
      await tq.insertTransfer(trx, {
        id,
        volume_id: volume.id,
        name: input.name ?? null,
        salt,
        crypt_hash: cryptHash(salt, authKey),
        source_project_id: volume.project_id,
        destination_project_id: null,
        accepted: 0,
        no_snapshots: input.noSnapshots ? 1 : 0,
        created_at: now,
        updated_at: null,
        deleted_at: null,
      });
      return { row: (await tq.getTransfer(trx, id))!, authKey };
    });
  }

  async list(ctx: RequestContext, input: TransferListInput): Promise<TransferRecord[]> {
    return (await listPage(this.store.db, ctx, input, LIST_SOURCES.transfers, {})).rows.map((row) => ({ row }));
  }

  /** DELETE → 202: the offer is withdrawn; an `awaiting-transfer` volume is `available` again. */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.transfers, ctx, id, trx);
      const now = nowIso();
      await tq.markTransferDeleted(trx, id, now);
      await updateVolume(trx, row.volume_id, { status: 'available', updated_at: now }, ['awaiting-transfer']);
    });
  }

  /**
   * POST .../{id}/accept → 202. Checks in Cinder's order: the transfer exists (any project may accept,
   * so no ownership check), the key, the acceptor's quota (per_volume_gigabytes, then volumes and
   * gigabytes with the per-type keys, then the snapshots unless `no_snapshots`), the volume's status.
   * Then, in the same transaction: volume and snapshots change owner, the quota usage moves, the
   * transfer is marked accepted and soft-deleted.
   */
  async accept(ctx: RequestContext, id: string, authKey: string): Promise<TransferRecord> {
    return this.store.transaction(async (trx) => {
      const transfer = await tq.getTransfer(trx, id);
      if (!transfer) throw new TransferNotFoundError(id);
      if (!sameHash(cryptHash(transfer.salt, authKey), transfer.crypt_hash)) {
        throw new BadRequestError(`Invalid auth key: Attempt to transfer ${id} with invalid auth key.`);
      }
      const volume = await getVolume(trx, transfer.volume_id);
      if (!volume) throw new TransferNotFoundError(id);
      const typeName = await typeNameOf(trx, volume.volume_type_id);
      const snapshots = transfer.no_snapshots ? [] : await snapshotsOfVolume(trx, volume.id);
      const quotaSnapshots = snapshots.filter((s) => s.consumes_quota);
      const snapshotGb = quotaSnapshots.reduce((sum, s) => sum + s.size, 0);
      const donor = volume.project_id;
      const acceptor = ctx.projectId;

      await this.checkAcceptorQuota(trx, acceptor, volume, typeName, quotaSnapshots.length, snapshotGb);

      if (volume.status === 'maintenance') throw new InvalidVolumeError('The volume cannot accept transfer in maintenance mode.');
      const now = nowIso();
      const moved = await updateVolume(trx, volume.id, { status: 'available', project_id: acceptor, user_id: ctx.userId, updated_at: now }, [
        'awaiting-transfer',
      ]);
      if (!moved) throw new InvalidVolumeError(`Volume ${volume.id} status must be awaiting-transfer, but current status is: ${volume.status}.`);
      for (const s of snapshots) await updateSnapshot(trx, s.id, { project_id: acceptor, user_id: ctx.userId, updated_at: now });

      // Quota moves with the volume: committed to the acceptor, released from the donor.
      if (volume.consumes_quota) await this.moveUsage(trx, donor, acceptor, { volumes: 1, gigabytes: volume.size }, typeName);
      if (quotaSnapshots.length > 0) await this.moveUsage(trx, donor, acceptor, { snapshots: quotaSnapshots.length, gigabytes: snapshotGb }, typeName);

      await tq.markTransferDeleted(trx, id, now, { accepted: 1, destination_project_id: acceptor });
      return { row: { ...transfer, accepted: 1, destination_project_id: acceptor } };
    });
  }

  /** Cinder's limit_check and the two reservations of an accept, with their 413 messages. */
  private async checkAcceptorQuota(trx: Db, projectId: string, volume: VolumeRow, typeName: string, snapshotCount: number, snapshotGb: number): Promise<void> {
    const usage = await this.quota.usage(trx, projectId);
    const perVolume = usage.per_volume_gigabytes.limit;
    if (perVolume >= 0 && volume.size > perVolume) {
      throw new QuotaExceededError('VolumeSizeExceedsLimit', `Requested volume size ${volume.size}G is larger than maximum allowed limit ${perVolume}G.`);
    }
    // The volume's reservation: volumes +1 and gigabytes + size, then the per-type keys.
    const volumeDeltas: [string, number][] = [
      ['volumes', 1],
      ['gigabytes', volume.size],
      [`volumes_${typeName}`, 1],
      [`gigabytes_${typeName}`, volume.size],
    ];
    for (const [resource, delta] of volumeDeltas) {
      const u = usage[resource];
      if (!u || u.limit < 0 || u.in_use + u.reserved + delta <= u.limit) continue;
      if (resource.startsWith('gigabytes')) throw gigabytesOverLimit(resource, volume.size, u);
      throw new QuotaExceededError('VolumeLimitExceeded', `Maximum number of volumes allowed (${u.limit}) exceeded for quota '${resource}'.`);
    }
    if (snapshotCount === 0) return;
    // The snapshots' reservation sees the volume's as consumed.
    for (const [resource, delta] of volumeDeltas) if (usage[resource]) usage[resource] = { ...usage[resource], reserved: usage[resource].reserved + delta };
    const snapshotDeltas: [string, number][] = [
      ['snapshots', snapshotCount],
      ['gigabytes', snapshotGb],
      [`snapshots_${typeName}`, snapshotCount],
      [`gigabytes_${typeName}`, snapshotGb],
    ];
    for (const [resource, delta] of snapshotDeltas) {
      const u = usage[resource];
      if (!u || u.limit < 0 || u.in_use + u.reserved + delta <= u.limit) continue;
      if (resource.startsWith('gigabytes')) throw gigabytesOverLimit(resource, snapshotGb, u);
      throw new QuotaExceededError('SnapshotLimitExceeded', `Maximum number of snapshots allowed (${u.limit}) exceeded`);
    }
  }

  private async moveUsage(trx: Db, from: string, to: string, deltas: Record<string, number>, typeName: string): Promise<void> {
    for (const [resource, delta] of Object.entries(deltas)) {
      for (const key of [resource, `${resource}_${typeName}`]) {
        await addUsage(trx, to, key, delta);
        await addUsage(trx, from, key, -delta);
      }
    }
  }
}
