/*
 * The producer side of the operations queue, shared by every service: enqueue inside the caller's
 * transaction (so the operation exists exactly when the status change does), then `notify` after the
 * commit to wake an in-process worker at once. Workers in other processes find the row by polling.
 *
 * Several hosts (issue 8): every operation records which worker may run it (`targetOf`). Work on
 * existing storage goes to the worker host that owns it, the volume's `host` (`host@backend#pool`),
 * because only that host has the backing file: delete, extend, retype, revert, restore into a volume,
 * snapshots (a snapshot lives beside its volume) and backups of a volume; a clone or a volume from a
 * snapshot goes to the source's host. A create from nothing is untargeted: any worker may place it,
 * or only workers of one backend when the volume type names one (`volume_backend_name`, as in Cinder).
 * Backup deletes and imports are untargeted too: backup storage (`backup.path`) must be shared by the
 * hosts (docs/scaling.md).
 */
import type { RequestContext } from '../context';
import type { Db } from '../db/store';
import { enqueueOperation } from '../db/queries/operations';
import { backendOfVolumeType, backupSourceHost, snapshotHost, volumeHost } from '../db/queries/resource-lookups';
import { nowIso } from '../db/time';
import type { OperationKind } from './operation-payloads';

export interface NewOperation {
  kind: OperationKind;
  resourceType: 'volume' | 'snapshot' | 'attachment' | 'backup';
  resourceId: string;
  payload?: unknown;
}

export class OperationQueue {
  private readonly listeners: (() => void)[] = [];

  /** Registers a callback run after each commit that enqueued work (the in-process worker's wake). */
  onEnqueue(listener: () => void): void {
    this.listeners.push(listener);
  }

  async enqueue(trx: Db, ctx: RequestContext, op: NewOperation): Promise<string> {
    const target = await targetOf(trx, op);
    return enqueueOperation(
      trx,
      {
        kind: op.kind,
        resource_type: op.resourceType,
        resource_id: op.resourceId,
        payload: op.payload,
        request_id: ctx.requestId,
        host: target.host,
        backend: target.backend,
      },
      nowIso(),
    );
  }

  /** Call after the transaction that enqueued has committed. */
  notify(): void {
    for (const l of this.listeners) l();
  }
}

interface Target {
  host: string | null;
  backend: string | null;
}

const ANY: Target = { host: null, backend: null };

/** The worker that must run `op` (see the note at the top); read in the enqueuing transaction. */
async function targetOf(db: Db, op: NewOperation): Promise<Target> {
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
      return { host: null, backend: await backendOfVolumeType(db, op.resourceId) };
    }
    default:
      return ANY;
  }
}
