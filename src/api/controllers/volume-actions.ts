/*
 * POST /volumes/{id}/action: the body's single key names the action (cinder/api/openstack/wsgi.py
 * action_peek). Not exactly one key → 400 "Malformed request body"; an unknown key → 400 "There is no
 * such action: X ...". Each action validates its own body first (Cinder's schema decorators run before the
 * volume lookup), then calls the action service. Success is 202 with an empty body, except
 * os-set_bootable (200, empty) and os-initialize_connection (200, {"connection_info": ...}).
 */
import { BadRequestError, NotFoundError } from '../../errors';
import { MIGRATION_STATUSES, RESETTABLE_ATTACH_STATUSES, VOLUME_STATUSES } from '../../services/volume-states';
import type { ResetStatusInput } from '../../services/volume-action-service';
import type { ApiDeps } from '../deps';
import { MV } from '../microversions';
import { actionRoute, ctxOf, sendEmpty, withoutArguments, type ActionHandler } from '../request';
import { DB_MAX_INT, toBoolean } from '../schemas/parameter-types';
import { pyRepr } from '../schemas/validator';
import * as s from '../schemas/volume-actions';
import { clusterOrHost } from './services';

/** Python's repr of a tuple of strings, as Cinder prints its status lists. */
function pyTuple(items: readonly string[]): string {
  return `(${items.map((i) => `'${i}'`).join(', ')})`;
}

/** new_size as Cinder reads it: an integer, or digits whose value must also be within 1 .. 2^31-1. */
function newSize(raw: number | string): number {
  const n = Number(raw);
  if (n < 1) throw new BadRequestError(`Invalid input for field/attribute new_size. Value: ${pyRepr(raw)}. ${n} is less than the minimum of 1`);
  if (n > DB_MAX_INT)
    throw new BadRequestError(`Invalid input for field/attribute new_size. Value: ${pyRepr(raw)}. ${n} is greater than the maximum of ${DB_MAX_INT}`);
  return n;
}

/** os-reset_status values as Cinder's format checkers see them (lower-cased; "none" clears migration). */
function resetInput(body: unknown): ResetStatusInput {
  const inner = (body as Record<string, unknown>)['os-reset_status'];
  if (inner && typeof inner === 'object' && !Array.isArray(inner)) {
    const i = inner as Record<string, unknown>;
    if (!i.status && !i.attach_status && !i.migration_status)
      throw new BadRequestError("Must specify 'status', 'attach_status' or 'migration_status' for update.");
  }
  const v = s.validateResetStatus(body)['os-reset_status'];
  const out: ResetStatusInput = {};
  if (v.status) {
    out.status = v.status.toLowerCase();
    if (!(VOLUME_STATUSES as readonly string[]).includes(out.status)) {
      throw new BadRequestError(`Volume status: ${v.status} is invalid, valid statuses are: ${pyTuple(VOLUME_STATUSES)}.`);
    }
  }
  if (v.attach_status) {
    out.attach_status = v.attach_status.toLowerCase();
    if (!(RESETTABLE_ATTACH_STATUSES as readonly string[]).includes(out.attach_status)) {
      throw new BadRequestError(
        `Volume attach status: ${v.attach_status} is invalid, valid statuses are: [${RESETTABLE_ATTACH_STATUSES.map((x) => `'${x}'`).join(', ')}].`,
      );
    }
  }
  if (v.migration_status) {
    const m = v.migration_status.toLowerCase();
    if (!(MIGRATION_STATUSES as readonly string[]).includes(m)) {
      throw new BadRequestError(`Volume migration status: ${v.migration_status} is invalid, valid statuses are: ${pyTuple(MIGRATION_STATUSES)}.`);
    }
    out.migration_status = m === 'none' ? null : m;
  }
  return out;
}

