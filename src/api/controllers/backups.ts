/*
 * Backups: create, list (summary, detail), show, update (3.9+), delete, restore, export/import records
 * (admin), and POST /backups/{id}/action (os-reset_status, os-force_delete; admin). Thin: validate, call,
 * render.
 */
import { MV } from '../microversions';
import type { Request, Response } from 'restify';
import type { ApiDeps } from '../deps';
import { LIST_RESOURCES } from '../list-query';
import { pagedListRoutes } from '../list-route';
import { actionRoute, ctxOf, param, sendEmpty, viewOf, trimmed, withoutArguments } from '../request';
import { toBoolean } from '../schemas/parameter-types';
import {
  validateBackupCreate,
  validateBackupForceDelete,
  validateBackupImport,
  validateBackupResetStatus,
  validateBackupRestore,
  validateBackupUpdate,
} from '../schemas/backups';
import * as view from '../views/backups';

export function backupController(deps: ApiDeps) {
  return {
    ...pagedListRoutes(deps.config.max_limit, LIST_RESOURCES.backups, (ctx, input) => deps.backups.list(ctx, input), view),

    async create(req: Request, res: Response): Promise<void> {
      const version = req.apiVersion!;
      const { backup: b } = validateBackupCreate(req.body, { metadata: version.atLeast(MV.BACKUP_METADATA), zone: version.atLeast(MV.BACKUP_AZ) });
      const record = await deps.backups.create(ctxOf(req), {
        volumeId: b.volume_id,
        name: trimmed(b.name),
        description: trimmed(b.description),
        container: b.container,
        incremental: b.incremental === undefined ? false : toBoolean(b.incremental),
        force: b.force === undefined ? false : toBoolean(b.force),
        snapshotId: b.snapshot_id,
        metadata: b.metadata,
      });
      res.send(202, { backup: view.summary(viewOf(req), record) });
    },

    async show(req: Request, res: Response): Promise<void> {
      const record = await deps.backups.get(ctxOf(req), param(req, 'backup_id'));
      res.send(200, { backup: view.detail(viewOf(req), record) });
    },

    async update(req: Request, res: Response): Promise<void> {
      const { backup: b } = validateBackupUpdate(req.body, { metadata: req.apiVersion!.atLeast(MV.BACKUP_METADATA) });
      const record = await deps.backups.update(ctxOf(req), param(req, 'backup_id'), {
        name: trimmed(b.name),
        description: trimmed(b.description),
        metadata: b.metadata,
      });
      res.send(200, { backup: view.summary(viewOf(req), record) });
    },

    async remove(req: Request, res: Response): Promise<void> {
      await deps.backups.delete(ctxOf(req), param(req, 'backup_id'));
      sendEmpty(res, 202);
    },

    async restore(req: Request, res: Response): Promise<void> {
      const { restore } = validateBackupRestore(req.body);
      const result = await deps.backups.restore(ctxOf(req), param(req, 'backup_id'), { volumeId: restore.volume_id, name: trimmed(restore.name) });
      res.send(202, { restore: result });
    },

    async exportRecord(req: Request, res: Response): Promise<void> {
      const record = await deps.backups.exportRecord(ctxOf(req), param(req, 'backup_id'));
      res.send(200, { 'backup-record': record });
    },

    async importRecord(req: Request, res: Response): Promise<void> {
      const { 'backup-record': r } = validateBackupImport(req.body);
      const record = await deps.backups.importRecord(ctxOf(req), r.backup_service, r.backup_url);
      res.send(201, { backup: view.summary(viewOf(req), record) });
    },

    action: actionRoute('backup_id', {
      async 'os-reset_status'(req, res, id) {
        const { status } = validateBackupResetStatus(req.body);
        await deps.backups.resetStatus(ctxOf(req), id, status);
        sendEmpty(res, 202);
      },
      'os-force_delete': withoutArguments(validateBackupForceDelete, (ctx, id) => deps.backups.delete(ctx, id, { force: true })),
    }),
  };
}
