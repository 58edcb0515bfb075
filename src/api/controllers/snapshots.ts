/*
 * Snapshots: create, list (summary, detail), show, update, delete, and POST /snapshots/{id}/action
 * (os-reset_status, os-force_delete, os-update_snapshot_status). Thin: validate, call, render.
 */
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';
import { LIST_RESOURCES } from '../list-query';
import { pagedListRoutes } from '../list-route';
import { MV } from '../microversions';
import { actionRoute, ctxOf, param, sendEmpty, viewOf, trimmed } from '../request';
import { toBoolean } from '../schemas/parameter-types';
import { validateSnapshotCreate, validateSnapshotResetStatus, validateSnapshotUpdate, validateSnapshotUpdateStatus } from '../schemas/snapshots';
import * as view from '../views/snapshots';

export function snapshotController(deps: ApiDeps) {
  return {
    ...pagedListRoutes(deps.config.max_limit, LIST_RESOURCES.snapshots, (ctx, input) => deps.snapshots.list(ctx, input), view),

    async create(req: Request, res: Response): Promise<void> {
      const { snapshot: s } = validateSnapshotCreate(req.body);
      const record = await deps.snapshots.create(ctxOf(req), {
        volumeId: s.volume_id,
        // `name` wins over the legacy `display_name`; the create schema has no `display_description`.
        name: trimmed(s.name !== undefined ? s.name : s.display_name),
        description: trimmed(s.description),
        metadata: s.metadata,
        force: s.force === undefined ? undefined : toBoolean(s.force),
        inUseAllowed: req.apiVersion!.atLeast(MV.SNAPSHOT_IN_USE),
      });
      res.send(202, { snapshot: view.detail(viewOf(req), record, { extended: false }) });
    },

    async show(req: Request, res: Response): Promise<void> {
      const record = await deps.snapshots.get(ctxOf(req), param(req, 'snapshot_id'));
      res.send(200, { snapshot: view.detail(viewOf(req), record, { extended: true }) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const { snapshot: s } = validateSnapshotUpdate(req.body);
      const record = await deps.snapshots.update(ctxOf(req), param(req, 'snapshot_id'), {
        name: trimmed(s.name !== undefined ? s.name : s.display_name),
        description: trimmed(s.description !== undefined ? s.description : s.display_description),
      });
      res.send(200, { snapshot: view.detail(viewOf(req), record, { extended: false }) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      await deps.snapshots.delete(ctxOf(req), param(req, 'snapshot_id'));
      sendEmpty(res, 202);
    },

    action: actionRoute('snapshot_id', {
      async 'os-reset_status'(req, res, id) {
        const { status } = validateSnapshotResetStatus(req.body);
        await deps.snapshots.resetStatus(ctxOf(req), id, status);
        sendEmpty(res, 202);
      },
      async 'os-force_delete'(req, res, id) {
        // Cinder does not validate this body.
        await deps.snapshots.delete(ctxOf(req), id, { force: true });
        sendEmpty(res, 202);
      },
      async 'os-update_snapshot_status'(req, res, id) {
        const { status, progress } = validateSnapshotUpdateStatus(req.body);
        await deps.snapshots.updateStatus(ctxOf(req), id, status, progress);
        sendEmpty(res, 202);
      },
    }),
  };
}
