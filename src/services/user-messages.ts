/*
 * User messages (Cinder's /messages): when asynchronous work fails, the owner of the resource can read
 * why. Event ids follow Cinder's scheme `VOLUME_<RESOURCE>_<action id>_<detail id>`
 * (cinder/message/message_field.py), and user_message is "<action>:<detail>" (no space, as Cinder's
 * MessagesController builds it). Ids and texts are Cinder's where Cinder has the action or detail; the
 * few Cinder lacks use ids from 101 up, a range Cinder does not use, so they never read as a Cinder event.
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../db/store';
import { nowIso } from '../db/time';
import { insertMessage } from '../db/queries/messages';

export interface MessageAction {
  id: string;
  text: string;
}

/** Cinder's message_field.Action values for the operations we run. */
export const ACTIONS = {
  SCHEDULE_ALLOCATE_VOLUME: { id: '001', text: 'schedule allocate volume' },
  ATTACH_VOLUME: { id: '002', text: 'attach volume' },
  UPDATE_ATTACHMENT: { id: '004', text: 'update attachment' },
  EXTEND_VOLUME: { id: '007', text: 'extend volume' },
  SNAPSHOT_CREATE: { id: '009', text: 'create snapshot' },
  SNAPSHOT_DELETE: { id: '010', text: 'delete snapshot' },
  // Not Cinder actions (Cinder records no message for these): private ids.
  DELETE_VOLUME: { id: '101', text: 'delete volume' },
  REVERT_VOLUME: { id: '102', text: 'revert volume' },
  RETYPE_VOLUME: { id: '103', text: 'retype volume' },
  MIGRATE_VOLUME: { id: '104', text: 'migrate volume' },
} as const satisfies Record<string, MessageAction>;

/** Cinder's message_field.Detail values we report. */
export const DETAILS = {
  UNKNOWN_ERROR: { id: '001', text: 'An unknown error occurred.' },
  /**
   * Cinder's NO_BACKEND_AVAILABLE: what its scheduler reports when no backend qualifies, by its
   * capabilities (services/scheduler.ts) or its free capacity.
   */
  NO_BACKEND_AVAILABLE: { id: '003', text: 'Could not find any available weighted backend.' },
  /** Not a Cinder detail: private id. */
  SOURCE_MISSING: { id: '101', text: 'The source data of the operation could not be found on the backend.' },
  /** Issue 19, not a Cinder detail: a write on the backend failed for space (ENOSPC), not a capacity refusal. */
  BACKEND_OUT_OF_SPACE: { id: '102', text: 'The storage backend is out of space.' },
  /** Issue 19, not a Cinder detail: worker.max_interruptions runs ended with the worker process dead. */
  INTERRUPTED: { id: '103', text: 'The operation was stopped too many times: the volume service kept stopping while it ran.' },
} as const satisfies Record<string, MessageAction>;

/** How long a message is kept (Cinder's message_ttl default: 30 days). */
export const MESSAGE_TTL_SECONDS = 2592000;

/** The operation error the worker records when worker.max_interruptions is exceeded. */
export function interruptedError(times: number): string {
  return `interrupted ${times} times: the worker process died while running it`;
}
const INTERRUPTED_ERROR = /^interrupted \d+ times: the worker process died/;

/** Picks the user-facing detail for a failure; internals (paths, stack) never reach the user. */
export function detailFor(error: string): MessageAction {
  if (/ENOSPC|EDQUOT|no space left|quota exceeded/i.test(error)) return DETAILS.BACKEND_OUT_OF_SPACE;
  if (INTERRUPTED_ERROR.test(error)) return DETAILS.INTERRUPTED;
  if (/not enough space|insufficient free space|no valid backend/i.test(error)) return DETAILS.NO_BACKEND_AVAILABLE;
  if (/ENOENT/.test(error)) return DETAILS.SOURCE_MISSING;
  return DETAILS.UNKNOWN_ERROR;
}

export async function recordMessage(
  db: Db,
  m: {
    projectId: string;
    requestId: string | null;
    resourceType: 'VOLUME' | 'VOLUME_SNAPSHOT' | 'VOLUME_ATTACHMENT';
    resourceId: string;
    action: MessageAction;
    detail: MessageAction;
  },
): Promise<string> {
  const id = randomUUID();
  const now = new Date();
  await insertMessage(db, {
    id,
    project_id: m.projectId,
    request_id: m.requestId,
    resource_type: m.resourceType,
    resource_uuid: m.resourceId,
    event_id: `VOLUME_${m.resourceType}_${m.action.id}_${m.detail.id}`,
    message_level: 'ERROR',
    user_message: `${m.action.text}:${m.detail.text}`,
    created_at: nowIso(now),
    expires_at: nowIso(new Date(now.getTime() + MESSAGE_TTL_SECONDS * 1000)),
  });
  return id;
}
