/*
 * The producer side of the operations queue, shared by every service: enqueue inside the caller's
 * transaction (so the operation exists exactly when the status change does), then `notify` after the
 * commit to wake an in-process worker at once. Workers in other processes find the row by polling.
 */
import type { RequestContext } from '../context';
import type { Db } from '../db/store';
import { enqueueOperation } from '../db/queries/operations';
import { nowIso } from '../db/time';
import type { OperationKind } from './operations';

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
    return enqueueOperation(trx, { kind: op.kind, resource_type: op.resourceType, resource_id: op.resourceId, payload: op.payload, request_id: ctx.requestId }, nowIso());
  }

  /** Call after the transaction that enqueued has committed. */
  notify(): void {
    for (const l of this.listeners) l();
  }
}
