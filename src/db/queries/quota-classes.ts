/*
 * Data access for quota classes (cinder/db/api.py quota_class_*): named sets of limits, one row per
 * (class, resource). The class `default` holds the defaults every project starts from (services/quota-service.ts).
 */
import type { Db } from '../store';

/** The limits a class sets, by resource (an unknown class sets none). */
export async function classLimits(db: Db, className: string): Promise<Map<string, number>> {
  const rows = await db.selectFrom('quota_classes').select(['resource', 'hard_limit']).where('class_name', '=', className).execute();
  return new Map(rows.map((r) => [r.resource, r.hard_limit]));
}

/** Creates or changes one limit of a class. */
export async function setClassLimit(db: Db, className: string, resource: string, limit: number): Promise<void> {
  await db
    .insertInto('quota_classes')
    .values({ class_name: className, resource, hard_limit: limit })
    .onConflict((oc) => oc.columns(['class_name', 'resource']).doUpdateSet({ hard_limit: limit }))
    .execute();
}
