/*
 * Operator actions on the durable queue (issue 18, `volume-api-manage operation retry|cancel`). Each is
 * one transaction with guarded updates, like the worker's own finishing (worker-loop.ts): the operation
 * row and the resource's status change together or not at all.
 *
 * - retry: a failed operation goes back to `pending` (attempts reset) and its resource from the error
 *   status the handler's `markFailed` gave it back to the transitional status a worker expects
 *   (REQUEUE below, the reverse of each markFailed). Kinds whose failure undid the request itself (extend
 *   and retype gave their quota back and restored the status; a failed backup released its source
 *   volume) are not retried here: the user asks again through the API.
 * - cancel: a queued operation no worker has taken yet ends as failed, and its handler's `markFailed`
 *   runs as on a last failed attempt: the resource to its error status (or back to its previous stable
 *   status, for retype), quota given back where the failure gives it back.
 */
import type { OperationRow } from '../db/schema';
import type { Db, Store } from '../db/store';
import { cancelPendingOperation, getOperation, requeueFailedOperation } from '../db/queries/operations';
import { getBackup, updateBackup } from '../db/queries/backups';
import { getSnapshot, snapshotsOfVolume, updateSnapshot } from '../db/queries/snapshots';
import { getVolume, updateVolume } from '../db/queries/volumes';
import { nowIso } from '../db/time';
import type { OperationKind, RestoreBackupPayload, RevertVolumePayload } from '../services/operation-payloads';
import { OPERATION_HANDLERS } from './operations';
import { payloadOf, type OperationContext } from './operations/types';

/** An operator action that cannot be done: the message says why; nothing was changed. */
export class OperationAdminError extends Error {
  override name = 'OperationAdminError';
}

/** A guarded status change: which row, from which statuses to which. */
interface Move {
  what: string;
  update: (db: Db, id: string, changes: { status: string; updated_at: string }, from: readonly string[]) => Promise<boolean>;
  current: (db: Db, id: string) => Promise<{ status: string } | undefined>;
  id: string;
  from: readonly string[];
  to: string;
}

const volume = (id: string, from: readonly string[], to: string): Move => ({ what: `volume ${id}`, update: updateVolume, current: getVolume, id, from, to });
const snapshot = (id: string, from: readonly string[], to: string): Move => ({
  what: `snapshot ${id}`,
  update: updateSnapshot,
  current: getSnapshot,
  id,
  from,
  to,
});
const backup = (id: string, from: readonly string[], to: string): Move => ({ what: `backup ${id}`, update: updateBackup, current: getBackup, id, from, to });

/** Per kind, the status moves that undo its markFailed (see there), in order; absent: not retryable. */
const REQUEUE: Partial<Record<OperationKind, (db: Db, op: OperationRow) => Promise<Move[]>>> = {
  create_volume: async (_db, op) => [volume(op.resource_id, ['error'], 'creating')],
  create_snapshot: async (_db, op) => [snapshot(op.resource_id, ['error'], 'creating')],
  delete_volume: async (db, op) => [
    volume(op.resource_id, ['error_deleting'], 'deleting'),
    // markFailed moved its deleting snapshots to error_deleting; only those go back.
    ...(await snapshotsOfVolume(db, op.resource_id)).filter((s) => s.status === 'error_deleting').map((s) => snapshot(s.id, ['error_deleting'], 'deleting')),
  ],
  delete_snapshot: async (_db, op) => [snapshot(op.resource_id, ['error_deleting'], 'deleting')],
  revert_volume: async (_db, op) => [
    volume(op.resource_id, ['error'], 'reverting'),
    snapshot(payloadOf<RevertVolumePayload>(op).snapshot_id, ['available'], 'restoring'),
  ],
  delete_backup: async (_db, op) => [backup(op.resource_id, ['error_deleting'], 'deleting')],
  import_backup: async (_db, op) => [backup(op.resource_id, ['error'], 'creating')],
  restore_backup: async (db, op) => {
    // Into an existing volume (error_restoring) or into a new one (error, from creating).
    const target = await getVolume(db, op.resource_id);
    return [
      target?.status === 'error' ? volume(op.resource_id, ['error'], 'creating') : volume(op.resource_id, ['error_restoring'], 'restoring-backup'),
      backup(payloadOf<RestoreBackupPayload>(op).backup_id, ['available'], 'restoring'),
    ];
  },
};

const NOT_RETRYABLE =
  'its failure already undid the request (quota given back, status restored or source released): repeat the request through the API instead';

async function operationOrFail(db: Db, id: string): Promise<OperationRow> {
  const op = await getOperation(db, id);
  if (!op) throw new OperationAdminError(`no operation ${id}`);
  return op;
}

/** Failed -> pending, the resource back to its transitional status; the operation as it is now. */
export async function retryOperation(store: Store, id: string): Promise<OperationRow> {
  await store.transaction(async (trx) => {
    const op = await operationOrFail(trx, id);
    if (op.state !== 'failed') throw new OperationAdminError(`operation ${id} is ${op.state}: only a failed operation can be retried`);
    const moves = REQUEUE[op.kind as OperationKind];
    if (!moves) throw new OperationAdminError(`operation ${id} (${op.kind}) cannot be retried: ${NOT_RETRYABLE}`);
    const now = nowIso();
    if (!(await requeueFailedOperation(trx, id, now))) throw new OperationAdminError(`operation ${id} changed meanwhile; look again`);
    for (const m of await moves(trx, op)) {
      if (!(await m.update(trx, m.id, { status: m.to, updated_at: now }, m.from))) {
        const row = await m.current(trx, m.id);
        // Throwing rolls the whole transaction back: nothing changed.
        throw new OperationAdminError(
          `operation ${id} not retried: ${m.what} is ${row ? row.status : 'gone'}, not ${m.from.join(' or ')} (reset its status first, e.g. cinder reset-state)`,
        );
      }
    }
  });
  return operationOrFail(store.db, id);
}

/** Pending -> failed (`cancelled by an operator`), the resource as its handler's markFailed leaves it. */
export async function cancelOperation(ctx: OperationContext, id: string): Promise<OperationRow> {
  await ctx.store.transaction(async (trx) => {
    const op = await operationOrFail(trx, id);
    if (op.state !== 'pending') {
      throw new OperationAdminError(`operation ${id} is ${op.state}: only a queued (pending) operation can be cancelled`);
    }
    const handler = OPERATION_HANDLERS[op.kind as OperationKind];
    if (!(await cancelPendingOperation(trx, id, nowIso(), 'cancelled by an operator'))) {
      throw new OperationAdminError(`operation ${id} was claimed by a worker meanwhile: it is not cancelled`);
    }
    if (handler) await handler.markFailed(ctx, trx, op, 'cancelled by an operator');
  });
  return operationOrFail(ctx.store.db, id);
}
