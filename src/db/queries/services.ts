/*
 * Data access for the services table (the heartbeats of every process, cinder/db/api.py service_*),
 * clusters (3.7), what a host holds (os-hosts, pool capacities) and the requeue of a service's operations
 * (workers cleanup). Host filters match as Cinder's `_filter_host` does: `host` also matches `host@...` and
 * `host#...`, `host@backend` also `host@backend#...`, and a value with `#` only itself.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import type { Db } from '../store';
import type { Database } from '../schema';
import type { ClusterRow, ServiceRow } from '../admin-schema';
import { looseDb } from './keyset';

export type ServiceBinary = 'cinder-scheduler' | 'cinder-volume' | 'cinder-backup';

/** Cinder's match levels of a host value: the level follows from the value unless given. */
export type HostMatchLevel = 'host' | 'backend' | 'pool';

function levelOf(value: string): HostMatchLevel {
  return value.includes('#') ? 'pool' : value.includes('@') ? 'backend' : 'host';
}

/** `column` names `value` at its level (exact prefix comparison: case-sensitive, no LIKE wildcards). */
export function hostMatches(column: Expression<string | null>, value: string, level: HostMatchLevel = levelOf(value)): Expression<SqlBool> {
  const startsWith = (prefix: string) => sql<SqlBool>`substr(${column}, 1, ${prefix.length}) = ${prefix}`;
  const conditions = [sql<SqlBool>`${column} = ${value}`];
  if (level !== 'pool') conditions.push(startsWith(`${value}#`));
  if (level === 'host') conditions.push(startsWith(`${value}@`));
  return sql<SqlBool>`(${sql.join(conditions, sql` or `)})`;
}

export interface ServiceFilter {
  id?: number;
  host?: string;
  binary?: string;
  clusterName?: string;
  /** The host or the cluster name matches (capabilities, set-log `server`). */
  hostOrCluster?: string;
  disabled?: boolean;
  /** Only the volume topic's rows with this `topic` (os-hosts). */
  topic?: string;
}

function serviceConditions(eb: ExpressionBuilder<Database, 'services'>, f: ServiceFilter): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = [];
  if (f.id !== undefined) out.push(eb('id', '=', f.id));
  if (f.host !== undefined) out.push(hostMatches(eb.ref('host'), f.host));
  if (f.binary !== undefined) out.push(eb('binary', '=', f.binary));
  if (f.topic !== undefined) out.push(eb('topic', '=', f.topic));
  if (f.clusterName !== undefined) out.push(hostMatches(eb.ref('cluster_name'), f.clusterName));
  if (f.hostOrCluster !== undefined) out.push(eb.or([hostMatches(eb.ref('host'), f.hostOrCluster), hostMatches(eb.ref('cluster_name'), f.hostOrCluster)]));
  if (f.disabled !== undefined) out.push(eb('disabled', '=', f.disabled ? 1 : 0));
  return out;
}

/** Services matching `f`, in id order (the order they first reported in). */
export async function listServices(db: Db, f: ServiceFilter = {}): Promise<ServiceRow[]> {
  return db
    .selectFrom('services')
    .selectAll()
    .where((eb) => eb.and(serviceConditions(eb, f)))
    .orderBy('id')
    .execute();
}

export async function getService(db: Db, host: string, binary: string): Promise<ServiceRow | undefined> {
  return db.selectFrom('services').selectAll().where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
}

/** One heartbeat: what a process says about one of its services. */
export interface Heartbeat {
  host: string;
  binary: ServiceBinary;
  availabilityZone: string;
  clusterName: string | null;
  /** JSON of the backend capabilities (cinder-volume), else null. */
  capabilities: string | null;
  /** JSON of the log levels the process runs with. */
  reportedLogLevels: string;
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(String(e?.message ?? ''));
}

/**
 * Records a heartbeat: report_count + 1 and updated_at = now on the (host, binary) row, created at the
 * first one with the next free id. Returns the row as it is after the beat (its desired log level and
 * disabled flag are what the process acts on).
 */
