/* Data access for the operations table, the durable work queue (see src/volume/worker-loop.ts). */
import { randomUUID } from 'node:crypto';
import type { Db } from '../store';
import type { OperationRow } from '../schema';

export type OperationState = 'pending' | 'running' | 'succeeded' | 'failed';

export async function enqueueOperation(
  db: Db,
  op: { kind: string; resource_type: string; resource_id: string; payload?: unknown; request_id?: string | null },
  now: string,
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('operations')
    .values({
      id,
      kind: op.kind,
      resource_type: op.resource_type,
      resource_id: op.resource_id,
      state: 'pending',
      owner: null,
      lease_expires_at: null,
      attempts: 0,
      payload: JSON.stringify(op.payload ?? {}),
      error: null,
      created_at: now,
      updated_at: now,
      request_id: op.request_id ?? null,
    })
    .execute();
  return id;
}

/** The oldest operation that is pending or whose lease ran out (its worker died), if any. */
export async function nextClaimable(db: Db, now: string): Promise<OperationRow | undefined> {
  return db
    .selectFrom('operations')
    .selectAll()
    .where((eb) => eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', now)])]))
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/** Guarded claim: succeeds only if the row is still claimable, so two workers cannot both take it. */
export async function claimOperation(db: Db, op: OperationRow, owner: string, now: string, leaseUntil: string): Promise<boolean> {
  const res = await db
    .updateTable('operations')
    .set({ state: 'running', owner, lease_expires_at: leaseUntil, attempts: op.attempts + 1, updated_at: now })
    .where('id', '=', op.id)
    .where('attempts', '=', op.attempts)
    .where((eb) => eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', now)])]))
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function renewLease(db: Db, id: string, owner: string, now: string, leaseUntil: string): Promise<boolean> {
  const res = await db
    .updateTable('operations')
    .set({ lease_expires_at: leaseUntil, updated_at: now })
    .where('id', '=', id)
    .where('owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Finishes an operation this owner still holds; false means the lease was lost to another worker. */
export async function finishOperation(db: Db, id: string, owner: string, state: 'succeeded' | 'failed', now: string, error: string | null = null): Promise<boolean> {
  const res = await db
    .updateTable('operations')
    .set({ state, error, lease_expires_at: null, updated_at: now })
    .where('id', '=', id)
    .where('owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

export async function getOperation(db: Db, id: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function countOpenOperations(db: Db): Promise<number> {
  const row = await db
    .selectFrom('operations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', 'in', ['pending', 'running'])
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
