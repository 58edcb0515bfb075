/*
 * User message views (cinder/api/v3/views/messages.py): one detail shape for show and list items;
 * `resource_type` and `resource_uuid` appear only when set; `guaranteed_until` is the expiry time.
 */
import type { MessageRow } from '../../db/schema';
import { renderTimestamp } from '../../db/time';
import { nextLinks, resourceLinks, type ViewContext } from './view-context';

export function detail(v: ViewContext, row: MessageRow): Record<string, unknown> {
  const out: Record<string, unknown> = {
    id: row.id,
    event_id: row.event_id,
    user_message: row.user_message,
    message_level: row.message_level,
    created_at: renderTimestamp(row.created_at),
    guaranteed_until: renderTimestamp(row.expires_at),
    request_id: row.request_id,
    links: resourceLinks(v, 'messages', row.id),
  };
  if (row.resource_type) out.resource_type = row.resource_type;
  if (row.resource_uuid) out.resource_uuid = row.resource_uuid;
  return out;
}

export interface MessagePage {
  rows: MessageRow[];
  limit: number;
  query: Record<string, string | string[] | undefined>;
}

export function list(v: ViewContext, page: MessagePage): Record<string, unknown> {
  const out: Record<string, unknown> = { messages: page.rows.map((r) => detail(v, r)) };
  const links = nextLinks(v, 'messages', page.query, page.rows, page.limit);
  if (links) out.messages_links = links;
  return out;
}
