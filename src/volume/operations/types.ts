/* What every operation handler gets and provides. One handler per operation kind. */
import type { Store } from '../../db/store';
import type { OperationRow } from '../../db/schema';
import type { Logger } from '../../log';
import type { VolumeBackend } from '../backends';
import type { QuotaService } from '../quota';

export interface OperationContext {
  store: Store;
  backend: VolumeBackend;
  quota: QuotaService;
  log: Logger;
  /** The worker identity that holds the operation's lease. */
  owner: string;
  /** Stamps used for the finishing transaction. */
  now(): string;
  /** The host string recorded on volumes this worker places (`os-vol-host-attr:host`). */
  host: string;
}

export interface OperationHandler {
  /** Does the storage work, then finishes the operation and the resource status in one transaction. */
  run(ctx: OperationContext, op: OperationRow): Promise<void>;
  /** Gives up after the last attempt: operation failed, resource to its error status, one transaction. */
  fail(ctx: OperationContext, op: OperationRow, error: string): Promise<void>;
}

/** Thrown when the finishing transaction finds the lease gone: another worker owns the operation now. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}
