/* Data access for the operations table, the durable work queue (see src/worker/worker-loop.ts). */
import { randomUUID } from 'node:crypto';
import { sql, type ExpressionBuilder } from 'kysely';
import type { Db } from '../store';
import type { Database, OperationRow } from '../schema';
import { isPostgres } from '../postgres';
import { nowIso } from '../time';

export type OperationState = 'pending' | 'running' | 'succeeded' | 'failed';

export async function enqueueOperation(
  db: Db,
  op: {
    kind: string;
    resource_type: string;
    resource_id: string;
    payload?: unknown;
    request_id?: string | null;
    host?: string | null;
    backend?: string | null;
    /** Recorded as failed at once with this error: no worker may run it (the scheduler found no backend). */
    failed?: string;
  },
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
      state: op.failed === undefined ? 'pending' : 'failed',
      owner: null,
      lease_expires_at: null,
      attempts: 0,
      payload: JSON.stringify(op.payload ?? {}),
      error: op.failed ?? null,
      created_at: now,
      updated_at: now,
      request_id: op.request_id ?? null,
      host: op.host ?? null,
      backend: op.backend ?? null,
    })
    .execute();
  return id;
}

/**
 * What a worker serves (issue 8, several hosts): operations targeted at its host string, and untargeted
 * ones for its backend or for any backend. Without it (tests, one-host tools) every operation matches.
 */
export interface WorkerScope {
  /** The worker's `host@backend#pool` string, as recorded in volumes.host. */
  host: string;
  /** The backend name in that string. */
  backend: string;
}

/**
 * The operations a worker with this scope may run; every operation when there is no scope. New work
 * (untargeted operations) is not for a worker whose service is disabled (issue 15, `PUT /os-services/disable`,
 * or its cluster disabled): cinder-volume `host@backend` for volumes, cinder-backup `host` for backups.
 * Work on storage it already holds (targeted at its host string) it still runs, as Cinder's disabled
 * services do.
 */
function servedBy(eb: ExpressionBuilder<Database, 'operations'>, scope: WorkerScope | undefined) {
  if (!scope) return eb('id', 'is not', null); // always true, on both engines
  const volumeService = scope.host.split('#')[0];
  const backupService = scope.host.split('@')[0];
  const disabled = eb.exists(
    eb
      .selectFrom('services')
      .select('services.id')
      .where((s) =>
        s.or([
          s.and([s('services.binary', '=', 'cinder-volume'), s('services.host', '=', volumeService), s(s.ref('operations.resource_type'), '!=', 'backup')]),
          s.and([s('services.binary', '=', 'cinder-backup'), s('services.host', '=', backupService), s(s.ref('operations.resource_type'), '=', 'backup')]),
        ]),
      )
      .where((s) =>
        s.or([
          s('services.disabled', '=', 1),
          s.exists(
            s
              .selectFrom('clusters')
              .select('clusters.id')
              .whereRef('clusters.name', '=', 'services.cluster_name')
              .whereRef('clusters.binary', '=', 'services.binary')
              .where('clusters.disabled', '=', 1),
          ),
        ]),
      ),
  );
  return eb.or([
    eb('host', '=', scope.host),
    eb.and([eb('host', 'is', null), eb.or([eb('backend', 'is', null), eb('backend', '=', scope.backend)]), eb.not(disabled)]),
  ]);
}

