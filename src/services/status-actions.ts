/*
 * The status actions snapshots and backups share: DELETE with os-force_delete, and os-reset_status
 * (cinder/api/contrib/admin_actions.py). Each is one transaction on a row the caller can see. As
 * MetadataService does for metadata, each resource describes its table once (StatusTable).
 */
import type { RequestContext } from '../context';
import type { Db, Store } from '../db/store';
import { nowIso } from '../db/time';
import { requireVisible, type ListSource } from './list-pipeline';
import type { NewOperation, OperationQueue } from './operation-queue';
import { requireAdmin } from './volume-type-service';

/** One resource with a status, as db/queries and the worker contract give it. */
export interface StatusTable<Row> {
  /** The resource: visibility and its 404. */
  source: Pick<ListSource<Row, unknown>, 'find' | 'projectOf' | 'notFound'>;
  /** The guarded update: true if the row changed. */
  update(db: Db, id: string, changes: { status: string; updated_at: string }, fromStatuses?: readonly string[]): Promise<boolean>;
  /** The statuses a DELETE without force starts from, and the error for a row in another. */
  deletableFrom: readonly string[];
  notDeletable(): Error;
  /** Throws when the row may not be deleted at all, forced or not (a backup with incrementals). */
  refuseDelete?(db: Db, id: string): Promise<void>;
  /** The worker's delete operation. */
  deleteOperation: Pick<NewOperation, 'kind' | 'resourceType'>;
}

export class StatusActions<Row> {
  constructor(
    private readonly store: Store,
    private readonly queue: OperationQueue,
    private readonly table: StatusTable<Row>,
  ) {}

  /** DELETE (from `deletableFrom`) or, with `force`, os-force_delete (admin, any status): `deleting` and the delete operation. */
  async delete(ctx: RequestContext, id: string, force: boolean): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(this.table.source, ctx, id, trx);
      if (force) requireAdmin(ctx);
      await this.table.refuseDelete?.(trx, id);
      if (!(await this.table.update(trx, id, { status: 'deleting', updated_at: nowIso() }, force ? undefined : this.table.deletableFrom))) {
        throw this.table.notDeletable();
      }
      await this.queue.enqueue(trx, ctx, { ...this.table.deleteOperation, resourceId: id });
    });
    this.queue.notify();
  }

  /** os-reset_status (admin): `status` from any status; it writes the store only, as Cinder's does. */
  async resetStatus(ctx: RequestContext, id: string, status: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(this.table.source, ctx, id, trx);
      requireAdmin(ctx);
      await this.table.update(trx, id, { status, updated_at: nowIso() });
    });
  }
}
