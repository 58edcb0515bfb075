/*
 * What every operation handler gets and provides. One handler per operation kind.
 *
 * The worker loop owns the transactions: a handler's `execute` does the (idempotent) storage work
 * outside any transaction; then the loop opens one transaction that marks the operation row succeeded
 * (guarded by its lease owner) and calls `complete` to move the resource to its final status. On the
 * last failed attempt the loop's transaction marks the row failed, calls `markFailed` (error status) and
 * records a user message. So status, operation row and message always change together.
 */
import type { Store, Db } from '../../db/store';
import type { OperationRow } from '../../db/schema';
import type { Logger } from '../../log';
import type { BackendSet, VolumeBackend } from '../backends';
import type { BackupDriver } from '../backup-drivers';
import type { QuotaService } from '../../services/quota-service';
import type { MessageAction } from '../../services/user-messages';

export interface OperationContext {
  store: Store;
  backend: VolumeBackend;
  /** Backup storage (config `backup`); absent in a worker built without one. */
  backupDriver?: BackupDriver;
  quota: QuotaService;
  log: Logger;
  /** The worker identity that holds the operation's lease. */
  owner: string;
  /** Stamps used for the finishing transaction. */
  now(): string;
  /** The host string recorded on volumes this worker places (`os-vol-host-attr:host`). */
  host: string;
  /** Where migrations between hosts stage their copies (`<backup.path>/migrations`: shared by the hosts). */
  stagingDir?: string;
  /** Every backend of this host (issue 16), when the worker runs from a BackendSet. */
  backends?: BackendSet;
  /** This worker's pool as the scheduler sees it (what the heartbeat publishes). */
  poolCapabilities(): Promise<Record<string, unknown>>;
}

export interface OperationHandler<Result = unknown> {
  /** What a user message says the failed operation was (Cinder's message_field Action). */
  readonly action: MessageAction;
  /** The storage work. Idempotent: a retry after a crash halfway through must finish the job. */
  execute(ctx: OperationContext, op: OperationRow): Promise<Result>;
  /** Inside the finishing transaction: the resource's final status. */
  complete(ctx: OperationContext, trx: Db, op: OperationRow, result: Result): Promise<void>;
  /** Inside the failing transaction: the resource's error status. */
  markFailed(ctx: OperationContext, trx: Db, op: OperationRow, error: string): Promise<void>;
  /** After the finishing commit (cleanup that must not hold the write lock). */
  afterComplete?(ctx: OperationContext, op: OperationRow, result: Result): Promise<void>;
}

export function backupDriverOf(ctx: OperationContext): BackupDriver {
  if (!ctx.backupDriver) throw new Error('no backup driver configured');
  return ctx.backupDriver;
}

export function payloadOf<T>(op: OperationRow): T {
  return JSON.parse(op.payload) as T;
}

/**
 * A resource row of the operation if it is still in one of `statuses`. Undefined when it is gone or was
 * moved on meanwhile (reset by an admin, force-deleted): the operation then leaves it as it is.
 */
export async function loadIfStatus<Row extends { status: string }>(
  find: (db: Db, id: string) => Promise<Row | undefined>,
  db: Db,
  id: string,
  ...statuses: string[]
): Promise<Row | undefined> {
  const row = await find(db, id);
  return row && statuses.includes(row.status) ? row : undefined;
}

/** What a create's storage work made: the new file's location (null: nothing to do), and whether `complete` recorded it. */
export interface Placed {
  location: string | null;
  placed?: boolean;
}

/** Thrown when the finishing transaction finds the lease gone: another worker owns the operation now. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}
