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
 * - The API parses the list query (src/api/list-query.ts): paging, sorting and filters from 3.5
 *   (below, only `all_tenants` is read and the list is capped at max_limit); filters resource_uuid,
 *   resource_type, event_id, request_id, message_level, `key~` substring from 3.34, admins also id and
 *   project_id; an unknown key: 400 for non-admins from 3.31, ignored below; an empty list for admins.
 */
import type { RequestContext } from '../context';
import type { MessageRow } from '../db/schema';
import type { Store } from '../db/store';
import * as mq from '../db/queries/messages';
import { nowIso } from '../db/time';
import { MessageNotFoundError } from '../errors';
import { LIST_SOURCES, listPage, requireVisible, type LIST_COLUMNS, type ListInput } from './list-pipeline';

/** A parsed message list query (src/api/list-query.ts). */
export type MessageListInput = ListInput<mq.MessageFilter, (typeof LIST_COLUMNS.messages.sort)[number]>;

export class MessageService {
  constructor(private readonly store: Store) {}

  /** A message the caller may see: its own project's, or any for an admin. */
  async get(ctx: RequestContext, id: string): Promise<MessageRow> {
    return requireVisible(LIST_SOURCES.messages(nowIso()), ctx, id, this.store.db);
  }

  async delete(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(LIST_SOURCES.messages(nowIso()), ctx, id, trx);
      if (!(await mq.deleteMessage(trx, id))) throw new MessageNotFoundError(id);
    });
  }

  /** Below 3.5 the API passes no paging, sort or filters. */
  async list(ctx: RequestContext, input: MessageListInput): Promise<MessageRow[]> {
    const now = nowIso();
    return (await listPage(this.store.db, ctx, input, LIST_SOURCES.messages(now), { now })).rows;
  }
}
