/*
 * The one list-query parser of every list route (cinder/api/common.py, cinder/api/v3/*.py,
 * etc/cinder/resource_filters.json): query string + microversion -> the typed ListInput a service takes.
 *
 * - Paging and sorting: limit, marker, offset, sort / sort_key / sort_dir (with the resource's aliases
 *   and the sort keys that exist only from a microversion), with_count (3.45), all_tenants.
 * - Filters: what remains of the query, read by the resource's own rules (LIST_RESOURCES below):
 *   `key~` like-filters from 3.34, created_at/updated_at comparisons from 3.60, the snapshot `metadata`
 *   filter from 3.22, `consumes_quota` from 3.65, and the one unknown-filter rule
 *   (unknownFiltersMatchNothing): 400 for non-admins from 3.31 (dropped below), nothing matches for admins.
 *
 * Services never see a microversion: they get filters, metadata, matchesNothing, projectId, sort keys,
 * limit, offset, marker and withCount (services/list-pipeline.ts runs the list).
 */
import type { RequestContext } from '../context';
import { parseClientTime } from '../db/time';
import { BadRequestError, InvalidInputError } from '../errors';
import {
  LIST_COLUMNS,
  type AttachmentColumn,
  type AttachmentFilter,
  type BackupFilter,
  type FilterOp,
  type GroupColumn,
  type GroupFilter,
  type GroupSnapshotFilter,
  type ListInput,
  type MessageColumn,
  type MessageFilter,
  type SnapshotColumn,
  type SnapshotFilter,
  type SortKey,
  type TransferColumn,
  type TransferFilter,
  type VolumeColumn,
  type VolumeFilter,
} from '../services/list-pipeline';
import type { VolumeListInput } from '../services/volume-service';
import type { SnapshotListInput } from '../services/snapshot-service';
import type { BackupListInput } from '../services/backup-service';
import type { TransferListInput } from '../services/transfer-service';
import type { AttachmentListInput } from '../services/attachment-service';
import type { MessageListInput } from '../services/message-service';
import type { GroupListInput, GroupSnapshotListInput } from '../services/group-service';
import { MV, type ApiVersion } from './microversions';

// --- values ----------------------------------------------------------------------------------------

export function truthy(raw: string | undefined): boolean {
  return raw !== undefined && ['1', 'true', 't', 'yes', 'y', 'on'].includes(raw.trim().toLowerCase());
}

function parseInteger(raw: string, name: string): number {
  if (!/^\s*[-+]?\d+\s*$/.test(raw)) throw new BadRequestError(`${name} param must be an integer`);
  const n = Number(raw);
  if (n < 0) throw new BadRequestError(`${name} param must be positive`);
  return n;
}

function parseDir(raw: string): 'asc' | 'desc' {
  const dir = raw.trim().toLowerCase();
  if (dir !== 'asc' && dir !== 'desc') throw new InvalidInputError("Unknown sort direction, must be 'desc' or 'asc'");
  return dir;
}

/** A boolean filter word; not one: 400 when `strict`, else false (volumes' `bootable` below 3.2). */
function parseBool(raw: string, strict: boolean, key: string): number {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(v)) return 1;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(v)) return 0;
  if (strict) throw new InvalidInputError(`Invalid value '${raw}' for ${key} filter: it must be a boolean.`);
  return 0;
}

/** Parses a Python- or JSON-style dict literal as Cinder accepts for `metadata` ({'k': 'v'}). */
export function parseDictLiteral(raw: string): Record<string, string> | undefined {
  const attempts = [
    raw,
    raw
      .replace(/'/g, '"')
      .replace(/\bNone\b/g, 'null')
      .replace(/\bTrue\b/g, 'true')
      .replace(/\bFalse\b/g, 'false'),
  ];
  for (const text of attempts) {
    try {
      const v = JSON.parse(text) as unknown;
      if (v && typeof v === 'object' && !Array.isArray(v)) {
        return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typeof x === 'string' ? x : JSON.stringify(x)]));
      }
    } catch {
      // try the next spelling
    }
  }
  return undefined;
}

/**
 * The `is_public` query of the type lists (volume types, group types; api_utils._parse_is_public):
 * public types when omitted, all with `None`, else a boolean word (400 otherwise).
 */
export function isPublicFilter(raw: string | undefined): boolean | undefined {
  if (raw === undefined) return true;
  if (raw.toLowerCase() === 'none') return undefined;
  const v = raw.trim().toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(v)) return true;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(v)) return false;
  throw new BadRequestError(`Invalid is_public filter [${raw}]`);
}

