/*
 * Volume actions (POST /volumes/{id}/action), as cinder/volume/api.py and the volume manager do them.
 *
 * - Asynchronous storage work (os-extend, os-retype) is a guarded status change, the quota, and an
 *   operation row, in one transaction; the worker finishes it (operations/extend-volume.ts,
 *   operations/retype-volume.ts).
 * - The legacy Nova attach flow (os-reserve ... os-detach) only changes the store, synchronously, as
 *   Cinder's API and its `call`ed manager methods do: nothing is asked of the file backend except
 *   connection info.
 * - Every transaction is BEGIN IMMEDIATE, so a read of the volume and the guarded write that follows
 *   cannot interleave with another writer.
 */
import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../context';
import type { Store, Db } from '../db/store';
import type { AttachmentRow } from '../db/schema';
import * as aq from '../db/queries/attachments';
import { getAdminMetadata, setAdminMetadata, deleteAdminMetadata } from '../db/queries/admin-metadata';
import { typeNameOf, extraSpecsFor } from '../db/queries/volume-types';
import { updateVolume } from '../db/queries/volumes';
import { nowIso } from '../db/time';
import { BadRequestError, InvalidInputError, InvalidVolumeError } from '../errors';
import { connectionInfoFor, type ConnectionInfoSource, finishDetach, isMultiattachSpec, orStr, requirePlaced, sanitizeHostname } from './attachment-state';
import type { ExtendVolumePayload, RetypeVolumePayload } from './operation-payloads';
import type { OperationQueue } from './operation-queue';
import type { QuotaService } from './quota-service';
import type { VolumeService } from './volume-service';
import type { MigrationService } from './migration-service';
import { LIST_SOURCES, requireVisible } from './list-pipeline';
import { ALLOWED_FROM, NOT_MIGRATING } from './volume-states';
import { requireAdmin, type TypeService } from './volume-type-service';

/** Cinder's text when a retype cannot start (cinder/volume/api.py). */
export const RETYPE_REFUSED_REASON =
  'Retype needs volume to be in available or in-use state, not be part of an active migration or a consistency group, requested type has to be different that the one from the volume, and for in-use volumes front-end qos specs cannot change.';

export interface ResetStatusInput {
  status?: string;
  attach_status?: string;
  /** `null` clears it (sent as "none"). */
  migration_status?: string | null;
}

export interface AttachInput {
  instance_uuid?: string;
  host_name?: string;
  mountpoint: string;
  mode: 'rw' | 'ro';
}

const includes = (list: readonly string[], value: string | null): boolean => value !== null && list.includes(value);

export class VolumeActionService {
  constructor(
    private readonly store: Store,
    private readonly queue: OperationQueue,
    private readonly types: TypeService,
    private readonly quota: QuotaService,
    private readonly volumes: VolumeService,
    private readonly backend: ConnectionInfoSource,
    private readonly migrations: MigrationService,
  ) {}

  // --- os-extend ------------------------------------------------------------------------------

