/*
 * Data access for quota classes (cinder/db/api.py quota_class_*): named sets of limits, one row per
 * (class, resource), kept as a project's own limits are (quotas.ts). The class `default` holds the
 * defaults every project starts from (services/quota-service.ts).
 */
import type { Db } from '../store';
import { limitsOf, setLimitOf } from './quotas';

/** The limits a class sets, by resource (an unknown class sets none). */
export async function classLimits(db: Db, className: string): Promise<Map<string, number>> {
  return limitsOf(db, 'quota_classes', className);
}

/** Creates or changes one limit of a class. */
export async function setClassLimit(db: Db, className: string, resource: string, limit: number): Promise<void> {
  await setLimitOf(db, 'quota_classes', className, resource, limit);
}
