/*
 * What every view needs to know about the request: microversion, whether the caller is admin and its
 * project, the public base URL, and whether the request path carried a project id (links mirror it).
 */
import type { ApiVersion } from '../microversions';

export interface ViewContext {
  version: ApiVersion;
  isAdmin: boolean;
  projectId: string;
  /** Public base URL without a trailing slash, e.g. `https://volume.example.com`. */
  baseUrl: string;
  /** The project id of the request path, when it had one. */
  pathProjectId?: string;
}

export interface Link {
  rel: string;
  href: string;
}

function projectPart(v: ViewContext): string {
  return v.pathProjectId ? `/${v.pathProjectId}` : '';
}

/** Cinder's self and bookmark links; the bookmark is the self link without `/v3`. */
export function resourceLinks(v: ViewContext, collection: string, id: string): Link[] {
  return [
    { rel: 'self', href: `${v.baseUrl}/v3${projectPart(v)}/${collection}/${id}` },
    { rel: 'bookmark', href: `${v.baseUrl}${projectPart(v)}/${collection}/${id}` },
  ];
}

/**
 * The `next` link of a paged list (cinder/api/common.py _get_collection_links): present when a full page
 * came back, or with `with_count` while items remain counted. Keeps the original query, marker last.
 */
export function nextLinks(
  v: ViewContext,
  collectionPath: string,
  query: Record<string, string | string[] | undefined>,
  items: { id: string }[],
  limit: number,
  count?: number,
): Link[] | undefined {
  if (items.length === 0) return undefined;
  const basis = count ?? items.length;
  if (limit > basis) return undefined;
  const params = new URLSearchParams();
  for (const [k, value] of Object.entries(query)) {
    if (k === 'marker' || value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) params.append(k, one);
  }
  params.append('marker', items[items.length - 1].id);
  return [{ rel: 'next', href: `${v.baseUrl}/v3${projectPart(v)}/${collectionPath}?${params.toString()}` }];
}

/** One page of a paged list, as the controller got it from its service. */
export interface ListPage<Item> {
  records: Item[];
  /** With `with_count` (3.45): all matches, ignoring limit and marker. */
  count?: number;
  limit: number;
  query: Record<string, string | string[] | undefined>;
}

/**
 * The body of every paged Cinder list: `{<key>: [...], <key>_links?: [next], count?}`; `linksKey` where
 * Cinder names the links otherwise (`group_links`, `group_snapshot_links`).
 */
export function pagedList<Item extends { row: { id: string } }>(
  v: ViewContext,
  key: string,
  path: string,
  page: ListPage<Item>,
  item: (r: Item) => Record<string, unknown>,
  linksKey = `${key}_links`,
): Record<string, unknown> {
  const out: Record<string, unknown> = { [key]: page.records.map(item) };
  const links = nextLinks(
    v,
    path,
    page.query,
    page.records.map((r) => r.row),
    page.limit,
    page.count,
  );
  if (links) out[linksKey] = links;
  if (page.count !== undefined) out.count = page.count;
  return out;
}

type ItemView<Item> = (v: ViewContext, r: Item) => Record<string, unknown>;

/** The summary and detail list bodies of a paged collection (`<collection>` and `<collection>/detail`). */
export function pagedLists<Item extends { row: { id: string } }>(collection: string, summary: ItemView<Item>, detail: ItemView<Item>) {
  return {
    summaryList: (v: ViewContext, page: ListPage<Item>) => pagedList(v, collection, collection, page, (r) => summary(v, r)),
    detailList: (v: ViewContext, page: ListPage<Item>) => pagedList(v, collection, `${collection}/detail`, page, (r) => detail(v, r)),
  };
}
