/*
 * Data access for per-project quota limits and usage counters.
 *
 * Checking quota is read usage, compare with the limit, add: it is only safe if nobody else changes the
 * project's usage in between. On SQLite the transaction's write lock (BEGIN IMMEDIATE) guarantees that.
 * On PostgreSQL (READ COMMITTED, issue 8) every transaction that reads usage to decide, or changes it,
 * first locks the project's usage rows (`lockProjectUsage`): the rows it needs are created if missing
 * (INSERT ... ON CONFLICT DO NOTHING, so there is a row to lock even for a project's first volume), then
 * all of the project's rows are locked with SELECT ... FOR UPDATE in resource order. A second request
 * for the same project waits there until the first commits, then reads the new usage. One order for
 * every locker means two quota transactions cannot deadlock each other; a deadlock with other row locks
 * (a transfer moving quota between two projects) is broken by PostgreSQL and retried by the store.
 */
import type { Transaction } from 'kysely';
import type { Db } from '../store';
import type { Database } from '../schema';
import { isPostgres } from '../postgres';
import { looseDb } from './keyset';

/** Projects whose usage rows a transaction already holds (one lock per project per transaction). */
const lockedProjects = new WeakMap<Transaction<Database>, Set<string>>();

/**
 * Locks `projectId`'s usage rows until the transaction ends, creating the rows of `resources` first.
 * A no-op on SQLite (the write lock covers it) and outside a transaction (read-only callers).
 */
export async function lockProjectUsage(db: Db, projectId: string, resources: readonly string[]): Promise<void> {
  if (!db.isTransaction || !isPostgres(db)) return;
  const trx = db as Transaction<Database>;
  const held = lockedProjects.get(trx) ?? new Set<string>();
  lockedProjects.set(trx, held);
  const missing = [...new Set(resources)].sort();
  if (missing.length > 0) {
    await trx
      .insertInto('quota_usages')
      .values(missing.map((resource) => ({ project_id: projectId, resource, in_use: 0, reserved: 0 })))
      .onConflict((oc) => oc.columns(['project_id', 'resource']).doNothing())
      .execute();
  }
  if (held.has(projectId)) return;
  await trx.selectFrom('quota_usages').select('resource').where('project_id', '=', projectId).orderBy('resource').forUpdate().execute();
  held.add(projectId);
}

/** The tables of limits, one row per (owner, resource), and their owner column: a project's own, a quota class's. */
const LIMIT_OWNERS = { quotas: 'project_id', quota_classes: 'class_name' } as const;

/** The limits `owner` sets in `table`, by resource (none for an owner without rows). */
export async function limitsOf(db: Db, table: keyof typeof LIMIT_OWNERS, owner: string): Promise<Map<string, number>> {
  const rows: { resource: string; hard_limit: number }[] = await looseDb(db)
    .selectFrom(table)
    .select(['resource', 'hard_limit'])
    .where(LIMIT_OWNERS[table], '=', owner)
    .execute();
  return new Map(rows.map((r) => [r.resource, r.hard_limit]));
}

/** Creates or changes one limit of `owner` in `table`. */
export async function setLimitOf(db: Db, table: keyof typeof LIMIT_OWNERS, owner: string, resource: string, limit: number): Promise<void> {
  const ownerColumn = LIMIT_OWNERS[table];
  await looseDb(db)
    .insertInto(table)
    .values({ [ownerColumn]: owner, resource, hard_limit: limit })
    .onConflict((oc) => oc.columns([ownerColumn, 'resource']).doUpdateSet({ hard_limit: limit }))
    .execute();
}

export async function projectLimits(db: Db, projectId: string): Promise<Map<string, number>> {
  return limitsOf(db, 'quotas', projectId);
}

export async function setProjectLimit(db: Db, projectId: string, resource: string, limit: number): Promise<void> {
  await setLimitOf(db, 'quotas', projectId, resource, limit);
}

export async function deleteProjectLimits(db: Db, projectId: string): Promise<void> {
  await db.deleteFrom('quotas').where('project_id', '=', projectId).execute();
}

export async function projectUsage(db: Db, projectId: string): Promise<Map<string, { in_use: number; reserved: number }>> {
  const rows = await db.selectFrom('quota_usages').select(['resource', 'in_use', 'reserved']).where('project_id', '=', projectId).execute();
  return new Map(rows.map((r) => [r.resource, { in_use: r.in_use, reserved: r.reserved }]));
}

/** Adds `delta` (may be negative) to a usage counter, creating it at 0 first; never below 0. */
export async function addUsage(db: Db, projectId: string, resource: string, delta: number): Promise<void> {
  await lockProjectUsage(db, projectId, []);
  await db
    .insertInto('quota_usages')
    .values({ project_id: projectId, resource, in_use: Math.max(delta, 0), reserved: 0 })
    .onConflict((oc) =>
      oc.columns(['project_id', 'resource']).doUpdateSet((eb) => {
        const sum = eb(eb.ref('quota_usages.in_use'), '+', delta);
        // CASE rather than max()/greatest(): the same SQL on SQLite and PostgreSQL.
        return { in_use: eb.case().when(sum, '<', 0).then(0).else(sum).end() };
      }),
    )
    .execute();
}
