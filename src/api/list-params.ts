/*
 * Paging and sorting parameters shared by every list route (cinder/api/common.py): limit, marker, offset,
 * sort / sort_key / sort_dir, with_count. What remains of the query is the resource's filters.
 */
import { InvalidInputError, BadRequestError } from '../errors';
import { MV, type ApiVersion } from './microversions';

export interface SortParam {
  key: string;
  dir: 'asc' | 'desc';
}

export interface ListParams {
  limit: number;
  offset: number;
  marker?: string;
  sort: SortParam[];
  withCount: boolean;
  allTenants: boolean;
  filters: Record<string, string>;
}

const PAGING_KEYS = new Set(['limit', 'marker', 'offset', 'sort', 'sort_key', 'sort_dir', 'all_tenants']);

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

export function truthy(raw: string | undefined): boolean {
  return raw !== undefined && ['1', 'true', 't', 'yes', 'y', 'on'].includes(raw.trim().toLowerCase());
}

/**
 * @param validSortKeys keys the resource can sort by (after aliasing); others give 400.
 * @param aliases API names mapped to sort keys (`display_name` -> `name`).
 */
export function parseListParams(
  query: Record<string, string>,
  version: ApiVersion,
  maxLimit: number,
  validSortKeys: readonly string[],
  aliases: Record<string, string> = {},
): ListParams {
  const limit = query.limit !== undefined ? Math.min(parseInteger(query.limit, 'limit'), maxLimit) : maxLimit;
  const offset = query.offset !== undefined ? parseInteger(query.offset, 'offset') : 0;
  if (query.sort !== undefined && (query.sort_key !== undefined || query.sort_dir !== undefined)) {
    throw new InvalidInputError("The 'sort_key' and 'sort_dir' parameters are deprecated and cannot be used with the 'sort' parameter.");
  }
  let sort: SortParam[] = [];
  if (query.sort !== undefined) {
    sort = query.sort
      .split(',')
      .filter((s) => s.trim() !== '')
      .map((item) => {
        const [key, dir] = item.split(':');
        return { key: key.trim(), dir: dir === undefined ? 'desc' : parseDir(dir) };
      });
  } else if (query.sort_key !== undefined) {
    const keys = query.sort_key.split(',');
    const dirs = (query.sort_dir ?? '').split(',').filter(Boolean);
    sort = keys.map((key, i) => ({ key: key.trim(), dir: dirs[i] ? parseDir(dirs[i]) : 'desc' }));
  } else if (query.sort_dir !== undefined) {
    sort = [{ key: 'created_at', dir: parseDir(query.sort_dir) }];
  }
  sort = sort.map((s) => ({ ...s, key: aliases[s.key] ?? s.key }));
  for (const s of sort) if (!validSortKeys.includes(s.key)) throw new InvalidInputError('Invalid sort key');
  const countSupported = version.atLeast(MV.SUPPORT_COUNT_INFO);
  const filters: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) {
    if (PAGING_KEYS.has(k)) continue;
    // Below 3.45 with_count is an ordinary filter, as in Cinder.
    if (k === 'with_count' && countSupported) continue;
    filters[k] = v;
  }
  return {
    limit,
    offset,
    marker: query.marker || undefined,
    sort,
    withCount: countSupported && truthy(query.with_count),
    allTenants: truthy(query.all_tenants),
    filters,
  };
}
