/*
 * Attachment views (cinder/api/v3/views/attachments.py). Summary: id, status (the attach status),
 * instance, volume_id. Detail adds attached_at / detached_at ("" when unset, otherwise always with
 * microseconds, as Cinder's JSON encoder writes datetimes), attach_mode (Cinder's placeholder string
 * "null" when unset) and connection_info ({} when unset). Lists carry no links.
 */
import type { AttachmentRow } from '../../db/schema';

function time(stored: string | null): string {
  return stored ?? '';
}

function json(text: string | null): Record<string, unknown> {
  if (!text) return {};
  try {
    const value = JSON.parse(text) as unknown;
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function summary(a: AttachmentRow): Record<string, unknown> {
  return { id: a.id, status: a.attach_status, instance: a.instance_uuid, volume_id: a.volume_id };
}

export function detail(a: AttachmentRow): Record<string, unknown> {
  return {
    ...summary(a),
    attached_at: time(a.attach_time),
    detached_at: time(a.detach_time),
    attach_mode: a.attach_mode ?? 'null',
    connection_info: json(a.connection_info),
  };
}

export function list(rows: AttachmentRow[], opts: { detail: boolean }): Record<string, unknown> {
  return { attachments: rows.map(opts.detail ? detail : summary) };
}