export function volumeActionController(deps: ApiDeps) {
  const actions: Record<string, ActionHandler> = {
    async 'os-extend'(req, res, id) {
      const raw = s.validateExtend(req.body)['os-extend'].new_size;
      await deps.actions.extend(ctxOf(req), id, newSize(raw), raw, req.apiVersion!.atLeast(MV.VOLUME_EXTEND_INUSE));
      sendEmpty(res, 202);
    },

    async 'os-reset_status'(req, res, id) {
      await deps.actions.resetStatus(ctxOf(req), id, resetInput(req.body));
      sendEmpty(res, 202);
    },

    'os-force_delete': withoutArguments(s.validateForceDelete, (ctx, id) => deps.actions.forceDelete(ctx, id)),

    async 'os-set_bootable'(req, res, id) {
      const { bootable } = s.validateSetBootable(req.body)['os-set_bootable'];
      await deps.actions.setBootable(ctxOf(req), id, toBoolean(bootable));
      sendEmpty(res, 200);
    },

    async 'os-update_readonly_flag'(req, res, id) {
      const { readonly } = s.validateReadonly(req.body)['os-update_readonly_flag'];
      await deps.actions.updateReadonly(ctxOf(req), id, toBoolean(readonly));
      sendEmpty(res, 202);
    },

    async 'os-retype'(req, res, id) {
      const body = s.validateRetype(req.body)['os-retype'];
      await deps.actions.retype(ctxOf(req), id, body.new_type, body.migration_policy ?? null);
      sendEmpty(res, 202);
    },

    async 'os-migrate_volume'(req, res, id) {
      const v316 = req.apiVersion!.atLeast(MV.VOLUME_MIGRATE_CLUSTER);
      const body = (v316 ? s.validateMigrateVolumeV316(req.body) : s.validateMigrateVolume(req.body))['os-migrate_volume'] as {
        host?: string | null;
        cluster?: string;
        force_host_copy?: unknown;
        lock_volume?: unknown;
      };
      const { host, cluster } = clusterOrHost(body, req.apiVersion!, MV.VOLUME_MIGRATE_CLUSTER);
      await deps.migrations.migrate(ctxOf(req), id, {
        host: host ?? null,
        cluster: cluster ?? null,
        lockVolume: body.lock_volume === undefined ? false : toBoolean(body.lock_volume as string | boolean),
      });
      sendEmpty(res, 202);
    },

    async 'os-migrate_volume_completion'(req, res, id) {
      const body = s.validateMigrateVolumeCompletion(req.body)['os-migrate_volume_completion'];
      const saved = await deps.migrations.complete(ctxOf(req), id, body.new_volume);
      res.send(200, { save_volume_id: saved });
    },

    async revert(req, res, id) {
      // 3.40+; below, Cinder's versioned action answers as if it did not exist.
      if (!req.apiVersion!.atLeast(MV.VOLUME_REVERT)) throw new NotFoundError();
      const body = s.validateRevert(req.body).revert;
      await deps.snapshots.revertVolume(ctxOf(req), id, body.snapshot_id);
      sendEmpty(res, 202);
    },

    'os-reserve': withoutArguments(s.validateReserve, (ctx, id) => deps.actions.reserve(ctx, id)),
    'os-unreserve': withoutArguments(s.validateUnreserve, (ctx, id) => deps.actions.unreserve(ctx, id)),

    async 'os-initialize_connection'(req, res, id) {
      const { connector } = s.validateInitializeConnection(req.body)['os-initialize_connection'];
      const info = await deps.actions.initializeConnection(ctxOf(req), id, connector);
      res.send(200, { connection_info: info });
    },

    async 'os-attach'(req, res, id) {
      const body = s.validateAttach(req.body)['os-attach'];
      await deps.actions.attach(ctxOf(req), id, {
        instance_uuid: body.instance_uuid,
        host_name: body.host_name,
        mountpoint: body.mountpoint,
        mode: body.mode ?? 'rw',
      });
      sendEmpty(res, 202);
    },

    'os-begin_detaching': withoutArguments(s.validateBeginDetaching, (ctx, id) => deps.actions.beginDetaching(ctx, id)),
    'os-roll_detaching': withoutArguments(s.validateRollDetaching, (ctx, id) => deps.actions.rollDetaching(ctx, id)),

    async 'os-detach'(req, res, id) {
      const body = s.validateDetach(req.body)['os-detach'];
      await deps.actions.detach(ctxOf(req), id, body?.attachment_id ?? null);
      sendEmpty(res, 202);
    },

    // The connector is validated but not needed: the file backend has nothing to undo.
    'os-terminate_connection': withoutArguments(s.validateTerminateConnection, (ctx, id) => deps.actions.terminateConnection(ctx, id)),

    async 'os-force_detach'(req, res, id) {
      const body = s.validateForceDetach(req.body)['os-force_detach'];
      await deps.actions.forceDetach(ctxOf(req), id, body.attachment_id ?? null);
      sendEmpty(res, 202);
    },
  };

  return { action: actionRoute('volume_id', actions) };
}