  /** @param attachedAllowed 3.42+: an `in-use` volume may be extended too. */
  async extend(ctx: RequestContext, id: string, newSize: number, rawNewSize: unknown, attachedAllowed: boolean): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      if (newSize <= row.size) {
        throw new InvalidInputError(`New size for extend must be greater than current size. (current: ${row.size}, extended: ${String(rawNewSize)}).`);
      }
      const expected = attachedAllowed && row.status === 'in-use' ? ALLOWED_FROM.extendAttached : ALLOWED_FROM.extend;
      const refused = () => new InvalidVolumeError(`Volume ${id} status must be '{'status': '${expected[0]}'}' to extend, currently ${row.status}.`);
      if (!includes(expected, row.status)) throw refused();
      const typeName = await typeNameOf(trx, row.volume_type_id);
      if (row.consumes_quota) await this.quota.consumeExtend(trx, row.project_id, typeName, row.size, newSize);
      if (!(await updateVolume(trx, id, { status: 'extending', previous_status: row.status, updated_at: nowIso() }, expected))) throw refused();
      const payload: ExtendVolumePayload = {
        new_size: newSize,
        old_size: row.size,
        project_id: row.project_id,
        type_name: typeName,
        consumes_quota: Boolean(row.consumes_quota),
      };
      await this.queue.enqueue(trx, ctx, { kind: 'extend_volume', resourceType: 'volume', resourceId: id, payload });
    });
    this.queue.notify();
  }

  // --- admin actions --------------------------------------------------------------------------

  /** os-reset_status: writes the store only, as Cinder's admin action does. Values are already valid. */
  async resetStatus(ctx: RequestContext, id: string, input: ResetStatusInput): Promise<void> {
    requireAdmin(ctx);
    await this.store.transaction(async (trx) => {
      await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      if (input.status === 'deleting') throw new BadRequestError('Cannot reset-state to deleting');
      const live = (await aq.attachmentsOfVolume(trx, id)).filter((a) => a.attach_status !== 'detached');
      if (input.status === 'in-use' && live.length === 0)
        throw new BadRequestError('Cannot reset-state to in-use because volume does not have any attachments.');
      const now = nowIso();
      await updateVolume(trx, id, {
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.attach_status !== undefined ? { attach_status: input.attach_status } : {}),
        ...(input.migration_status !== undefined ? { migration_status: input.migration_status } : {}),
        updated_at: now,
      });
      if (input.attach_status === 'detached') {
        for (const a of live) await aq.markAttachmentDetached(trx, a.id, now);
        await deleteAdminMetadata(trx, id, 'attached_mode');
      }
    });
  }

  /** os-force_delete: DELETE without the status check (still never attached or migrating). */
  async forceDelete(ctx: RequestContext, id: string): Promise<void> {
    requireAdmin(ctx);
    await this.volumes.delete(ctx, id, { force: true, cascade: false });
  }

  // --- flags ----------------------------------------------------------------------------------

  async setBootable(ctx: RequestContext, id: string, bootable: boolean): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      if (!(await updateVolume(trx, id, { bootable: bootable ? 1 : 0, updated_at: nowIso() }, ALLOWED_FROM.update))) {
        throw new InvalidVolumeError('The volume cannot be updated during maintenance.');
      }
    });
  }

  /** os-update_readonly_flag: admin metadata `readonly` = "True"/"False" (only while `available`). */
  async updateReadonly(ctx: RequestContext, id: string, readonly: boolean): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      if (!(await updateVolume(trx, id, { updated_at: nowIso() }, ALLOWED_FROM.updateReadonly))) {
        throw new InvalidVolumeError(`Volume ${id} status must be available to update readonly flag, but current status is: ${row.status}.`);
      }
      await setAdminMetadata(trx, id, 'readonly', readonly ? 'True' : 'False');
    });
  }

  // --- os-retype ------------------------------------------------------------------------------

  async retype(ctx: RequestContext, id: string, newType: string, migrationPolicy: string | null): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      const type = await this.types.resolve(trx, newType);
      const specs = (await extraSpecsFor(trx, [type.id])).get(type.id) ?? {};
      const targetMultiattach = isMultiattachSpec(specs);
      if (Boolean(row.multiattach) !== targetMultiattach && row.status !== 'available') {
        throw new InvalidInputError(
          `Invalid volume_type passed, retypes affecting multiattach are only allowed on available volumes, the specified volume however currently has a status of: ${row.status}.`,
        );
      }
      if (!includes(ALLOWED_FROM.retype, row.status) || !NOT_MIGRATING.includes(row.migration_status) || row.volume_type_id === type.id) {
        throw new InvalidVolumeError(RETYPE_REFUSED_REASON);
      }
      if (row.consumes_quota) await this.quota.consumeVolumeType(trx, row.project_id, type.name, row.size);
      if (!(await updateVolume(trx, id, { status: 'retyping', previous_status: row.status, updated_at: nowIso() }, ALLOWED_FROM.retype))) {
        throw new InvalidVolumeError(RETYPE_REFUSED_REASON);
      }
      const payload: RetypeVolumePayload = {
        new_type_id: type.id,
        new_type_name: type.name,
        old_type_name: await typeNameOf(trx, row.volume_type_id),
        size: row.size,
        multiattach: targetMultiattach,
        migration_policy: migrationPolicy,
        project_id: row.project_id,
        consumes_quota: Boolean(row.consumes_quota),
        ...(await this.migrations.retypePlan(trx, row, specs, migrationPolicy)),
      };
      await this.queue.enqueue(trx, ctx, { kind: 'retype_volume', resourceType: 'volume', resourceId: id, payload });
    });
    this.queue.notify();
  }

  // --- legacy attach flow (Nova before the attachments API) ------------------------------------

  /** os-reserve: `available` (or `in-use` for multiattach) → `attaching`. */
  async reserve(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      const expected = row.multiattach ? ALLOWED_FROM.reserveMultiattach : ALLOWED_FROM.reserve;
      if (!(await updateVolume(trx, id, { status: 'attaching', updated_at: nowIso() }, expected))) {
        throw new InvalidVolumeError(`Volume status must be ${orStr(expected)} to reserve, but the status is ${row.status}.`);
      }
    });
  }

  /** os-unreserve: `attaching` → `in-use` (live attachments) or `available`; otherwise nothing to do. */
  async unreserve(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      await this.unreserveIn(trx, id);
    });
  }

  private async unreserveIn(trx: Db, id: string): Promise<void> {
    const live = (await aq.attachmentsOfVolume(trx, id)).filter((a) => a.attach_status !== 'detached');
    await updateVolume(trx, id, { status: live.length > 0 ? 'in-use' : 'available', updated_at: nowIso() }, ALLOWED_FROM.unreserve);
  }

  /** os-begin_detaching: `in-use` with attach_status `attached` (and not migrating) → `detaching`. */
  async beginDetaching(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      const migrating = !NOT_MIGRATING.includes(row.migration_status);
      const eligible = row.attach_status === 'attached' && !migrating;
      const changed = eligible && (await updateVolume(trx, id, { status: 'detaching', updated_at: nowIso() }, ALLOWED_FROM.beginDetaching));
      // During a migration Cinder quietly does nothing (the migration owns the status).
      if (!changed && !migrating) {
        throw new InvalidVolumeError("Unable to detach volume. Volume status must be 'in-use' and attach_status must be 'attached' to detach.");
      }
    });
  }

  /** os-roll_detaching: `detaching` → `in-use`; otherwise nothing to do. */
  async rollDetaching(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      await updateVolume(trx, id, { status: 'in-use', updated_at: nowIso() }, ALLOWED_FROM.rollDetaching);
    });
  }

  /** os-initialize_connection: what a host needs to connect (for the file backend, the file's path). */
  async initializeConnection(ctx: RequestContext, id: string, connector: Record<string, unknown> | string): Promise<Record<string, unknown>> {
    const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, this.store.db);
    if (row.status === 'maintenance') throw new InvalidVolumeError('The volume connection cannot be initialized in maintenance mode.');
    requirePlaced(row);
    return connectionInfoFor(this.store.db, this.backend, row, typeof connector === 'object' ? connector : {});
  }

  /** os-terminate_connection: nothing to undo on the file backend; then os-unreserve, as Cinder does. */
  async terminateConnection(ctx: RequestContext, id: string): Promise<void> {
    await this.store.transaction(async (trx) => {
      await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      await this.unreserveIn(trx, id);
    });
  }

  /**
   * os-attach: records an attachment in state `attached` and the volume `in-use` (Cinder's API checks,
   * then the manager's attach_volume). Attaching the same volume to the same instance (or host) again
   * only sets `in-use`.
   */
  async attach(ctx: RequestContext, id: string, input: AttachInput): Promise<void> {
    await this.store.transaction(async (trx) => {
      const row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      if (row.status === 'maintenance') throw new InvalidVolumeError('The volume cannot be attached in maintenance mode.');
      if (!includes(ALLOWED_FROM.attach, row.status)) {
        throw new InvalidVolumeError(`Volume ${id} status must be ${orStr(ALLOWED_FROM.attach)} to attach, but current status is: ${row.status}.`);
      }
      await setAdminMetadata(trx, id, 'readonly', 'False', { overwrite: false });
      const admin = await getAdminMetadata(trx, id);
      if (admin.readonly === 'True' && input.mode !== 'ro') throw new BadRequestError(`Invalid attaching mode '${input.mode}' for volume ${id}.`);
      const refuse = (reason: string) => new BadRequestError(`Error attaching volume - InvalidVolume: Invalid volume: ${reason}`);
      if (row.status === 'attaching' && admin.attached_mode && admin.attached_mode !== input.mode) throw refuse('being attached by different mode');

      const host = input.host_name ? sanitizeHostname(input.host_name) : null;
      const live = (await aq.attachmentsOfVolume(trx, id)).filter((a) => a.attach_status !== 'detached');
      const now = nowIso();
      const same = live.find((a) => (input.instance_uuid ? a.instance_uuid === input.instance_uuid : a.attached_host === host));
      if (same) {
        // Already tracked: Cinder only makes sure the volume says in-use.
        await updateVolume(trx, id, { status: 'in-use', updated_at: now });
        return;
      }
      if (row.status === 'in-use' && !row.multiattach && !row.migration_status) {
        throw refuse('volume is already attached and multiple attachments are not enabled');
      }
      await setAdminMetadata(trx, id, 'attached_mode', input.mode);
      await aq.insertAttachment(trx, {
        id: randomUUID(),
        volume_id: id,
        project_id: row.project_id,
        instance_uuid: input.instance_uuid ?? null,
        attached_host: host,
        mountpoint: input.mountpoint,
        attach_status: 'attached',
        attach_mode: input.mode,
        connector: null,
        connection_info: null,
        attach_time: now,
        detach_time: null,
        created_at: now,
        updated_at: now,
        deleted_at: null,
      });
      await updateVolume(trx, id, { status: 'in-use', attach_status: 'attached', updated_at: now });
    });
  }

  /**
   * os-detach (and os-force_detach): removes one attachment (the given one, or the only one) and sets
   * the volume's statuses from what is left. An attachment id that is not (or no longer) attached to
   * this volume only recomputes the statuses, as Cinder's manager does.
   */
  async detach(ctx: RequestContext, id: string, attachmentId: string | null, opts: { force?: boolean } = {}): Promise<void> {
    const prefix = opts.force ? 'Error force detaching volume' : 'Error detaching volume';
    await this.store.transaction(async (trx) => {
      let row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      if (opts.force) {
        // os-force_detach terminates the connection first, which unreserves an `attaching` volume.
        await this.unreserveIn(trx, id);
        row = await requireVisible(LIST_SOURCES.volumes, ctx, id, trx);
      }
      if (row.status === 'maintenance') throw new InvalidVolumeError('The volume cannot be detached in maintenance mode.');
      const now = nowIso();
      let target: AttachmentRow | undefined;
      if (attachmentId) {
        target = (await aq.attachmentsOfVolume(trx, id)).find((a) => a.id === attachmentId);
      } else {
        const all = await aq.attachmentsOfVolume(trx, id);
        if (all.length > 1) {
          throw new BadRequestError(
            `${prefix} - InvalidVolume: Invalid volume: Detach volume failed: More than one attachment, but no attachment_id provided.`,
          );
        }
        target = all[0];
      }
      await finishDetach(trx, row, target?.id ?? null, now);
    });
  }

  /** os-force_detach (admin): terminate the connection, then detach, whatever the attachment's state. */
  async forceDetach(ctx: RequestContext, id: string, attachmentId: string | null): Promise<void> {
    requireAdmin(ctx);
    await this.detach(ctx, id, attachmentId, { force: true });
  }
}
