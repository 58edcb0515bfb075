/*
 * Volume list filters (cinder/api/v3/volumes.py and etc/cinder/resource_filters.json): turns the query
 * keys left after paging into VolumeFilter conditions, applying Cinder's microversion rules:
 * `name~` like-filters from 3.34, created_at/updated_at comparisons from 3.60, unknown keys refused for
 * non-admins from 3.31 and matching nothing for admins.
 */
import type { RequestContext } from '../context';
import type { VolumeColumn, VolumeFilter, FilterOp } from '../db/queries/volumes';
import { parseClientTime } from '../db/time';
import { BadRequestError, InvalidInputError } from '../errors';
import { MV, type ApiVersion } from '../api/microversions';

/** Keys any caller may filter on (resource_filters.json, "volume"). */
const USER_FILTERS = ['name', 'status', 'metadata', 'bootable', 'migration_status', 'availability_zone', 'group_id', 'size', 'created_at', 'updated_at', 'consumes_quota'];

/** Columns an admin may also filter on. */
const ADMIN_COLUMNS: Record<string, VolumeColumn> = {
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

const TIME_OPS: Record<string, FilterOp> = { gt: 'gt', gte: 'gte', eq: 'eq', neq: 'neq', lt: 'lt', lte: 'lte' };

export interface ParsedFilters {
  filters: VolumeFilter[];
  metadata: Record<string, string>;
  matchesNothing: boolean;
  /** `project_id` given by an admin: list that project. */
  projectId?: string;
}

/** Parses a Python- or JSON-style dict literal as Cinder accepts for `metadata` ({'k': 'v'}). */
export function parseDictLiteral(raw: string): Record<string, string> | undefined {
  const attempts = [raw, raw.replace(/'/g, '"').replace(/\bNone\b/g, 'null').replace(/\bTrue\b/g, 'true').replace(/\bFalse\b/g, 'false')];
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

function parseBool(raw: string, strict: boolean, key: string): number | null {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 't', 'yes', 'y', 'on'].includes(v)) return 1;
  if (['false', '0', 'f', 'no', 'n', 'off'].includes(v)) return 0;
  if (strict) throw new InvalidInputError(`Invalid value '${raw}' for ${key} filter: it must be a boolean.`);
  return 0;
}

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

export function parseVolumeFilters(ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedFilters {
  const out: ParsedFilters = { filters: [], metadata: {}, matchesNothing: false };
  const unknown: string[] = [];
  for (const [rawKey, value] of Object.entries(raw)) {
    let key = rawKey === 'display_name' ? 'name' : rawKey;
    let like = false;
    if (key.endsWith('~') && version.atLeast(MV.LIKE_FILTER)) {
      like = true;
      key = key.slice(0, -1);
    }
    const known = USER_FILTERS.includes(key) || (ctx.isAdmin && key in ADMIN_COLUMNS);
    if (!known) {
      unknown.push(rawKey);
      continue;
    }
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
      case 'consumes_quota':
        if (!version.atLeast(MV.USE_QUOTA)) unknown.push(rawKey);
        else out.filters.push({ column: 'consumes_quota', op: 'eq', value: parseBool(value, true, key) });
        break;
      case 'size': {
        if (!/^\s*\d+\s*$/.test(value)) throw new InvalidInputError(`Invalid size filter: ${value}`);
        out.filters.push({ column: 'size', op: 'eq', value: Number(value) });
        break;
      }
      case 'group_id':
        // No groups exist: a group filter matches nothing.
        out.matchesNothing = true;
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
      case 'project_id':
        out.projectId = value;
        break;
      case 'name':
      case 'status':
      case 'availability_zone':
      case 'migration_status':
        out.filters.push({ column: key, op: like ? 'like' : 'eq', value });
        break;
      default:
        out.filters.push({ column: ADMIN_COLUMNS[key], op: like ? 'like' : 'eq', value });
    }
  }
  if (unknownFiltersMatchNothing(ctx, version, unknown)) out.matchesNothing = true;
  return out;
}
