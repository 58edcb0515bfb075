/* Data access for per-project quota limits and usage counters. */
import type { Db } from '../store';

export async function projectLimits(db: Db, projectId: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('quotas').select(['resource', 'hard_limit']).where('project_id', '=', projectId).execute();
  return new Map(rows.map((r) => [r.resource, r.hard_limit]));
}

export async function setProjectLimit(db: Db, projectId: string, resource: string, limit: number): Promise<void> {
  await db
    .insertInto('quotas')
    .values({ project_id: projectId, resource, hard_limit: limit })
    .onConflict((oc) => oc.columns(['project_id', 'resource']).doUpdateSet({ hard_limit: limit }))
    .execute();
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
  await db
    .insertInto('quota_usages')
    .values({ project_id: projectId, resource, in_use: Math.max(delta, 0), reserved: 0 })
    .onConflict((oc) =>
      oc.columns(['project_id', 'resource']).doUpdateSet((eb) => ({
        in_use: eb.fn('max', [eb(eb.ref('quota_usages.in_use'), '+', delta), eb.lit(0)]),
      })),
    )
    .execute();
}
