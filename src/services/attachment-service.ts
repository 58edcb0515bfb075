/*
 * The attachments API (3.27+), as cinder/volume/api.py (attachment_create/update/delete) and the
 * manager's attachment_update do it:
 *
 *   POST /attachments          volume available → reserved, attachment reserved
 *                              (with a connector: both → attaching, connection_info filled)
 *   PUT /attachments/{id}      connector given: attachment and volume → attaching, connection_info
 *   os-complete (3.44+)        attachment → attached, volume → in-use
 *   DELETE /attachments/{id}   attachment detached (soft-deleted); the volume's statuses follow what is
 *                              left (none: available)
 *
 * Connection info is built before the write transaction (backend work never holds the write lock); the
 * transaction then re-reads and re-checks what it changes.
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../context';
import type { Store, Db } from '../db/store';
import type { AttachmentRow, VolumeRow } from '../db/schema';
import * as aq from '../db/queries/attachments';
import { getAdminMetadata } from '../db/queries/admin-metadata';
import { extraSpecsFor } from '../db/queries/volume-types';
import { getVolume, updateVolume } from '../db/queries/volumes';
import { nowIso } from '../db/time';
import { AttachmentNotFoundError, InvalidVolumeError } from '../errors';
import { LIST_SOURCES, listPage, requireVisible, type LIST_COLUMNS, type ListInput } from './list-pipeline';
import { connectionInfoFor, type ConnectionInfoSource, finishDetach, isMultiattachSpec, orStr, requirePlaced } from './attachment-state';
import { ALLOWED_FROM } from './volume-states';

export interface CreateAttachmentInput {
  volumeId: string;
  instanceUuid?: string;
  connector?: Record<string, unknown> | null;
  /** 3.54+: `rw`/`ro`; undefined stores Cinder's placeholder "null". */
  mode?: 'rw' | 'ro';
}

/** A parsed attachment list query (src/api/list-query.ts). */
export type AttachmentListInput = ListInput<aq.AttachmentFilter, (typeof LIST_COLUMNS.attachments.sort)[number]>;

export class AttachmentService {
  constructor(
    private readonly store: Store,
    private readonly backend: ConnectionInfoSource,
  ) {}

  async get(ctx: RequestContext, id: string): Promise<AttachmentRow> {
    return requireVisible(LIST_SOURCES.attachments, ctx, id, this.store.db);
  }

  async list(ctx: RequestContext, input: AttachmentListInput): Promise<AttachmentRow[]> {
    return (await listPage(this.store.db, ctx, input, LIST_SOURCES.attachments, {})).rows;
  }

