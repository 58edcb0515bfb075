/*
 * Snapshot list filters (cinder/api/v3/snapshots.py, etc/cinder/resource_filters.json "snapshot"): turns
 * the query keys left after paging into SnapshotFilter conditions, with Cinder's microversion rules:
 * `metadata` from 3.22 (dropped below), `consumes_quota` from 3.65, `name~` like-filters from 3.34,
 * unknown keys refused for non-admins from 3.31 (dropped below) and matching nothing for admins. A
 * `metadata` value that is not a dict literal matches nothing, as in Cinder's snapshot query.
 */
import type { RequestContext } from '../context';
import type { SnapshotColumn, SnapshotFilter } from '../db/queries/snapshots';
import { InvalidInputError } from '../errors';
import { MV, type ApiVersion } from '../api/microversions';
import { parseDictLiteral, unknownFiltersMatchNothing } from './volume-filters';

/** Keys any caller may filter on. */
const USER_FILTERS = ['name', 'status', 'volume_id', 'metadata', 'availability_zone', 'consumes_quota'];

/** Columns an admin may also filter on (Cinder lets admins filter on any snapshot column). */
const ADMIN_COLUMNS: Record<string, SnapshotColumn> = {
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

export interface ParsedSnapshotFilters {
  filters: SnapshotFilter[];
  metadata: Record<string, string>;
  availabilityZone?: string;
  matchesNothing: boolean;
  /** `project_id` given by an admin: list that project. */
  projectId?: string;
}

function strictBool(raw: string, key: string): number {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(v)) return 1;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(v)) return 0;
  throw new InvalidInputError(`Invalid value '${raw}' for ${key} filter: it must be a boolean.`);
}

export function parseSnapshotFilters(ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedSnapshotFilters {
  const out: ParsedSnapshotFilters = { filters: [], metadata: {}, matchesNothing: false };
  const unknown: string[] = [];
  for (const [rawKey, value] of Object.entries(raw)) {
    let key = rawKey === 'display_name' ? 'name' : rawKey;
    let like = false;
    if (key.endsWith('~') && version.atLeast(MV.LIKE_FILTER)) {
      like = true;
      key = key.slice(0, -1);
      if (key === 'display_name') key = 'name';
    }
    const known = USER_FILTERS.includes(key) || (ctx.isAdmin && key in ADMIN_COLUMNS);
    if (!known) {
      unknown.push(rawKey);
      continue;
    }
    switch (key) {
      case 'metadata': {
        // Below 3.22 Cinder drops the metadata filter before querying.
        if (!version.atLeast(MV.SNAPSHOT_LIST_METADATA_FILTER)) break;
        const dict = parseDictLiteral(value);
        if (!dict) out.matchesNothing = true;
        else Object.assign(out.metadata, dict);
        break;
      }
      case 'consumes_quota':
        if (!version.atLeast(MV.USE_QUOTA)) unknown.push(rawKey);
        else out.filters.push({ column: 'consumes_quota', op: 'eq', value: strictBool(value, key) });
        break;
      case 'availability_zone':
        out.availabilityZone = value;
        break;
      case 'project_id':
        out.projectId = value;
        break;
      case 'size':
        if (!/^\s*\d+\s*$/.test(value)) out.matchesNothing = true;
        else out.filters.push({ column: 'size', op: 'eq', value: Number(value) });
        break;
      case 'name':
      case 'status':
      case 'volume_id':
        out.filters.push({ column: key, op: like ? 'like' : 'eq', value });
        break;
      default:
        out.filters.push({ column: ADMIN_COLUMNS[key], op: like ? 'like' : 'eq', value });
    }
  }
  if (unknownFiltersMatchNothing(ctx, version, unknown)) out.matchesNothing = true;
  return out;
}
