/*
 * The finishing half that create_volume and create_snapshot share, once `execute` has made the new file
 * (a `Placed` result): the row moves from `creating` to `available` with the file's location, or to
 * `error` on the last failed attempt, each guarded, so a row reset or deleted meanwhile keeps the status
 * it was given; and a file made for a row deleted meanwhile is removed after the commit.
 */
import type { Db } from '../../db/store';
import type { OperationContext, OperationHandler, Placed } from './types';

/** What the finishing half needs of the created resource. */
export interface CreatedResource<Changes> {
  find(db: Db, id: string): Promise<object | undefined>;
  /** The guarded update of db/queries: true if the row changed. */
  update(db: Db, id: string, changes: Changes | { status: string; updated_at: string }, fromStatuses: readonly string[]): Promise<boolean>;
  /** The row's columns once its file is at `location`. */
  available(ctx: OperationContext, location: string): Changes;
  /** Removes the file made for the row `id`. */
  removeFile(ctx: OperationContext, id: string): Promise<void>;
}

export function finishCreate<Changes>(resource: CreatedResource<Changes>): Pick<OperationHandler<Placed>, 'complete' | 'markFailed' | 'afterComplete'> {
  return {
    async complete(ctx, trx, op, result) {
      if (result.location === null) return;
      result.placed = await resource.update(trx, op.resource_id, resource.available(ctx, result.location), ['creating']);
    },

    async markFailed(ctx, trx, op) {
      await resource.update(trx, op.resource_id, { status: 'error', updated_at: ctx.now() }, ['creating']);
    },

    async afterComplete(ctx, op, result) {
      if (result.location !== null && !result.placed && !(await resource.find(ctx.store.db, op.resource_id))) {
        await resource.removeFile(ctx, op.resource_id);
      }
    },
  };
}
