/*
 * The one list pipeline of every list service (volumes, snapshots, backups, transfers, attachments,
 * messages, groups, group snapshots): project scope, sort with the created_at,id tie-break, the marker row and its 404, paging and
 * the count. The API parses the query string into a ListInput (src/api/list-query.ts); the SQL side of
 * sorting and keyset paging is db/queries/keyset.ts.
 *
 * It also names, per resource, the columns a list may sort or filter by (`LIST_COLUMNS`), so the API's
 * per-resource definitions read them from here and never from src/db, and how its rows are reached
 * (`LIST_SOURCES`), which `requireVisible` uses too: one row by id and a list's marker follow one
 * visibility rule and give the same 404.
 */
import { canSee, type RequestContext } from '../context';
import type { Db } from '../db/store';
import type { SortKey } from '../db/queries/keyset';
import * as aq from '../db/queries/attachments';
import * as bq from '../db/queries/backups';
import * as mq from '../db/queries/messages';
import * as sq from '../db/queries/snapshots';
import * as tq from '../db/queries/transfers';
import * as vq from '../db/queries/volumes';
import * as gq from '../db/queries/groups';
import {
  AttachmentNotFoundError,
  BackupNotFoundError,
  GroupNotFoundError,
  GroupSnapshotNotFoundError,
  MessageNotFoundError,
  SnapshotNotFoundError,
  TransferNotFoundError,
  VolumeNotFoundError,
} from '../errors';

export type { SortKey } from '../db/queries/keyset';
export type { AttachmentColumn, AttachmentFilter } from '../db/queries/attachments';
export type { BackupFilter } from '../db/queries/backups';
export type { MessageColumn, MessageFilter } from '../db/queries/messages';
export type { SnapshotColumn, SnapshotFilter } from '../db/queries/snapshots';
export type { TransferColumn, TransferFilter } from '../db/queries/transfers';
export type { FilterOp, VolumeColumn, VolumeFilter } from '../db/queries/volumes';
export type { GroupColumn, GroupFilter, GroupSnapshotFilter } from '../db/queries/groups';

/** Per resource: the columns a list may be sorted by, and those an admin may filter on where that is a fixed set. */
export const LIST_COLUMNS = {
  volumes: { sort: vq.VOLUME_SORT_COLUMNS },
  snapshots: { sort: sq.SNAPSHOT_SORT_COLUMNS },
  backups: { sort: bq.BACKUP_SORT_COLUMNS, filter: bq.BACKUP_FILTER_COLUMNS },
  transfers: { sort: tq.TRANSFER_COLUMNS, filter: tq.TRANSFER_COLUMNS },
  attachments: { sort: aq.ATTACHMENT_SORT_COLUMNS, filter: aq.ATTACHMENT_SORT_COLUMNS },
  messages: { sort: mq.MESSAGE_SORT_COLUMNS },
  // --- generic volume groups (issue 16) ---
  groups: { sort: gq.GROUP_SORT_COLUMNS, filter: gq.GROUP_FILTER_COLUMNS },
  groupSnapshots: { sort: gq.GROUP_SNAPSHOT_SORT_COLUMNS, filter: gq.GROUP_SNAPSHOT_SORT_COLUMNS },
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
  /** A row by id, as the list would see it (the marker, or the row of `requireVisible`). */
  find(db: Db, id: string): Promise<Row | undefined>;
  /** The project a row belongs to (the marker must be in the listed project; visibility). */
  projectOf(row: Row): string;
  /** The resource's 404, for a marker or a row that is not there or not visible. */
  notFound(id: string): Error;
  list(db: Db, query: Query): Promise<Row[]>;
  count?(db: Db, query: Query): Promise<number>;
}

/** A ListSource from a resource's query functions and its 404 class; row and query types are inferred. */
function listSource<Row, Query>(parts: Omit<ListSource<Row, Query>, 'notFound'> & { notFound: new (id: string) => Error }): ListSource<Row, Query> {
  const NotFound = parts.notFound;
  return { ...parts, notFound: (id) => new NotFound(id) };
}

/** The project of a row that has a project_id column (all but transfers). */
function ownerProject<Row extends { project_id: string }>(row: Row): string {
  return row.project_id;
}

/** Per resource: how the pipeline (and `requireVisible`) reaches its rows. */
export const LIST_SOURCES = {
  volumes: listSource({ find: vq.getVolume, projectOf: ownerProject, notFound: VolumeNotFoundError, list: vq.listVolumes, count: vq.countVolumes }),
  snapshots: listSource({ find: sq.getSnapshot, projectOf: ownerProject, notFound: SnapshotNotFoundError, list: sq.listSnapshots, count: sq.countSnapshots }),
  backups: listSource({ find: bq.getBackup, projectOf: ownerProject, notFound: BackupNotFoundError, list: bq.listBackups, count: bq.countBackups }),
  /** Live attachments only. */
  attachments: listSource({ find: aq.getAttachment, projectOf: ownerProject, notFound: AttachmentNotFoundError, list: aq.listAttachments }),
  /** A transfer belongs to the project that offers the volume. */
  transfers: listSource({ find: tq.getTransfer, projectOf: (row) => row.source_project_id, notFound: TransferNotFoundError, list: tq.listTransfers }),
  /** Messages as seen at `now`: expired ones are gone. */
  messages: (now: string) =>
    listSource({ find: (db, id) => mq.getMessage(db, id, now), projectOf: ownerProject, notFound: MessageNotFoundError, list: mq.listMessages }),
  // --- generic volume groups (issue 16) ---
  groups: listSource({ find: gq.getGroup, projectOf: ownerProject, notFound: GroupNotFoundError, list: gq.listGroups, count: gq.countGroups }),
  groupSnapshots: listSource({
    find: gq.getGroupSnapshot,
    projectOf: ownerProject,
    notFound: GroupSnapshotNotFoundError,
    list: gq.listGroupSnapshots,
    count: gq.countGroupSnapshots,
  }),
};

/**
 * One row by id that the caller may see (its own project's, or any for an admin); else the resource's
 * 404, so another project's ids are indistinguishable from ids that do not exist.
 */
export async function requireVisible<Row>(
  source: Pick<ListSource<Row, unknown>, 'find' | 'projectOf' | 'notFound'>,
  ctx: RequestContext,
  id: string,
  db: Db,
): Promise<Row> {
  const row = await source.find(db, id);
  if (!row || !canSee(ctx, source.projectOf(row))) throw source.notFound(id);
  return row;
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

/** listPage, with the page's rows turned into the records the views take (`records`, the service's own). */
export async function listRecords<Row, Filter, Query extends KeysetQuery<Row, Filter>, Item>(
  db: Db,
  ctx: RequestContext,
  input: ListInput<Filter>,
  source: ListSource<Row, Query>,
  extra: Omit<Query, keyof KeysetQuery<Row, Filter>>,
  records: (db: Db, rows: Row[]) => Promise<Item[]>,
): Promise<{ records: Item[]; count?: number }> {
  const page = await listPage(db, ctx, input, source, extra);
  return { records: await records(db, page.rows), count: page.count };
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