// --- filters ---------------------------------------------------------------------------------------

/**
 * Cinder's rule for filter keys a resource does not know (api/common.py reject_invalid_filters): 400
 * for non-admins from 3.31 (silently dropped below); for admins they name no column, so nothing
 * matches. Returns whether the list must come back empty.
 */
export function unknownFiltersMatchNothing(ctx: RequestContext, version: ApiVersion, unknown: readonly string[]): boolean {
  if (unknown.length === 0) return false;
  if (!ctx.isAdmin && version.atLeast(MV.RESOURCE_FILTER)) throw new BadRequestError(`Invalid filters ${unknown.join(',')} are found in query options.`);
  return ctx.isAdmin;
}

/** What a resource's filter rules make of the query keys left after paging. */
export interface ParsedFilters<Filter> {
  filters: Filter[];
  matchesNothing: boolean;
  /** `project_id` given by an admin: list that project. */
  projectId?: string;
}

/**
 * The loop every filter parser shares: `aliases` on the key as sent, `key~` (3.34+) as a like-filter of
 * `key` (aliased again with `likeAliases`), keys `known` refuses (or `take` calls unknown) collected for
 * the unknown-filter rule.
 */
function readFilters<Out extends ParsedFilters<unknown>>(
  ctx: RequestContext,
  version: ApiVersion,
  raw: Record<string, string>,
  out: Out,
  rules: {
    aliases?: Record<string, string>;
    likeAliases?: Record<string, string>;
    known: (key: string) => boolean;
    take: (key: string, value: string, like: boolean) => 'unknown' | void;
  },
): Out {
  const unknown: string[] = [];
  for (const [rawKey, value] of Object.entries(raw)) {
    let key = rules.aliases?.[rawKey] ?? rawKey;
    let like = false;
    if (key.endsWith('~') && version.atLeast(MV.LIKE_FILTER)) {
      like = true;
      key = key.slice(0, -1);
      key = rules.likeAliases?.[key] ?? key;
    }
    if (!rules.known(key) || rules.take(key, value, like) === 'unknown') unknown.push(rawKey);
  }
  if (unknownFiltersMatchNothing(ctx, version, unknown)) out.matchesNothing = true;
  return out;
}

/** A filter on a text column: equality, or `like` for a `key~` query key. */
function textFilter<Column extends string>(column: Column, value: string, like: boolean): { column: Column; op: 'like' | 'eq'; value: string } {
  return { column, op: like ? 'like' : 'eq', value };
}

/**
 * The keys volume and snapshot filters read alike, once their own are taken: `project_id` (an admin's:
 * list that project), `consumes_quota` (3.65+; unknown below), and any other as a text filter on the
 * column `textColumns` names for it.
 */
function takeCommonFilter<Column extends string>(
  out: { projectId?: string; filters: { push(filter: { column: Column | 'consumes_quota'; op: 'eq' | 'like'; value: string | number }): number } },
  version: ApiVersion,
  key: string,
  value: string,
  like: boolean,
  textColumns: Record<string, Column>,
): 'unknown' | void {
  switch (key) {
    case 'project_id':
      out.projectId = value;
      break;
    case 'consumes_quota':
      if (!version.atLeast(MV.USE_QUOTA)) return 'unknown';
      out.filters.push({ column: 'consumes_quota', op: 'eq', value: parseBool(value, true, key) });
      break;
    default:
      out.filters.push(textFilter(textColumns[key], value, like));
  }
}

const NAME_ALIAS = { display_name: 'name' };

/** Volume keys any caller may filter on (resource_filters.json, "volume"). */
const VOLUME_USER_FILTERS = [
  'name',
  'status',
  'metadata',
  'bootable',
  'migration_status',
  'availability_zone',
  'group_id',
  'size',
  'created_at',
  'updated_at',
  'consumes_quota',
];

/** Volume columns an admin may also filter on. */
const VOLUME_ADMIN_COLUMNS: Record<string, VolumeColumn> = {
  id: 'id',
  project_id: 'project_id',
  user_id: 'user_id',
  volume_type_id: 'volume_type_id',
  attach_status: 'attach_status',
  snapshot_id: 'snapshot_id',
  source_volid: 'source_volid',
  host: 'host',
  description: 'description',
  display_description: 'description',
  multiattach: 'multiattach',
  encrypted: 'encrypted',
  replication_status: 'replication_status',
};