export async function recordHeartbeat(db: Db, beat: Heartbeat, now: string): Promise<ServiceRow> {
  const reported = {
    availability_zone: beat.availabilityZone,
    cluster_name: beat.clusterName,
    capabilities: beat.capabilities,
    reported_log_levels: beat.reportedLogLevels,
    updated_at: now,
  };
  for (let attempt = 0; ; attempt++) {
    const res = await db
      .updateTable('services')
      .set((eb) => ({ ...reported, report_count: eb(eb.ref('report_count'), '+', 1) }))
      .where('host', '=', beat.host)
      .where('binary', '=', beat.binary)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) > 0) return (await getService(db, beat.host, beat.binary))!;
    try {
      // Two processes may insert at once: (host, binary) makes one of them do nothing, and the unique
      // id makes a concurrent insert of another row fail, to be tried again with the next id.
      await db
        .insertInto('services')
        .values({
          id: sql<number>`(select coalesce(max(id), 0) + 1 from services)`,
          host: beat.host,
          binary: beat.binary,
          topic: beat.binary,
          ...reported,
          report_count: 0,
          created_at: now,
          modified_at: null,
          log_level: null,
          disabled_reason: null,
        })
        .onConflict((oc) => oc.columns(['host', 'binary']).doNothing())
        .execute();
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= 5) throw err;
    }
  }
}

export type ServiceChanges = Partial<Pick<ServiceRow, 'disabled' | 'disabled_reason' | 'frozen' | 'log_level' | 'modified_at'>>;

/** Changes one service row, guarded by `expect` (e.g. frozen = 0 for a freeze); false when no row changed. */
export async function updateService(db: Db, id: number, changes: ServiceChanges, expect: Partial<Pick<ServiceRow, 'frozen'>> = {}): Promise<boolean> {
  let q = db.updateTable('services').set(changes).where('id', '=', id);
  if (expect.frozen !== undefined) q = q.where('frozen', '=', expect.frozen);
  const res = await q.executeTakeFirst();
  return Number(res.numUpdatedRows) > 0;
}

// --- clusters ------------------------------------------------------------------------------------------

/** Creates the cluster of a reporting member if it does not exist yet. */
export async function ensureCluster(db: Db, name: string, binary: string, now: string): Promise<void> {
  if (await getCluster(db, name, binary)) return;
  for (let attempt = 0; ; attempt++) {
    try {
      await db
        .insertInto('clusters')
        .values({ id: sql<number>`(select coalesce(max(id), 0) + 1 from clusters)`, name, binary, disabled_reason: null, created_at: now, updated_at: null })
        .onConflict((oc) => oc.columns(['name', 'binary']).doNothing())
        .execute();
      return;
    } catch (err) {
      if (!isUniqueViolation(err) || attempt >= 5) throw err;
    }
  }
}

export async function listClusters(db: Db, f: { binary?: string; disabled?: boolean } = {}): Promise<ClusterRow[]> {
  let q = db.selectFrom('clusters').selectAll().orderBy('id');
  if (f.binary !== undefined) q = q.where('binary', '=', f.binary);
  if (f.disabled !== undefined) q = q.where('disabled', '=', f.disabled ? 1 : 0);
  return q.execute();
}

export async function getCluster(db: Db, name: string, binary: string): Promise<ClusterRow | undefined> {
  return db.selectFrom('clusters').selectAll().where('name', '=', name).where('binary', '=', binary).executeTakeFirst();
}

export async function updateCluster(db: Db, id: number, changes: Partial<Pick<ClusterRow, 'disabled' | 'disabled_reason' | 'updated_at'>>): Promise<void> {
  await db.updateTable('clusters').set(changes).where('id', '=', id).execute();
}

// --- what a host holds -----------------------------------------------------------------------------------

export interface HostUsage {
  projectId: string;
  count: number;
  gigabytes: number;
}

/** Live volumes placed on `host` (`host@backend` matches its pools too), per project. */
export async function volumeUsageOnHost(db: Db, host: string): Promise<HostUsage[]> {
  return usageOnHost(db, 'volumes', host);
}

/** Live snapshots of the volumes on `host`, per project. */
export async function snapshotUsageOnHost(db: Db, host: string): Promise<HostUsage[]> {
  return usageOnHost(db, 'snapshots', host);
}