  /** POST /attachments: reserve the volume (and connect at once when a connector is given). */
  async create(ctx: RequestContext, input: CreateAttachmentInput): Promise<AttachmentRow> {
    const volume = await requireVisible(LIST_SOURCES.volumes, ctx, input.volumeId, this.store.db);
    this.refuseErrorStatus(volume, 'created');
    // The reservation rules first (a clearer answer than "no backing storage" for a busy volume).
    if (!(this.reservable(volume) || (await this.sameInstanceAgain(this.store.db, volume, input.instanceUuid)))) throw this.notReservable(volume);
    const id = randomUUID();
    // As Cinder (`if connector:` in Python): an empty connector, which cinderclient always sends, only reserves.
    const connection = input.connector && Object.keys(input.connector).length > 0 ? await this.connect(volume, input.connector) : undefined;
    return this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, input.volumeId, trx);
      this.refuseErrorStatus(row, 'created');
      const now = nowIso();
      if (!(await updateVolume(trx, row.id, { status: 'reserved', updated_at: now }, this.reserveFrom(row)))) {
        if (!(await this.sameInstanceAgain(trx, row, input.instanceUuid))) throw this.notReservable(row);
      }
      await aq.insertAttachment(trx, {
        id,
        volume_id: row.id,
        project_id: row.project_id,
        instance_uuid: input.instanceUuid ?? null,
        attached_host: null,
        mountpoint: null,
        attach_status: 'reserved',
        attach_mode: null,
        connector: null,
        connection_info: null,
        attach_time: null,
        detach_time: null,
        created_at: now,
        updated_at: null,
        deleted_at: null,
      });
      if (connection) await this.applyConnection(trx, row.id, id, input.connector!, connection, now);
      // Cinder sets the mode last: the deprecated `readonly` admin metadata wins, else the 3.54 `mode`
      // argument, else its placeholder "null" (even after connecting with a connector).
      const readonly = (await getAdminMetadata(trx, row.id)).readonly === 'True';
      await aq.updateAttachment(trx, id, { attach_mode: readonly ? 'ro' : (input.mode ?? 'null') });
      return (await aq.getAttachment(trx, id))!;
    });
  }

  /** PUT /attachments/{id}: connect with the given connector (attachment and volume → attaching). */
  async update(ctx: RequestContext, id: string, connector: Record<string, unknown>): Promise<AttachmentRow> {
    const attachment = await requireVisible(LIST_SOURCES.attachments, ctx, id, this.store.db);
    const volume = await this.requireVolumeOf(attachment);
    this.refuseErrorStatus(volume, 'updated');
    await this.refuseDuplicateConnectors(this.store.db, volume);
    const connection = await this.connect(volume, connector);
    return this.store.transaction(async (trx) => {
      const current = await requireVisible(LIST_SOURCES.attachments, ctx, id, trx);
      const row = await this.requireVolumeOf(current, trx);
      this.refuseErrorStatus(row, 'updated');
      await this.refuseDuplicateConnectors(trx, row);
      await this.applyConnection(trx, row.id, id, connector, connection, nowIso());
      return (await aq.getAttachment(trx, id))!;
    });
  }

  /** os-complete: the attachment is in use (attachment attached, volume in-use). */
  async complete(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const attachment = await requireVisible(LIST_SOURCES.attachments, ctx, id, trx);
      const volume = await this.requireVolumeOf(attachment, trx);
      const now = nowIso();
      await aq.updateAttachment(trx, id, { attach_status: 'attached', updated_at: now });
      await updateVolume(trx, volume.id, { attach_status: 'attached', updated_at: now });
      // A status owned by a running operation (extending, ...) is left to it.
      await updateVolume(trx, volume.id, { status: 'in-use' }, ALLOWED_FROM.followsAttachments);
    });
  }

  /** DELETE /attachments/{id}: detach; returns the volume's remaining attachments. */
  async delete(ctx: RequestContext, id: string): Promise<AttachmentRow[]> {
    return this.store.transaction(async (trx) => {
      const attachment = await requireVisible(LIST_SOURCES.attachments, ctx, id, trx);
      const volume = await getVolume(trx, attachment.volume_id);
      if (volume) await finishDetach(trx, volume, id, nowIso());
      else await aq.markAttachmentDetached(trx, id, nowIso());
      return aq.attachmentsOfVolume(trx, attachment.volume_id);
    });
  }

  private reserveFrom(volume: VolumeRow): readonly string[] {
    return volume.multiattach ? ALLOWED_FROM.attachmentReserveMultiattach : ALLOWED_FROM.attachmentReserve;
  }

  private reservable(volume: VolumeRow): boolean {
    return this.reserveFrom(volume).includes(volume.status);
  }

  /** The same instance may reserve again while the volume is in-use or reserved (Nova moving it between hosts). */
  private async sameInstanceAgain(db: Db, volume: VolumeRow, instanceUuid: string | undefined): Promise<boolean> {
    if (instanceUuid === undefined || (volume.status !== 'in-use' && volume.status !== 'reserved')) return false;
    return (await aq.attachmentsOfVolume(db, volume.id)).some((a) => a.instance_uuid === instanceUuid);
  }

  private notReservable(volume: VolumeRow): InvalidVolumeError {
    return new InvalidVolumeError(
      `Volume ${volume.id} status must be ${orStr(this.reserveFrom(volume))} to reserve, but the current status is ${volume.status}.`,
    );
  }

  private async requireVolumeOf(attachment: AttachmentRow, db: Db = this.store.db): Promise<VolumeRow> {
    // The attachment's volume is read with admin rights, as Cinder does.
    const volume = await getVolume(db, attachment.volume_id);
    if (!volume) throw new AttachmentNotFoundError(attachment.id);
    return volume;
  }

  private refuseErrorStatus(volume: VolumeRow, what: 'created' | 'updated'): void {
    if (volume.status.includes('error')) {
      throw new InvalidVolumeError(
        `Volume attachments can not be ${what} if the volume is in an error state. The Volume ${volume.id} currently has a status of: ${volume.status} `,
      );
    }
  }

  /** Cinder refuses a second connection on a non-multiattach volume ("duplicate connectors"). */
  private async refuseDuplicateConnectors(db: Db, volume: VolumeRow): Promise<void> {
    const live = await aq.attachmentsOfVolume(db, volume.id);
    if (live.length <= 1 || volume.multiattach) return;
    const specs = (await extraSpecsFor(db, [volume.volume_type_id])).get(volume.volume_type_id) ?? {};
    if (isMultiattachSpec(specs)) return;
    if (live.some((a) => a.connection_info)) throw new InvalidVolumeError(`duplicate connectors detected on volume ${volume.id}`);
  }

  /** The driver's connection info, flattened as the attachments API returns it (data keys at the top). */
  private async connect(volume: VolumeRow, connector: Record<string, unknown>): Promise<Record<string, unknown>> {
    requirePlaced(volume);
    const info = await connectionInfoFor(this.store.db, this.backend, volume, connector);
    const { data, ...rest } = info;
    return { ...data, ...rest };
  }

  /** The manager's attachment_update: connector, connection info, mode, host and mountpoint; → attaching. */
  private async applyConnection(
    trx: Db,
    volumeId: string,
    id: string,
    connector: Record<string, unknown>,
    connection: Record<string, unknown>,
    now: string,
  ): Promise<void> {
    const attachment = (await aq.getAttachment(trx, id))!;
    let mode = typeof connector.mode === 'string' ? connector.mode : 'rw';
    const stored = { ...connector };
    if (attachment.attach_mode && attachment.attach_mode !== 'null') {
      mode = attachment.attach_mode;
      stored.mode = mode;
    }
    await aq.updateAttachment(trx, id, {
      attach_status: 'attaching',
      connector: JSON.stringify(stored),
      connection_info: JSON.stringify({ ...connection, attachment_id: id }),
      attached_host: typeof connector.host === 'string' ? connector.host : '',
      mountpoint: typeof connector.mountpoint === 'string' ? connector.mountpoint : 'na',
      attach_mode: mode,
      attach_time: now,
      updated_at: now,
    });
    await updateVolume(trx, volumeId, { attach_status: 'attaching', updated_at: now });
    await updateVolume(trx, volumeId, { status: 'attaching' }, ALLOWED_FROM.followsAttachments);
  }
}