/** The volume keys takeCommonFilter reads as text filters (the user's, and an admin's columns), and their columns. */
const VOLUME_TEXT_COLUMNS: Record<string, VolumeColumn> = {
  name: 'name',
  status: 'status',
  availability_zone: 'availability_zone',
  migration_status: 'migration_status',
  ...VOLUME_ADMIN_COLUMNS,
};

const TIME_OPS: Record<string, FilterOp> = { gt: 'gt', gte: 'gte', eq: 'eq', neq: 'neq', lt: 'lt', lte: 'lte' };

export interface ParsedVolumeFilters extends ParsedFilters<VolumeFilter> {
  metadata: Record<string, string>;
}

export function parseVolumeFilters(ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedVolumeFilters {
  const out: ParsedVolumeFilters = { filters: [], metadata: {}, matchesNothing: false };
  // `display_name~` stays unknown for volumes: only the plain key is aliased.
  return readFilters(ctx, version, raw, out, {
    aliases: NAME_ALIAS,
    known: (key) => VOLUME_USER_FILTERS.includes(key) || (ctx.isAdmin && key in VOLUME_ADMIN_COLUMNS),
    take(key, value, like) {
      switch (key) {
        case 'metadata': {
          const dict = parseDictLiteral(value);
          if (!dict) throw new InvalidInputError(`Invalid metadata filter: ${value}`);
          Object.assign(out.metadata, dict);
          break;
        }
        case 'bootable':
          out.filters.push({ column: 'bootable', op: 'eq', value: parseBool(value, version.atLeast(MV.BOOTABLE_FILTER_STRICT), key) });
          break;
        case 'size': {
          if (!/^\s*\d+\s*$/.test(value)) throw new InvalidInputError(`Invalid size filter: ${value}`);
          out.filters.push({ column: 'size', op: 'eq', value: Number(value) });
          break;
        }
        case 'group_id':
          // From 3.10 (VOLUME_LIST_GROUP); Cinder drops it below.
          if (version.atLeast(MV.VOLUME_LIST_GROUP)) out.filters.push({ column: 'group_id', op: 'eq', value });
          break;
        case 'created_at':
        case 'updated_at': {
          if (!version.atLeast(MV.VOLUME_TIME_COMPARISON_FILTER)) {
            out.filters.push({ column: key, op: 'eq', value });
            break;
          }
          const m = /^(gt|gte|eq|neq|lt|lte):(.+)$/.exec(value);
          const time = m ? parseClientTime(m[2]) : parseClientTime(value);
          if (!time) throw new BadRequestError(`Invalid input received: Invalid ${key} filter: ${value}`);
          out.filters.push({ column: key, op: m ? TIME_OPS[m[1]] : 'eq', value: time });
          break;
        }
        case 'multiattach':
        case 'encrypted':
          out.filters.push({ column: key, op: 'eq', value: parseBool(value, true, key) });
          break;
        default:
          return takeCommonFilter(out, version, key, value, like, VOLUME_TEXT_COLUMNS);
      }
    },
  });
}

/** Snapshot keys any caller may filter on. */
const SNAPSHOT_USER_FILTERS = ['name', 'status', 'volume_id', 'metadata', 'availability_zone', 'consumes_quota'];

/** Snapshot columns an admin may also filter on (Cinder lets admins filter on any snapshot column). */
const SNAPSHOT_ADMIN_COLUMNS: Record<string, SnapshotColumn> = {
  id: 'id',
  project_id: 'project_id',
  user_id: 'user_id',
  description: 'description',
  display_description: 'description',
  progress: 'progress',
  volume_type_id: 'volume_type_id',
  size: 'size',
  volume_size: 'size',
  provider_location: 'provider_location',
};

/** The snapshot keys takeCommonFilter reads as text filters (the user's, and an admin's columns), and their columns. */
const SNAPSHOT_TEXT_COLUMNS: Record<string, SnapshotColumn> = { name: 'name', status: 'status', volume_id: 'volume_id', ...SNAPSHOT_ADMIN_COLUMNS };

export interface ParsedSnapshotFilters extends ParsedFilters<SnapshotFilter> {
  metadata: Record<string, string>;
  availabilityZone?: string;
}

/**
 * Snapshot filters: `metadata` from 3.22 (dropped below; a value that is not a dict literal matches
 * nothing, as in Cinder's snapshot query), `consumes_quota` from 3.65, `display_name~` as `name~`.
 */
export function parseSnapshotFilters(ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedSnapshotFilters {
  const out: ParsedSnapshotFilters = { filters: [], metadata: {}, matchesNothing: false };
  return readFilters(ctx, version, raw, out, {
    aliases: NAME_ALIAS,
    likeAliases: NAME_ALIAS,
    known: (key) => SNAPSHOT_USER_FILTERS.includes(key) || (ctx.isAdmin && key in SNAPSHOT_ADMIN_COLUMNS),
    take(key, value, like) {
      switch (key) {
        case 'metadata': {
          // Below 3.22 Cinder drops the metadata filter before querying.
          if (!version.atLeast(MV.SNAPSHOT_LIST_METADATA_FILTER)) break;
          const dict = parseDictLiteral(value);
          if (!dict) out.matchesNothing = true;
          else Object.assign(out.metadata, dict);
          break;
        }
        case 'availability_zone':
          out.availabilityZone = value;
          break;
        case 'size':
          if (!/^\s*\d+\s*$/.test(value)) out.matchesNothing = true;
          else out.filters.push({ column: 'size', op: 'eq', value: Number(value) });
          break;
        default:
          return takeCommonFilter(out, version, key, value, like, SNAPSHOT_TEXT_COLUMNS);
      }
    },
  });
}

/** Backup keys any caller may filter on (resource_filters.json, "backup"). */
const BACKUP_USER_FILTERS = ['name', 'status', 'volume_id'];

/** Backup filters: BACKUP_USER_FILTERS for anyone; an admin any backup column (others match nothing) and project_id. */
export function parseBackupFilters(ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedFilters<BackupFilter> {
  const out: ParsedFilters<BackupFilter> = { filters: [], matchesNothing: false };
  const adminColumns: readonly string[] = LIST_COLUMNS.backups.filter;
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const column = key === 'display_name' ? 'name' : key;
    if (column === 'project_id' && ctx.isAdmin) out.projectId = value;
    else if (BACKUP_USER_FILTERS.includes(column) || (ctx.isAdmin && adminColumns.includes(column))) out.filters.push({ column, value });
    else unknown.push(key);
  }
  if (unknownFiltersMatchNothing(ctx, version, unknown)) out.matchesNothing = true;
  return out;
}

const MESSAGE_USER_FILTERS: readonly MessageColumn[] = ['resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level'];
const MESSAGE_ADMIN_FILTERS: readonly MessageColumn[] = ['id', 'project_id'];

/** Message filters (resource_filters.json); admins may also use id and project_id. */
export function parseMessageFilters(ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedFilters<MessageFilter> {
  const out: ParsedFilters<MessageFilter> = { filters: [], matchesNothing: false };
  return readFilters(ctx, version, raw, out, {
    known: (key) => MESSAGE_USER_FILTERS.includes(key as MessageColumn) || (ctx.isAdmin && MESSAGE_ADMIN_FILTERS.includes(key as MessageColumn)),
    take(key, value, like) {
      if (key === 'project_id' && !like) out.projectId = value;
      else out.filters.push(textFilter(key as MessageColumn, value, like));
    },
  });
}

/** Attachment filter keys Cinder allows (resource_filters.json, in its order), and the column each means. */
const ATTACHMENT_FILTER_COLUMNS: Record<string, AttachmentColumn> = {
  volume_id: 'volume_id',
  // Cinder accepts `status` but its model has no such column, so it matches nothing there; here it is
  // the view's `status`, i.e. attach_status.
  status: 'attach_status',
  instance_id: 'instance_uuid',
  attach_status: 'attach_status',
};

/** Attachment filters: the keys above for anyone, any attachment column for an admin. */
export function parseAttachmentFilters(ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedFilters<AttachmentFilter> {
  const out: ParsedFilters<AttachmentFilter> = { filters: [], matchesNothing: false };
  const adminColumns: readonly string[] = LIST_COLUMNS.attachments.filter;
  const unknown: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const column = ATTACHMENT_FILTER_COLUMNS[key] ?? (ctx.isAdmin && adminColumns.includes(key) ? (key as AttachmentColumn) : undefined);
    if (column) out.filters.push({ column, value });
    else unknown.push(key);
  }
  if (unknownFiltersMatchNothing(ctx, version, unknown)) out.matchesNothing = true;
  return out;
}

const TRANSFER_FILTER_ALIASES: Record<string, TransferColumn> = { name: 'name', display_name: 'name', project_id: 'source_project_id' };
const TRANSFER_BOOLEAN_COLUMNS = new Set<string>(['accepted', 'no_snapshots']);

/**
 * Transfer filters: query keys as column filters; any key that is not a transfer column makes the list
 * empty (as Cinder), `with_count` included. Cinder keeps all_tenants as a (non-existent) column filter
 * for non-admins: nothing matches then either.
 */
export function parseTransferFilters(
  ctx: RequestContext,
  raw: Record<string, string>,
  query: Record<string, string>,
): ParsedFilters<TransferFilter> & { allTenants: boolean } {
  const allTenants = 'all_tenants' in query;
  const out = { filters: [] as TransferFilter[], matchesNothing: 'with_count' in query || (allTenants && !ctx.isAdmin), allTenants };
  const columns: readonly string[] = LIST_COLUMNS.transfers.filter;
  for (const [key, value] of Object.entries(raw)) {
    const column = TRANSFER_FILTER_ALIASES[key] ?? (columns.includes(key) ? (key as TransferColumn) : undefined);
    if (!column) out.matchesNothing = true;
    else out.filters.push({ column, value: TRANSFER_BOOLEAN_COLUMNS.has(column) ? (truthy(value) ? 1 : 0) : value });
  }
  return out;
}

// --- generic volume groups (issue 16) ---

const GROUP_USER_FILTERS = ['name'];
const GROUP_SNAPSHOT_USER_FILTERS = ['name', 'status', 'group_id'];

/**
 * Group and group snapshot filters (resource_filters.json "group", "group_snapshot"): the user keys
 * for anyone, any column of the resource for an admin (and `project_id`: list that project).
 */
function groupFilterParser<Filter extends GroupFilter | GroupSnapshotFilter>(userKeys: readonly string[], adminColumns: readonly string[]) {
  return (ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedFilters<Filter> => {
    const out: ParsedFilters<Filter> = { filters: [], matchesNothing: false };
    return readFilters(ctx, version, raw, out, {
      aliases: NAME_ALIAS,
      known: (key) => userKeys.includes(key) || (ctx.isAdmin && (key === 'project_id' || adminColumns.includes(key))),
      take(key, value, like) {
        if (key === 'project_id' && !like) out.projectId = value;
        else out.filters.push(textFilter(key as GroupColumn, value, like) as Filter);
      },
    });
  };
}

// --- one definition per list resource --------------------------------------------------------------

type PagingPart = 'sort' | 'limit' | 'offset' | 'marker' | 'withCount' | 'allTenants';

/** How one resource's list reads its query. */
export interface ListResource<Input extends ListInput<unknown>> {
  /** Keys the list may be sorted by, after aliasing (others: 400 "Invalid sort key"). */
  sortKeys: readonly string[];
  /** API names of sort keys mapped to the key they mean (`display_name` -> `name`). */
  sortAliases?: Record<string, string>;
  /** Sort keys, as the client spells them, that exist only from a microversion on. */
  sortSince?: Record<string, ApiVersion>;
  /** Whether `with_count` (3.45) adds a count. */
  counts: boolean;
  /**
   * `limit-offset`: only limit and offset page the list, in `fixedSort` order; every other key but
   * all_tenants is a filter (the legacy transfer lists). Default: the whole paging set.
   */
  paging?: 'limit-offset';
  fixedSort?: SortKey<string>[];
  /** The query as Cinder reads it at this version (default: as sent). */
  effectiveQuery?: (version: ApiVersion, query: Record<string, string>) => Record<string, string>;
  filters: (
    ctx: RequestContext,
    version: ApiVersion,
    raw: Record<string, string>,
    query: Record<string, string>,
  ) => Omit<Input, PagingPart> & { allTenants?: boolean };
  /**
   * The resource's entry of Cinder's resource_filters.json: its name there and the filter keys any caller
   * may use (the keys `filters` knows for a non-admin). GET /resource_filters lists these.
   */
  userFilters?: { resource: string; keys: readonly string[] };
}

const TRANSFER_FIXED_ORDER: SortKey<string>[] = [
  { column: 'created_at', dir: 'asc' },
  { column: 'id', dir: 'asc' },
];

/** The list resources; transfers have two (paged from 3.59 on /volume-transfers, and legacy). */
export interface ListResources {
  volumes: ListResource<VolumeListInput>;
  snapshots: ListResource<SnapshotListInput>;
  backups: ListResource<BackupListInput>;
  transfers: ListResource<TransferListInput>;
  legacyTransfers: ListResource<TransferListInput>;
  attachments: ListResource<AttachmentListInput>;
  messages: ListResource<MessageListInput>;
  groups: ListResource<GroupListInput>;
  groupSnapshots: ListResource<GroupSnapshotListInput>;
}

export const LIST_RESOURCES: ListResources = {
  volumes: {
    sortKeys: LIST_COLUMNS.volumes.sort,
    sortAliases: { display_name: 'name', display_description: 'description' },
    counts: true,
    filters: parseVolumeFilters,
    userFilters: { resource: 'volume', keys: VOLUME_USER_FILTERS },
  },
  snapshots: {
    sortKeys: LIST_COLUMNS.snapshots.sort,
    sortAliases: { display_name: 'name', display_description: 'description', volume_size: 'size' },
    // `name` is a sort key from 3.30 (SNAPSHOT_SORT); `display_name` works at every version.
    sortSince: { name: MV.SNAPSHOT_SORT },
    counts: true,
    filters: parseSnapshotFilters,
    userFilters: { resource: 'snapshot', keys: SNAPSHOT_USER_FILTERS },
  },
  backups: {
    sortKeys: LIST_COLUMNS.backups.sort,
    sortAliases: { display_name: 'name' },
    sortSince: { name: MV.BACKUP_SORT_NAME, display_name: MV.BACKUP_SORT_NAME },
    counts: true,
    filters: parseBackupFilters,
    userFilters: { resource: 'backup', keys: BACKUP_USER_FILTERS },
  },
  /** /volume-transfers from 3.59 (TRANSFER_WITH_PAGINATION). */
  transfers: {
    sortKeys: LIST_COLUMNS.transfers.sort,
    sortAliases: { display_name: 'name' },
    counts: false,
    filters: (ctx, _version, raw, query) => parseTransferFilters(ctx, raw, query),
  },
  /** /os-volume-transfer, and /volume-transfers below 3.59: fixed order; limit and offset cut the result (common.limited). */
  legacyTransfers: {
    sortKeys: [],
    counts: false,
    paging: 'limit-offset',
    fixedSort: TRANSFER_FIXED_ORDER,
    filters: (ctx, _version, raw, query) => parseTransferFilters(ctx, raw, query),
  },
  attachments: {
    sortKeys: LIST_COLUMNS.attachments.sort,
    sortAliases: { instance_id: 'instance_uuid' },
    counts: false,
    filters: parseAttachmentFilters,
    userFilters: { resource: 'attachment', keys: Object.keys(ATTACHMENT_FILTER_COLUMNS) },
  },
  messages: {
    sortKeys: LIST_COLUMNS.messages.sort,
    counts: false,
    // Paging, sorting and filters exist from 3.5; below, Cinder ignores the query (all_tenants aside).
    effectiveQuery: (version, query) =>
      version.atLeast(MV.MESSAGES_PAGINATION) ? query : query.all_tenants !== undefined ? { all_tenants: query.all_tenants } : {},
    filters: parseMessageFilters,
    userFilters: { resource: 'message', keys: MESSAGE_USER_FILTERS },
  },
  // --- generic volume groups (issue 16); `list_volume` is the group view's, not a filter ---
  groups: {
    sortKeys: LIST_COLUMNS.groups.sort,
    sortAliases: { display_name: 'name' },
    counts: false,
    effectiveQuery: (_version, query) => Object.fromEntries(Object.entries(query).filter(([k]) => k !== 'list_volume')),
    filters: groupFilterParser<GroupFilter>(GROUP_USER_FILTERS, LIST_COLUMNS.groups.filter),
    userFilters: { resource: 'group', keys: GROUP_USER_FILTERS },
  },
  /** Paging, sorting and filters from 3.29 (GROUP_SNAPSHOT_PAGINATION); below, Cinder ignores the query. */
  groupSnapshots: {
    sortKeys: LIST_COLUMNS.groupSnapshots.sort,
    sortAliases: { display_name: 'name' },
    counts: false,
    effectiveQuery: (version, query) => (version.atLeast(MV.GROUP_SNAPSHOT_PAGINATION) ? query : {}),
    filters: groupFilterParser<GroupSnapshotFilter>(GROUP_SNAPSHOT_USER_FILTERS, LIST_COLUMNS.groupSnapshots.filter),
    userFilters: { resource: 'group_snapshot', keys: GROUP_SNAPSHOT_USER_FILTERS },
  },
};

/**
 * GET /resource_filters (3.33): each list resource's user filters, from the table above; with
 * `resource`, only that one (none for a name no list has, as Cinder answers an unknown resource).
 */
export function resourceFilters(resource?: string): { resource: string; filters: string[] }[] {
  return [
    ...Object.values(LIST_RESOURCES).flatMap((r) => (r.userFilters ? [{ resource: r.userFilters.resource, filters: [...r.userFilters.keys] }] : [])),
    ...Object.entries(OTHER_LIST_FILTERS).map(([name, keys]) => ({ resource: name, filters: [...keys] })),
  ].filter((r) => !resource || r.resource === resource);
}

/**
 * The lists that are not paged through the pipeline above, with the filters their routes accept:
 * pools (scheduler-stats/get_pools: `name` from 3.28, `volume_type` from 3.35) and volume types
 * (`is_public`; Cinder's `extra_specs` filter is not served, so it is not listed).
 */
export const OTHER_LIST_FILTERS = {
  pool: ['name', 'volume_type'],
  volume_type: ['is_public'],
} as const satisfies Record<string, readonly string[]>;

// --- the parser ------------------------------------------------------------------------------------

const PAGING_KEYS = new Set(['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'all_tenants']);
const LIMIT_OFFSET_KEYS = new Set(['limit', 'offset', 'all_tenants']);

export function parseSort(query: Record<string, string>): { key: string; dir: 'asc' | 'desc' }[] {
  if (query.sort !== undefined && (query.sort_key !== undefined || query.sort_dir !== undefined)) {
    throw new InvalidInputError("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.");
  }
  if (query.sort !== undefined) {
    return query.sort
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((item) => {
        const [key, dir] = item.split(':');
        return { key: key.trim(), dir: dir === undefined ? 'desc' : parseDir(dir) };
      });
  }
  if (query.sort_key !== undefined) {
    const keys = query.sort_key.split(',');
    const dirs = (query.sort_dir ?? '').split(',').filter(Boolean);
    return keys.map((key, i) => ({ key: key.trim(), dir: dirs[i] ? parseDir(dirs[i]) : 'desc' }));
  }
  if (query.sort_dir !== undefined) return [{ key: 'created_at', dir: parseDir(query.sort_dir) }];
  return [];
}

/**
 * Turns a list request's query into the resource's typed input. Errors come in Cinder's order: limit,
 * offset, sort, then the filters.
 */
export function parseListQuery<Input extends ListInput<unknown>>(
  ctx: RequestContext,
  version: ApiVersion,
  sent: Record<string, string>,
  maxLimit: number,
  resource: ListResource<Input>,
): Input {
  const query = resource.effectiveQuery ? resource.effectiveQuery(version, sent) : sent;
  const limit = query.limit !== undefined ? Math.min(parseInteger(query.limit, 'limit'), maxLimit) : maxLimit;
  const offset = query.offset !== undefined ? parseInteger(query.offset, 'offset') : 0;
  const countSupported = version.atLeast(MV.SUPPORT_COUNT_INFO);
  const legacy = resource.paging === 'limit-offset';
  let sort: SortKey<string>[] = resource.fixedSort ?? [];
  if (!legacy) {
    const aliases = resource.sortAliases ?? {};
    sort = parseSort(query).map((s) => {
      const column = aliases[s.key] ?? s.key;
      const since = resource.sortSince?.[s.key];
      if (!resource.sortKeys.includes(column) || (since && !version.atLeast(since))) throw new InvalidInputError('Invalid sort key');
      return { column, dir: s.dir };
    });
  }
  const raw: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if ((legacy ? LIMIT_OFFSET_KEYS : PAGING_KEYS).has(k)) continue;
    // Below 3.45 with_count is an ordinary filter, as in Cinder.
    if (!legacy && k === 'with_count' && countSupported) continue;
    raw[k] = v;
  }
  const parsed = resource.filters(ctx, version, raw, sent);
  return {
    ...parsed,
    allTenants: parsed.allTenants ?? truthy(query.all_tenants),
    sort,
    limit,
    offset,
    marker: legacy ? undefined : query.marker || undefined,
    withCount: resource.counts && countSupported && truthy(query.with_count),
  } as unknown as Input;
}
