/*
 * Generic volume groups (3.13) and group snapshots (3.14): lists, create, show, update, the group
 * actions (delete, reset_status from 3.20), create-from-src (3.14), group snapshot reset_status (3.19).
 * Thin: validate, call the group service, render.
 */
import type { Request, Response } from 'restify';
import { BadRequestError, NotFoundError } from '../../errors';
import { GROUP_SNAPSHOT_STATUSES, GROUP_STATUSES } from '../../services/group-service';
import type { ApiDeps } from '../deps';
import { LIST_RESOURCES } from '../list-query';
import { listRequest, summaryAndDetailRoutes } from '../list-route';
import { MV, type ApiVersion } from '../microversions';
import { actionRoute, boolQueryParam, ctxOf, param, queryOf, sendEmpty, trimmed, viewOf } from '../request';
import { toBoolean } from '../schemas/parameter-types';
import { pyRepr } from '../schemas/validator';
import {
  validateGroupCreate,
  validateGroupCreateFromSource,
  validateGroupDelete,
  validateGroupSnapshotCreate,
  validateGroupUpdate,
  validateResetStatus,
} from '../schemas/groups';
import * as view from '../views/groups';

/**
 * The status of a reset_status body (formats group_status / group_snapshot_status), lower-cased.
 * Cinder checks a group's status against the group snapshot statuses (so `in-use` is refused) and names
 * the group statuses in the message; so do we.
 */
function resetStatusOf(body: unknown, what: 'Group status' | 'Group snapshot status', valid: readonly string[]): string {
  const status = validateResetStatus(body).reset_status.status;
  if (status === null) throw new BadRequestError("The 'status' can not be None.");
  const invalid = (reason: string) => new BadRequestError(`Invalid input for field/attribute status. Value: ${pyRepr(status)}. ${reason}`);
  if (status.trim() === '') throw invalid("The 'status' can not be empty.");
  if (!(GROUP_SNAPSHOT_STATUSES as readonly string[]).includes(status.toLowerCase())) {
    const verb = what === 'Group status' ? 'valid status are' : 'valid statuses are';
    throw invalid(`${what}: ${status} is invalid, ${verb}: (${valid.map((s) => `'${s}'`).join(', ')}).`);
  }
  return status.toLowerCase();
}

function requireVersion(version: ApiVersion, since: ApiVersion): void {
  if (!version.atLeast(since)) throw new NotFoundError();
}

export function groupController(deps: ApiDeps) {
  const maxLimit = deps.config.max_limit;
  /** `list_volume` (3.25): the group views list the group's volume ids. */
  const listVolumes = (req: Request) => boolQueryParam(queryOf(req).list_volume, 'list_volume');
  return {
    ...summaryAndDetailRoutes(async (req, res, detail) => {
      const { ctx, query, input } = listRequest(req, maxLimit, LIST_RESOURCES.groups);
      const page = await deps.groups.list(ctx, input);
      res.send(200, view.groupList(viewOf(req), { records: page.records, limit: input.limit, query }, detail, listVolumes(req)));
    }),

    async create(req: Request, res: Response): Promise<void> {
      const { group: g } = validateGroupCreate(req.body);
      const record = await deps.groups.create(ctxOf(req), {
        name: trimmed(g.name),
        description: trimmed(g.description),
        groupType: g.group_type,
        volumeTypes: g.volume_types,
        availabilityZone: g.availability_zone,
      });
      res.send(202, { group: view.groupSummary(record) });
    },

    async show(req: Request, res: Response): Promise<void> {
      const record = await deps.groups.get(ctxOf(req), param(req, 'group_id'));
      res.send(200, { group: view.groupDetail(viewOf(req), record, listVolumes(req)) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const { group: g } = validateGroupUpdate(req.body);
      await deps.groups.update(ctxOf(req), param(req, 'group_id'), {
        name: trimmed(g.name),
        description: trimmed(g.description),
        addVolumes: g.add_volumes,
        removeVolumes: g.remove_volumes,
      });
      sendEmpty(res, 202);
    },

    /** POST /groups/{id}/action: delete (with `delete-volumes`), reset_status (admin, 3.20). */
    action: actionRoute('group_id', {
      async delete(req, res, id) {
        const flag = validateGroupDelete(req.body).delete['delete-volumes'];
        await deps.groups.delete(ctxOf(req), id, flag === undefined ? false : toBoolean(flag));
        sendEmpty(res, 202);
      },
      async reset_status(req, res, id) {
        requireVersion(req.apiVersion!, MV.GROUP_VOLUME_RESET_STATUS);
        await deps.groups.resetStatus(ctxOf(req), id, resetStatusOf(req.body, 'Group status', GROUP_STATUSES));
        sendEmpty(res, 202);
      },
    }),

    /** POST /groups/action {"create-from-src": ...} (3.14). */
    async createFromSource(req: Request, res: Response): Promise<void> {
      const body = validateGroupCreateFromSource(req.body)['create-from-src'];
      const record = await deps.groups.createFromSource(ctxOf(req), {
        name: trimmed(body.name),
        description: trimmed(body.description),
        groupSnapshotId: body.group_snapshot_id,
        sourceGroupId: body.source_group_id,
      });
      res.send(202, { group: view.groupSummary(record) });
    },
  };
}

export function groupSnapshotController(deps: ApiDeps) {
  const maxLimit = deps.config.max_limit;
  return {
    ...summaryAndDetailRoutes(async (req, res, detail) => {
      const { ctx, query, input } = listRequest(req, maxLimit, LIST_RESOURCES.groupSnapshots);
      const page = await deps.groups.listSnapshots(ctx, input);
      res.send(200, view.groupSnapshotList(viewOf(req), { records: page.records, limit: input.limit, query }, detail));
    }),

    async create(req: Request, res: Response): Promise<void> {
      const { group_snapshot: g } = validateGroupSnapshotCreate(req.body);
      const record = await deps.groups.createSnapshot(ctxOf(req), { groupId: g.group_id, name: trimmed(g.name), description: trimmed(g.description) });
      res.send(202, { group_snapshot: view.groupSnapshotSummary(record) });
    },

    async show(req: Request, res: Response): Promise<void> {
      const record = await deps.groups.getSnapshot(ctxOf(req), param(req, 'group_snapshot_id'));
      res.send(200, { group_snapshot: view.groupSnapshotDetail(viewOf(req), record) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      await deps.groups.deleteSnapshot(ctxOf(req), param(req, 'group_snapshot_id'));
      sendEmpty(res, 202);
    },

    /** POST /group_snapshots/{id}/action: reset_status (admin, 3.19). */
    action: actionRoute('group_snapshot_id', {
      async reset_status(req, res, id) {
        requireVersion(req.apiVersion!, MV.GROUP_SNAPSHOT_RESET_STATUS);
        await deps.groups.resetSnapshotStatus(ctxOf(req), id, resetStatusOf(req.body, 'Group snapshot status', GROUP_SNAPSHOT_STATUSES));
        sendEmpty(res, 202);
      },
    }),
  };
}