/** Live rows of `table` on `host`, per project: a volume where it is placed, a snapshot where its volume is. */
async function usageOnHost(db: Db, table: 'volumes' | 'snapshots', host: string): Promise<HostUsage[]> {
  let from = looseDb(db).selectFrom(table as string);
  if (table === 'snapshots') from = from.innerJoin('volumes', 'volumes.id', 'snapshots.volume_id');
  const rows: { project_id: string; n: number | string; gb: number | string | null }[] = await from
    .select((eb) => [eb.ref(`${table}.project_id`).as('project_id'), eb.fn.countAll<number>().as('n'), eb.fn.sum<number>(`${table}.size`).as('gb')])
    .where(`${table}.deleted`, '=', 0)
    .where((eb) => hostMatches(eb.ref('volumes.host'), host, levelOf(host) === 'pool' ? 'pool' : 'backend'))
    .groupBy(`${table}.project_id`)
    .orderBy(`${table}.project_id`)
    .execute();
  return rows.map((r) => ({ projectId: r.project_id, count: Number(r.n), gigabytes: Number(r.gb ?? 0) }));
}

// --- workers cleanup -------------------------------------------------------------------------------------

/** The running operations of one worker service (see ServiceRegistry.cleanup for who they are). */
export interface ServiceOperations {
  /** The host name part: lease owners of this service are `<ownerHost>/pid/random`. */
  ownerHost: string;
  /** Operations targeted at this host string (`host@backend`: its pools). */
  targetHost: string | null;
  /** Untargeted operations for this backend name (and, if `anyBackend`, for no backend in particular). */
  backend: string | null;
  anyBackend: boolean;
  /** Only these resource types (cinder-backup: backups). */
  resourceTypes?: readonly string[];
}

/** Running operations on one resource (of one type, lower case: `volume`, `snapshot`). */
export async function countRunningOperationsOf(db: Db, resourceId: string, resourceType?: string): Promise<number> {
  let q = db
    .selectFrom('operations')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', '=', 'running')
    .where('resource_id', '=', resourceId);
  if (resourceType) q = q.where('resource_type', '=', resourceType);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/**
 * Puts the running operations of a service back to `pending` (owner and lease cleared): the next worker
 * that serves them claims them at once. With `expiredBefore`, only those whose lease ran out by then;
 * with `resource`, only that resource's. Returns how many were requeued.
 */
export async function requeueServiceOperations(
  db: Db,
  s: ServiceOperations,
  now: string,
  only: { expiredBefore?: string; resource?: { id: string; type?: string } } = {},
): Promise<number> {
  const { expiredBefore, resource } = only;
  const res = await db
    .updateTable('operations')
    .set({ state: 'pending', owner: null, lease_expires_at: null, updated_at: now })
    .where('state', '=', 'running')
    .where((eb) => sql<SqlBool>`substr(${eb.ref('owner')}, 1, ${s.ownerHost.length + 1}) = ${`${s.ownerHost}/`}`)
    .where((eb) => {
      const mine: Expression<SqlBool>[] = [];
      if (s.targetHost) mine.push(hostMatches(eb.ref('host'), s.targetHost));
      const untargeted: Expression<SqlBool>[] = [];
      if (s.backend) untargeted.push(eb('backend', '=', s.backend));
      if (s.anyBackend) untargeted.push(eb('backend', 'is', null));
      if (untargeted.length) mine.push(eb.and([eb('host', 'is', null), eb.or(untargeted)]));
      const conditions = [mine.length ? eb.or(mine) : sql<SqlBool>`1 = 0`];
      if (s.resourceTypes) conditions.push(eb('resource_type', 'in', [...s.resourceTypes]));
      if (expiredBefore) conditions.push(eb('lease_expires_at', '<', expiredBefore));
      if (resource) conditions.push(eb('resource_id', '=', resource.id));
      if (resource?.type) conditions.push(eb('resource_type', '=', resource.type));
      return eb.and(conditions);
    })
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

// --- volume-api-manage service remove (issue 18) ---

/** Removes a service row (`cinder-manage service remove`); false when there is none. */
export async function deleteService(db: Db, host: string, binary: string): Promise<boolean> {
  const res = await db.deleteFrom('services').where('host', '=', host).where('binary', '=', binary).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
