/*
 * User messages (cinder/api/v3/messages.py, cinder/message/api.py): what went wrong in asynchronous work,
 * read by the owner of the resource. The worker loop writes them (messages.ts); this service lists, shows
 * and deletes them.
 *
 * Rules, as in Cinder unless noted:
 * - A caller sees its own project's messages; an admin sees any message by id, and lists every project
 *   with `all_tenants` (or one with the `project_id` filter). (Cinder's list is not scoped by project at
 *   all for admins; we scope it like the volume list.)
 * - Expired messages (`expires_at`, i.e. `guaranteed_until`, passed) are gone: not listed, 404 by id.
 * - Paging, sorting and filters exist from 3.5 (MESSAGES_PAGINATION); below, the query is ignored (only
 *   `all_tenants` is read) and the list is capped at max_limit.
 * - Filters: resource_uuid, resource_type, event_id, request_id, message_level (resource_filters.json);
 *   `key~` substring from 3.34; admins may also use id and project_id. An unknown key: 400 for
 *   non-admins from 3.31, ignored below; an empty list for admins.
 */
import { unknownFiltersMatchNothing } from './volume-filters';
import type { ListParams } from '../api/list-params';
import { MV, type ApiVersion } from '../api/microversions';
import type { RequestContext } from '../context';
import type { MessageRow } from '../db/schema';
import type { Store } from '../db/store';
import * as mq from '../db/queries/messages';
import { nowIso } from '../db/time';
import { NotFoundError } from '../errors';

const USER_FILTERS: readonly mq.MessageColumn[] = ['resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level'];
const ADMIN_FILTERS: readonly mq.MessageColumn[] = ['id', 'project_id'];

export class MessageNotFoundError extends NotFoundError {
  constructor(id: string) {
    super(`Message ${id} could not be found.`);
  }
}

export interface ParsedMessageFilters {
  filters: mq.MessageFilter[];
  matchesNothing: boolean;
  /** `project_id` given by an admin: list that project. */
  projectId?: string;
}

export function parseMessageFilters(ctx: RequestContext, version: ApiVersion, raw: Record<string, string>): ParsedMessageFilters {
  const out: ParsedMessageFilters = { filters: [], matchesNothing: false };
  const unknown: string[] = [];
  for (const [rawKey, value] of Object.entries(raw)) {
    let key = rawKey;
    let like = false;
    if (key.endsWith('~') && version.atLeast(MV.LIKE_FILTER)) {
      like = true;
      key = key.slice(0, -1);
    }
    const column = key as mq.MessageColumn;
    if (!USER_FILTERS.includes(column) && !(ctx.isAdmin && ADMIN_FILTERS.includes(column))) {
      unknown.push(rawKey);
      continue;
    }
    if (column === 'project_id' && !like) out.projectId = value;
    else out.filters.push({ column, op: like ? 'like' : 'eq', value });
  }
  if (unknownFiltersMatchNothing(ctx, version, unknown)) out.matchesNothing = true;
  return out;
}

export class MessageService {
  constructor(private readonly store: Store) {}

  /** A message the caller may see: its own project's, or any for an admin. */
  async get(ctx: RequestContext, id: string): Promise<MessageRow> {
    const row = await mq.getMessage(this.store.db, id, nowIso());
    if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId)) throw new MessageNotFoundError(id);
    return row;
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await mq.getMessage(trx, id, nowIso());
      if (!row || (!ctx.isAdmin && row.project_id !== ctx.projectId) || !(await mq.deleteMessage(trx, id))) throw new MessageNotFoundError(id);
    });
  }

  /** `params` comes from parseListParams; below 3.5 the controller passes no paging, sort or filters. */
  async list(ctx: RequestContext, params: ListParams, version: ApiVersion): Promise<MessageRow[]> {
    const parsed = parseMessageFilters(ctx, version, params.filters);
    const projectId = ctx.isAdmin && (params.allTenants || parsed.projectId !== undefined) ? parsed.projectId : ctx.projectId;
    const sort: mq.MessageSortKey[] = params.sort.map((s) => ({ column: s.key as mq.MessageColumn, dir: s.dir }));
    const defaultDir = sort[0]?.dir ?? 'desc';
    for (const column of ['created_at', 'id'] as const) if (!sort.some((s) => s.column === column)) sort.push({ column, dir: defaultDir });
    const now = nowIso();
    const query: mq.MessageListQuery = {
      projectId,
      filters: parsed.filters,
      matchesNothing: parsed.matchesNothing,
      sort,
      limit: params.limit,
      offset: params.offset,
      now,
    };
    if (params.marker !== undefined) {
      const marker = await mq.getMessage(this.store.db, params.marker, now);
      if (!marker || (projectId !== undefined && marker.project_id !== projectId)) throw new MessageNotFoundError(params.marker);
      query.marker = marker;
    }
    return mq.listMessages(this.store.db, query);
  }
}
