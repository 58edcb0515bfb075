/*
 * The one list pipeline of every list service (volumes, snapshots, backups, transfers, attachments,
 * messages): project scope, sort with the created_at,id tie-break, the marker row and its 404, paging and
 * the count. The API parses the query string into a ListInput (src/api/list-query.ts); the SQL side of
 * sorting and keyset paging is db/queries/keyset.ts.
 *
 * It also names, per resource, the columns a list may sort or filter by (`LIST_COLUMNS`), so the API's
 * per-resource definitions read them from here and never from src/db.
 */
import type { RequestContext } from '../context';
import type { Db } from '../db/store';
import type { SortKey } from '../db/queries/keyset';
import { ATTACHMENT_SORT_COLUMNS } from '../db/queries/attachments';
import { BACKUP_FILTER_COLUMNS, BACKUP_SORT_COLUMNS } from '../db/queries/backups';
import { MESSAGE_SORT_COLUMNS } from '../db/queries/messages';
import { SNAPSHOT_SORT_COLUMNS } from '../db/queries/snapshots';
import { TRANSFER_COLUMNS } from '../db/queries/transfers';
import { VOLUME_SORT_COLUMNS } from '../db/queries/volumes';

export type { SortKey } from '../db/queries/keyset';
export type { AttachmentColumn, AttachmentFilter } from '../db/queries/attachments';
export type { BackupFilter } from '../db/queries/backups';
export type { MessageColumn, MessageFilter } from '../db/queries/messages';
export type { SnapshotColumn, SnapshotFilter } from '../db/queries/snapshots';
export type { TransferColumn, TransferFilter } from '../db/queries/transfers';
export type { FilterOp, VolumeColumn, VolumeFilter } from '../db/queries/volumes';

/** Per resource: the columns a list may be sorted by, and those an admin may filter on where that is a fixed set. */
export const LIST_COLUMNS = {
  volumes: { sort: VOLUME_SORT_COLUMNS },
  snapshots: { sort: SNAPSHOT_SORT_COLUMNS },
  backups: { sort: BACKUP_SORT_COLUMNS, filter: BACKUP_FILTER_COLUMNS },
  transfers: { sort: TRANSFER_COLUMNS, filter: TRANSFER_COLUMNS },
  attachments: { sort: ATTACHMENT_SORT_COLUMNS, filter: ATTACHMENT_SORT_COLUMNS },
  messages: { sort: MESSAGE_SORT_COLUMNS },
} as const;

/** A parsed list query, as the API hands it to a service: plain values, no microversions. */
export interface ListInput<Filter, Column extends string = string> {
  filters: Filter[];
  /** A filter that can match nothing (an admin's unknown key, ...): the list is empty. */
  matchesNothing: boolean;
  /** `project_id` given by an admin: list that project. */
  projectId?: string;
  /** An admin lists every project. */
  allTenants: boolean;
  /** The requested sort; the pipeline adds the created_at,id tie-break. */
  sort: SortKey<Column>[];
  limit: number;
  offset: number;
  marker?: string;
  /** Count all matches too (3.45, where the resource offers it). */
  withCount: boolean;
}

/** What every list query of db/queries shares. */
export interface KeysetQuery<Row, Filter> {
  projectId?: string;
  filters: Filter[];
  matchesNothing: boolean;
  sort: SortKey[];
  marker?: Row;
  limit: number;
  offset: number;
}

/** How the pipeline reaches one resource's rows. */
export interface ListSource<Row, Query> {
  /** The marker row by id, as the list would see it. */
  find(db: Db, id: string): Promise<Row | undefined>;
  /** The project a row belongs to (the marker must be in the listed project). */
  projectOf(row: Row): string;
  /** The 404 for a marker that is not there. */
  notFound(id: string): Error;
  list(db: Db, query: Query): Promise<Row[]>;
  count?(db: Db, query: Query): Promise<number>;
}

export interface ListPage<Row> {
  rows: Row[];
  count?: number;
}

/** The requested sort, then created_at and id (in the first key's direction, desc by default) unless given. */
export function withTieBreak<Column extends string>(sort: readonly SortKey<Column>[]): SortKey<Column | 'created_at' | 'id'>[] {
  const out: SortKey<Column | 'created_at' | 'id'>[] = [...sort];
  const dir = sort[0]?.dir ?? 'desc';
  for (const column of ['created_at', 'id'] as const) if (!out.some((s) => s.column === column)) out.push({ column, dir });
  return out;
}

/**
 * Runs a list: admins see every project with all_tenants (or the one of a project_id filter), everyone
 * else their own; the marker must be a row of that scope (else the resource's 404); `withCount` counts
 * every match, ignoring limit and marker. `extra` is the rest of the resource's query (metadata, ...).
 */
export async function listPage<Row, Filter, Query extends KeysetQuery<Row, Filter>>(
  db: Db,
  ctx: RequestContext,
  input: ListInput<Filter>,
  source: ListSource<Row, Query>,
  extra: Omit<Query, keyof KeysetQuery<Row, Filter>>,
): Promise<ListPage<Row>> {
  const projectId = ctx.isAdmin && (input.allTenants || input.projectId !== undefined) ? input.projectId : ctx.projectId;
  const query = {
    ...extra,
    projectId,
    filters: input.filters,
    matchesNothing: input.matchesNothing,
    sort: withTieBreak(input.sort),
    limit: input.limit,
    offset: input.offset,
  } as Query;
  if (input.marker !== undefined) {
    const marker = await source.find(db, input.marker);
    if (!marker || (projectId !== undefined && source.projectOf(marker) !== projectId)) throw source.notFound(input.marker);
    query.marker = marker;
  }
  const rows = await source.list(db, query);
  if (!input.withCount || !source.count) return { rows };
  return { rows, count: await source.count(db, query) };
}
