/*
 * The producer side of the operations queue, shared by every service: enqueue inside the caller's
 * transaction (so the operation exists exactly when the status change does), then `notify` after the
 * commit to wake an in-process worker at once. Workers in other processes find the row by polling.
 *
 * Several hosts (issue 8): every operation records which worker may run it (`targetOf`). Work on
 * existing storage goes to the worker host that owns it, the volume's `host` (`host@backend#pool`),
 * because only that host has the backing file: delete, extend, retype, revert, restore into a volume,
 * snapshots (a snapshot lives beside its volume) and backups of a volume; a clone or a volume from a
 * snapshot goes to the source's host. A create from nothing is placed by the scheduler (scheduler.ts,
 * issue 15): untargeted when every backend that could claim it qualifies (only workers of one backend when
 * the volume type names one, `volume_backend_name`), else targeted at the best qualifying pool; when no
 * backend qualifies the volume goes to `error` with Cinder's user message in the same transaction.
 * Backup deletes and imports are untargeted too: backup storage (`backup.path`) must be shared by the
 * hosts (docs/scaling.md).
 */
import type { RequestContext } from '../context';
import type { Db } from '../db/store';
import { enqueueOperation } from '../db/queries/operations';
import { backupSourceHost, snapshotHost, volumeHost } from '../db/queries/resource-lookups';
import { getVolume, updateVolume } from '../db/queries/volumes';
import { getGroup, getGroupSnapshot, groupHost, updateGroup, volumeTypesOfGroups } from '../db/queries/groups';
import { nowIso } from '../db/time';
import type { OperationKind } from './operation-payloads';
import { NoValidBackendError, type Scheduler } from './scheduler';
import { ACTIONS, DETAILS, recordMessage } from './user-messages';

export interface NewOperation {
  kind: OperationKind;
  resourceType: 'volume' | 'snapshot' | 'attachment' | 'backup' | 'group' | 'group_snapshot';
  resourceId: string;
  payload?: unknown;
}

interface Target {
  host: string | null;
  backend: string | null;
}

const ANY: Target = { host: null, backend: null };

export class OperationQueue {
  private readonly listeners: (() => void)[] = [];

  constructor(private readonly scheduler: Scheduler) {}

  /** Registers a callback run after each commit that enqueued work (the in-process worker's wake). */
  onEnqueue(listener: () => void): void {
    this.listeners.push(listener);
  }

  async enqueue(trx: Db, ctx: RequestContext, op: NewOperation): Promise<string> {
    const target = await this.targetOf(trx, op);
    const row = {
      kind: op.kind,
      resource_type: op.resourceType,
      resource_id: op.resourceId,
      payload: op.payload,
      request_id: ctx.requestId,
    };
    if (target === 'no-valid-backend') return op.resourceType === 'group' ? this.refuseGroup(trx, row) : this.refuseVolume(trx, ctx, row);
    return enqueueOperation(trx, { ...row, host: target.host, backend: target.backend }, nowIso());
  }

  /**
   * No backend can take the new volume: it goes from `creating` to `error` with the scheduler's user
   * message (VOLUME_VOLUME_001_003), and its operation is recorded failed, so no worker ever runs it.
   */
  private async refuseVolume(trx: Db, ctx: RequestContext, row: Parameters<typeof enqueueOperation>[1]): Promise<string> {
    const now = nowIso();
    const id = await enqueueOperation(trx, { ...row, failed: new NoValidBackendError().message }, now);
    await updateVolume(trx, row.resource_id, { status: 'error', updated_at: now }, ['creating']);
    await recordMessage(trx, {
      projectId: ctx.projectId,
      requestId: ctx.requestId,
      resourceType: 'VOLUME',
      resourceId: row.resource_id,
      action: ACTIONS.SCHEDULE_ALLOCATE_VOLUME,
      detail: DETAILS.NO_BACKEND_AVAILABLE,
    });
    return id;
  }

  /** No backend can take the new group: it goes to `error` (Cinder's scheduler does the same), its operation recorded failed. */
  private async refuseGroup(trx: Db, row: Parameters<typeof enqueueOperation>[1]): Promise<string> {
    const id = await enqueueOperation(trx, { ...row, failed: new NoValidBackendError().message }, nowIso());
    await updateGroup(trx, row.resource_id, { status: 'error', updated_at: nowIso() }, ['creating']);
    return id;
  }

  /**
   * Where a new group goes (issue 16): where a volume of its first volume type would go. The group's
   * volumes are then created on the group's host (`targetOf`), so this is the one place the group's
   * placement is chosen.
   */
  async placeGroup(db: Db, groupId: string): Promise<Target | 'no-valid-backend'> {
    const group = await getGroup(db, groupId);
    const [firstType] = (await volumeTypesOfGroups(db, [groupId])).get(groupId) ?? [];
    if (!group || !firstType) return ANY;
    return this.scheduler.placeNewVolume(db, { volume_type_id: firstType, availability_zone: group.availability_zone, size: 0 });
  }

  /** Call after the transaction that enqueued has committed. */
  notify(): void {
    for (const l of this.listeners) l();
  }

  /** The worker that must run `op` (see the note at the top); read in the enqueuing transaction. */
  private async targetOf(db: Db, op: NewOperation): Promise<Target | 'no-valid-backend'> {
    const payload = (op.payload ?? {}) as { source_volid?: string; snapshot_id?: string };
    switch (op.resourceType) {
      case 'snapshot':
        return { host: await snapshotHost(db, op.resourceId), backend: null };
      case 'backup': {
        if (op.kind !== 'create_backup') return ANY;
        return { host: await backupSourceHost(db, op.resourceId), backend: null };
      }
      case 'volume': {
        const own = await volumeHost(db, op.resourceId);
        if (own) return { host: own, backend: null };
        if (op.kind !== 'create_volume') return ANY;
        const source = (await volumeHost(db, payload.source_volid)) ?? (await snapshotHost(db, payload.snapshot_id));
        if (source) return { host: source, backend: null };
        const volume = await getVolume(db, op.resourceId);
        // A volume created into a group goes to the group's host (issue 16).
        const ofGroup = await groupHost(db, volume?.group_id);
        if (ofGroup) return { host: ofGroup, backend: null };
        return volume ? this.scheduler.placeNewVolume(db, volume) : ANY;
      }
      // --- generic volume groups (issue 16): a group's work runs where the group is ---
      case 'group': {
        const own = await groupHost(db, op.resourceId);
        if (own) return { host: own, backend: null };
        return op.kind === 'create_group' ? this.placeGroup(db, op.resourceId) : ANY;
      }
      case 'group_snapshot':
        return { host: await groupHost(db, (await getGroupSnapshot(db, op.resourceId))?.group_id), backend: null };
      default:
        return ANY;
    }
  }
}
