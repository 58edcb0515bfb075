/*
 * What the legacy attach actions (action-service.ts) and the attachments API (attachment-service.ts)
 * share: detaching an attachment and recomputing the volume's statuses from what is left (Cinder's
 * `finish_detach` / `volume_detached`), building connection info (the driver's, plus Cinder's
 * `_parse_connection_options`), and the small text helpers Cinder's messages use.
 */
import type { Db } from '../db/store';
import type { VolumeRow, VolumeUpdate } from '../db/schema';
import * as aq from '../db/queries/attachments';
import { deleteAdminMetadata, getAdminMetadata } from '../db/queries/admin-metadata';
import { updateVolume } from '../db/queries/volumes';
import { extraSpecsFor } from '../db/queries/volume-types';
import { connectionQosSpecs } from './qos-spec-service';
import { InvalidVolumeError } from '../errors';
import { ALLOWED_FROM } from './volume-states';

/** Cinder's utils.build_or_str: `a or b or c`. */
export function orStr(items: readonly string[]): string {
  return items.join(' or ');
}

/** Cinder's volume_utils.sanitize_hostname (RFC 952/1123). */
export function sanitizeHostname(name: string): string {
  return (
    name
      // Cinder drops every character outside Latin-1 (the range starts at NUL by definition).
      // eslint-disable-next-line no-control-regex
      .replace(/[^\u0000-\u00ff]/g, '')
      .replace(/[ _]/g, '-')
      .replace(/[^\w.-]+/g, '')
      .toLowerCase()
      .replace(/^[.-]+|[.-]+$/g, '')
  );
}

/** True when the type's extra specs make volumes of that type multiattach. */
export function isMultiattachSpec(specs: Record<string, string>): boolean {
  return specs.multiattach === '<is> True';
}

/**
 * Detaches `attachmentId` (if given and live on this volume), drops the `attached_mode` admin metadata,
 * and sets the volume's attach_status (and status) from the attachments that remain: attached → in-use,
 * none → available. A status owned by a running operation (extending, retyping, ...) or an error status is
 * kept; so is the status of a volume being migrated or uploaded, as Cinder does.
 */
export async function finishDetach(trx: Db, volume: VolumeRow, attachmentId: string | null, now: string): Promise<void> {
  if (attachmentId) {
    const att = await aq.getAttachment(trx, attachmentId);
    if (att && att.volume_id === volume.id) await aq.markAttachmentDetached(trx, attachmentId, now);
  }
  await deleteAdminMetadata(trx, volume.id, 'attached_mode');
  const { status, attachStatus } = await aq.statusesFromAttachments(trx, volume.id);
  const changes: VolumeUpdate = { attach_status: attachStatus, updated_at: now };
  const migration = volume.migration_status;
  const statusFollows = attachStatus !== 'detached' || (!migration && volume.status !== 'uploading') || migration === 'success' || migration === 'error';
  if (statusFollows && (ALLOWED_FROM.followsAttachments as readonly string[]).includes(volume.status)) changes.status = status;
  await updateVolume(trx, volume.id, changes);
}

/**
 * The one thing the API side asks of a backend driver: how a host reaches a volume. The worker's drivers
 * (worker/backends) implement it; bootstrap hands one to the services.
 */
export interface ConnectionInfoSource {
  /** `host` is the volume's (`host@backend#pool`): it names the backend that holds it. */
  connectionInfo(volume: { id: string; size: number; host: string | null }, connector: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** Refuses volumes the backend holds nothing for yet (never placed, e.g. still `creating`). */
export function requirePlaced(volume: VolumeRow): void {
  if (!volume.host) throw new InvalidVolumeError(`Volume ${volume.id} has no backing storage yet, current status is: ${volume.status}.`);
}

/**
 * The driver's connection info plus what Cinder's manager adds (`_parse_connection_options`):
 * `qos_specs` (the type's front-end QoS specs, else null), `access_mode` (the legacy attach mode,
 * else `ro` for a read-only volume, else `rw`), `encrypted` and `cacheable` (type extra spec
 * `cacheable="<is> True"`).
 */
export async function connectionInfoFor(
  db: Db,
  backend: ConnectionInfoSource,
  volume: VolumeRow,
  connector: Record<string, unknown>,
): Promise<{ driver_volume_type: unknown; data: Record<string, unknown> }> {
  const info = await backend.connectionInfo({ id: volume.id, size: volume.size, host: volume.host }, connector);
  const admin = await getAdminMetadata(db, volume.id);
  const specs = (await extraSpecsFor(db, [volume.volume_type_id])).get(volume.volume_type_id) ?? {};
  const data: Record<string, unknown> = { ...((info.data as Record<string, unknown> | undefined) ?? {}) };
  data.qos_specs = await connectionQosSpecs(db, volume);
  data.access_mode = admin.attached_mode ?? (admin.readonly === 'True' ? 'ro' : 'rw');
  if (data.encrypted === undefined || data.encrypted === null) data.encrypted = Boolean(volume.encrypted);
  data.cacheable =
    data.cacheable !== undefined && data.cacheable !== null ? Boolean(data.cacheable) && specs.cacheable === '<is> True' : specs.cacheable === '<is> True';
  return { ...info, driver_volume_type: info.driver_volume_type, data };
}