/** The oldest operation that is pending or whose lease ran out (its worker died), if any. */
export async function nextClaimable(db: Db, now: string, scope?: WorkerScope): Promise<OperationRow | undefined> {
  return db
    .selectFrom('operations')
    .selectAll()
    .where((eb) => eb.and([claimable(eb, now), servedBy(eb, scope)]))
    .orderBy('created_at')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Issue 19: what a claim charges. A run that ended on its own terms (a recorded failure, a stop that
 * handed the lease back) leaves no owner: the new run is an attempt. A row still owned ran out of lease
 * because its worker died (or hung): that run is refunded (the new one takes its place in `attempts`)
 * and counted in `interruptions` instead, so crashes unrelated to the operation do not fail it.
 */
const CHARGE_THIS_RUN = {
  attempts: sql<number>`attempts + case when owner is null then 1 else 0 end`,
  interruptions: sql<number>`interruptions + case when owner is null then 0 else 1 end`,
};

/** Pending, or running under a lease that ran out (its worker died). */
function claimable(eb: ExpressionBuilder<Database, 'operations'>, now: string) {
  return eb.or([eb('state', '=', 'pending'), eb.and([eb('state', '=', 'running'), eb('lease_expires_at', '<', now)])]);
}

/**
 * Claims the oldest claimable operation for `owner` within `scope` (the worker's host and backend; see
 * WorkerScope), or returns undefined when there is none. Another host's operations are never taken,
 * however long they wait: only their owner has the storage.
 *
 * PostgreSQL: one statement, `UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING *`.
 * Workers never wait for each other: a row another worker is claiming right now is skipped, so two
 * workers take two different operations in one round trip each. (The guarded UPDATE below would also be
 * correct on PostgreSQL, which re-checks its WHERE on the newest row version after waiting for the other
 * writer, but every worker would queue on the same oldest row and all but one would look again.)
 * SQLite: writers are serialized anyway; read a candidate, then the guarded claim, and look again if
 * another process took it in between.
 */
export async function claimNextOperation(db: Db, owner: string, now: string, leaseUntil: string, scope?: WorkerScope): Promise<OperationRow | undefined> {
  if (isPostgres(db)) {
    return db
      .updateTable('operations')
      .set({ state: 'running', owner, lease_expires_at: leaseUntil, ...CHARGE_THIS_RUN, updated_at: now })
      .where('id', '=', (eb) =>
        eb
          .selectFrom('operations')
          .select('id')
          .where((e) => e.and([claimable(e, now), servedBy(e, scope)]))
          .orderBy('created_at')
          .orderBy('id')
          .limit(1)
          .forUpdate()
          .skipLocked(),
      )
      .where((eb) => claimable(eb, now))
      .returningAll()
      .executeTakeFirst();
  }
  for (;;) {
    const candidate = await nextClaimable(db, now, scope);
    if (!candidate) return undefined;
    if (await claimOperation(db, candidate, owner, now, leaseUntil)) {
      const charged = candidate.owner === null;
      return {
        ...candidate,
        state: 'running',
        owner,
        lease_expires_at: leaseUntil,
        attempts: candidate.attempts + (charged ? 1 : 0),
        interruptions: candidate.interruptions + (charged ? 0 : 1),
        updated_at: now,
      };
    }
    // Another worker won this row: look again.
  }
}

/** Guarded claim: succeeds only if the row is still claimable, so two workers cannot both take it. */
export async function claimOperation(db: Db, op: OperationRow, owner: string, now: string, leaseUntil: string): Promise<boolean> {
  const res = await db
    .updateTable('operations')
    .set({ state: 'running', owner, lease_expires_at: leaseUntil, ...CHARGE_THIS_RUN, updated_at: now })
    .where('id', '=', op.id)
    .where('attempts', '=', op.attempts)
    .where('interruptions', '=', op.interruptions)
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
export async function finishOperation(
  db: Db,
  id: string,
  owner: string,
  state: 'succeeded' | 'failed',
  now: string,
  error: string | null = null,
): Promise<boolean> {
  const res = await db
    .updateTable('operations')
    .set({ state, error, lease_expires_at: null, updated_at: now })
    .where('id', '=', id)
    .where('owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** An attempt failed and will be retried: record why, and let the lease run out at `retryAt`. */
export async function recordAttemptFailure(db: Db, id: string, owner: string, error: string, retryAt: string): Promise<void> {
  // No owner: the run ended on its own terms (see CHARGE_THIS_RUN).
  await db.updateTable('operations').set({ error, owner: null, lease_expires_at: retryAt }).where('id', '=', id).where('owner', '=', owner).execute();
}

/**
 * A stopping worker gives the operation back (issue 19): claimable at once, and the run is not charged
 * (the next claim charges it again). Guarded by owner; false when the lease was lost already.
 */
export async function handBackOperation(db: Db, id: string, owner: string, now: string): Promise<boolean> {
  const res = await db
    .updateTable('operations')
    .set((eb) => ({ owner: null, lease_expires_at: nowIso(new Date(0)), attempts: eb(eb.ref('attempts'), '-', 1), updated_at: now }))
    .where('id', '=', id)
    .where('owner', '=', owner)
    .where('state', '=', 'running')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** Running operations and their lease owners (`host/pid/random`), for the reclaim at worker start. */
export async function runningOperationOwners(db: Db): Promise<{ id: string; owner: string | null }[]> {
  return db.selectFrom('operations').select(['id', 'owner']).where('state', '=', 'running').execute();
}

/** Ends a dead owner's lease now, so the next claim takes the operation (guarded by that owner). */
export async function expireLease(db: Db, id: string, owner: string, at: string): Promise<void> {
  await db.updateTable('operations').set({ lease_expires_at: at }).where('id', '=', id).where('owner', '=', owner).execute();
}

// --- health and metrics (issue 18) ---
/** Operations of one kind in one state, and the creation time of the oldest. */
export interface OperationCount {
  kind: string;
  state: string;
  n: number;
  oldest: string | null;
}

/** Operation counts by kind and state (`/healthcheck`'s queue age, the Prometheus operation gauges). */
export async function operationCountsByKindAndState(db: Db): Promise<OperationCount[]> {
  const rows = await db
    .selectFrom('operations')
    .select((eb) => ['kind', 'state', eb.fn.countAll<number>().as('n'), eb.fn.min('created_at').as('oldest')])
    .groupBy(['kind', 'state'])
    .execute();
  return rows.map((r) => ({ kind: r.kind, state: r.state, n: Number(r.n), oldest: (r.oldest as string | null) ?? null }));
}

/** Creation time of the oldest queued operation, or null (an index lookup: `/healthcheck` runs it often). */
export async function oldestQueuedCreatedAt(db: Db): Promise<string | null> {
  const row = await db.selectFrom('operations').select('created_at').where('state', '=', 'pending').orderBy('created_at').limit(1).executeTakeFirst();
  return row?.created_at ?? null;
}

// --- operator commands: volume-api-manage operation list|show|retry|cancel (issue 18) ---

/** Operations, newest first, optionally in one state. */
export async function listOperations(db: Db, f: { state?: OperationState; limit: number }): Promise<OperationRow[]> {
  let q = db.selectFrom('operations').selectAll().orderBy('created_at', 'desc').orderBy('id').limit(f.limit);
  if (f.state) q = q.where('state', '=', f.state);
  return q.execute();
}

export async function getOperation(db: Db, id: string): Promise<OperationRow | undefined> {
  return db.selectFrom('operations').selectAll().where('id', '=', id).executeTakeFirst();
}

/** A failed operation back to the queue with its attempts reset (guarded: only while failed). */
export async function requeueFailedOperation(db: Db, id: string, now: string): Promise<boolean> {
  const res = await db
    .updateTable('operations')
    .set({ state: 'pending', owner: null, lease_expires_at: null, attempts: 0, error: null, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'failed')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

/** A queued operation ended as failed with `error` before any worker took it (guarded: only while pending). */
export async function cancelPendingOperation(db: Db, id: string, now: string, error: string): Promise<boolean> {
  const res = await db
    .updateTable('operations')
    .set({ state: 'failed', error, updated_at: now })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}
